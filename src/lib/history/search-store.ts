import { clear, createStore, delMany, entries, set, type UseStore } from 'idb-keyval';
import type { SearchDoc } from './search-docs';
import { SearchIndex, type IndexSnapshot } from './search-index';

/** IndexedDB database of the history search (ARCHITECTURE.md, "History and search"). */
export const SEARCH_DB_NAME = 'confer-search';

/** A change to the index, as written to the log before the next snapshot. */
export type IndexChange =
	{ op: 'add'; docs: SearchDoc[] } | { op: 'remove'; code: string } | { op: 'clear' };

/** After this many logged changes, the next {@link SearchStore.checkpoint} is due. */
export const CHECKPOINT_AFTER = 200;

const SNAPSHOT_KEY = 'snapshot';

/** A log entry's key: when (ms since the epoch), which store wrote it, and its sequence there. */
type LogKey = ['log', number, string, number];

function isLogKey(key: IDBValidKey): key is LogKey {
	return Array.isArray(key) && key[0] === 'log' && key.length === 4;
}

/**
 * Keeps the search index on this device: a snapshot of the whole index, plus a log of the changes
 * since (one small write per arriving message or batch), replayed on load. A message is thus never
 * indexed twice and never lost, and start-up never re-reads the meetings: it loads the snapshot
 * and replays the log. The snapshot is rewritten now and then ({@link checkpoint}), off the main
 * thread (the store lives in the search worker).
 */
export class SearchStore {
	readonly #db: UseStore;
	/** log keys already folded into memory, to delete at the next checkpoint */
	#logged: LogKey[] = [];
	/** this store's own part of its log keys: tabs log side by side without overwriting */
	readonly #writer = Math.random().toString(36).slice(2);
	#sequence = 0;

	/** @param name IndexedDB database name (tests use their own) */
	constructor(name: string = SEARCH_DB_NAME) {
		this.#db = createStore(name, 'index');
	}

	/** Changes logged since the last snapshot. */
	get pending(): number {
		return this.#logged.length;
	}

	/**
	 * Loads the index: the snapshot, then the logged changes in order. A damaged snapshot starts an
	 * empty index (meetings are indexed again as they are opened).
	 */
	async load(): Promise<SearchIndex> {
		const all = await entries<IDBValidKey, unknown>(this.#db);
		const snapshot = all.find(([key]) => key === SNAPSHOT_KEY)?.[1] as IndexSnapshot | undefined;
		let index: SearchIndex;
		try {
			index = snapshot ? SearchIndex.fromSnapshot(snapshot) : SearchIndex.empty();
		} catch {
			index = SearchIndex.empty();
		}
		const log = all
			.filter((entry): entry is [LogKey, IndexChange] => isLogKey(entry[0]))
			.sort(([a], [b]) => a[1] - b[1] || a[3] - b[3]);
		for (const [, change] of log) apply(index, change);
		this.#logged = log.map(([key]) => key);
		return index;
	}

	/** Writes one change to the log (call after applying it to the index in memory). */
	async log(change: IndexChange): Promise<void> {
		const key: LogKey = ['log', Date.now(), this.#writer, this.#sequence++];
		this.#logged.push(key);
		await set(key, change, this.#db);
	}

	/** Writes `index` as the new snapshot and drops the log entries it contains. */
	async checkpoint(index: SearchIndex): Promise<void> {
		const folded = this.#logged;
		this.#logged = [];
		await set(SNAPSHOT_KEY, index.toSnapshot(), this.#db);
		await delMany(folded, this.#db);
	}

	/** Removes the index from this device. */
	async clear(): Promise<void> {
		this.#logged = [];
		await clear(this.#db);
	}
}

/** Applies a logged change to `index`. */
export function apply(index: SearchIndex, change: IndexChange): void {
	switch (change.op) {
		case 'add':
			index.add(change.docs);
			return;
		case 'remove':
			index.removeMeeting(change.code);
			return;
		case 'clear':
			index.clear();
			return;
	}
}
