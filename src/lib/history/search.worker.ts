/// <reference lib="webworker" />
/**
 * The history search, off the page's main thread: loading the index, adding arriving messages,
 * searching and saving never hold up typing or the call. One worker per tab; tabs keep their
 * indexes in step over a BroadcastChannel, and share one store in IndexedDB.
 */
import type { SearchIndex } from './search-index';
import {
	SEARCH_DB_NAME,
	apply,
	CHECKPOINT_AFTER,
	SearchStore,
	type IndexChange
} from './search-store';
import type { SearchRequest, SearchResponse } from './search-protocol';

declare const self: DedicatedWorkerGlobalScope;

/** A checkpoint follows this long after the last change (ms), when any is pending. */
const IDLE_CHECKPOINT_MS = 5_000;

const store = new SearchStore();
/**
 * The index, loaded on the first search: a meeting tab only adds messages, which go straight to
 * the log (loading the whole history would cost a call's CPU for nothing), and are de-duplicated
 * when the log is replayed.
 */
let loaded: Promise<SearchIndex> | null = null;
const channel = new BroadcastChannel(SEARCH_DB_NAME);
/** Writes in order, so a flush waits for all of them. */
let writes: Promise<void> = Promise.resolve();
let idle: ReturnType<typeof setTimeout> | undefined;

function index(): Promise<SearchIndex> {
	if (!loaded) {
		loaded = store.load();
		// The replayed log is folded into a snapshot soon, so the next load is quick.
		void loaded.then(() => store.pending > 0 && scheduleCheckpoint());
	}
	return loaded;
}

// Another tab's change: this tab's index follows (its log entry is written by that tab).
channel.onmessage = async (event: MessageEvent<IndexChange>) => {
	if (loaded) apply(await loaded, event.data);
};

function record(change: IndexChange) {
	channel.postMessage(change);
	writes = writes.then(() => store.log(change)).catch(() => undefined);
	if (loaded) scheduleCheckpoint();
}

function scheduleCheckpoint() {
	clearTimeout(idle);
	if (store.pending >= CHECKPOINT_AFTER) void checkpoint();
	else idle = setTimeout(() => void checkpoint(), IDLE_CHECKPOINT_MS);
}

async function checkpoint() {
	if (!loaded) return;
	const current = await loaded;
	writes = writes.then(() => store.checkpoint(current)).catch(() => undefined);
	await writes;
}

function answer(response: SearchResponse) {
	self.postMessage(response);
}

self.onmessage = async (event: MessageEvent<SearchRequest>) => {
	const request = event.data;
	switch (request.type) {
		case 'add': {
			if (!loaded) return record({ op: 'add', docs: request.docs });
			const changed = (await loaded).add(request.docs);
			if (changed.length > 0) record({ op: 'add', docs: changed });
			return;
		}
		case 'remove':
			(await index()).removeMeeting(request.code);
			return record({ op: 'remove', code: request.code });
		case 'clear':
			(await index()).clear();
			return record({ op: 'clear' });
		case 'search': {
			const hits = (await index()).search(request.query, request.limit);
			return answer({ type: 'search', id: request.id, hits });
		}
		case 'missing': {
			const current = await index();
			const codes = request.codes.filter((code) => !current.hasMeeting(code));
			return answer({ type: 'missing', id: request.id, codes });
		}
		case 'flush': {
			const current = await index();
			clearTimeout(idle);
			await checkpoint();
			return answer({ type: 'flush', id: request.id, documents: current.size });
		}
	}
};
