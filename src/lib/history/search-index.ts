import MiniSearch, { type AsPlainObject, type Options } from 'minisearch';
import { normalizeTerm, type MeetingDoc, type SearchDoc, type SearchHit } from './search-docs';

const OPTIONS: Options<SearchDoc> = {
	idField: 'id',
	fields: ['text', 'author', 'title', 'names'],
	storeFields: ['kind', 'code', 'author', 'sentAt', 'text', 'title', 'names'],
	processTerm: (term: string) => normalizeTerm(term) || null,
	searchOptions: {
		// Results as you type: every word must match, the last one (at least) as a prefix.
		prefix: true,
		combineWith: 'AND',
		boost: { title: 3, names: 2, author: 1.5 }
	}
};

/** The index as stored: MiniSearch's own plain-object form, and which ids belong to which meeting. */
export type IndexSnapshot = {
	version: 1;
	index: AsPlainObject;
	meetings: Record<string, string[]>;
};

/**
 * The history's full-text index, updated document by document: adding what is already there does
 * nothing, so a meeting's whole chat can be offered again (on opening it, on restoring a backup)
 * without duplicates and without rebuilding anything.
 */
export class SearchIndex {
	readonly #mini: MiniSearch<SearchDoc>;
	/** meeting code → ids of its documents (for deleting a meeting) */
	readonly #meetings: Map<string, Set<string>>;

	private constructor(mini: MiniSearch<SearchDoc>, meetings: Map<string, Set<string>>) {
		this.#mini = mini;
		this.#meetings = meetings;
	}

	/** An empty index. */
	static empty(): SearchIndex {
		return new SearchIndex(new MiniSearch<SearchDoc>(OPTIONS), new Map());
	}

	/**
	 * An index from {@link toSnapshot}'s output.
	 *
	 * @throws Error when `snapshot` is not one (another version, or damaged)
	 */
	static fromSnapshot(snapshot: IndexSnapshot): SearchIndex {
		if (snapshot?.version !== 1) throw new Error('Unknown search index version.');
		const meetings = new Map(
			Object.entries(snapshot.meetings).map(([code, ids]) => [code, new Set(ids)])
		);
		return new SearchIndex(MiniSearch.loadJS<SearchDoc>(snapshot.index, OPTIONS), meetings);
	}

	/** The index as a plain object, for IndexedDB (structured clone, no JSON text needed). */
	toSnapshot(): IndexSnapshot {
		return {
			version: 1,
			index: this.#mini.toJSON(),
			meetings: Object.fromEntries([...this.#meetings].map(([code, ids]) => [code, [...ids]]))
		};
	}

	/** Number of documents (messages and meetings) in the index. */
	get size(): number {
		return this.#mini.documentCount;
	}

	/** Whether any document of meeting `code` is in the index. */
	hasMeeting(code: string): boolean {
		return (this.#meetings.get(code)?.size ?? 0) > 0;
	}

	/**
	 * Adds documents. A message already in the index is left alone; a meeting document replaces the
	 * meeting's previous one (its title or people changed).
	 *
	 * @returns the documents that changed the index (for the write-ahead log)
	 */
	add(docs: readonly SearchDoc[]): SearchDoc[] {
		const changed: SearchDoc[] = [];
		for (const doc of docs) {
			if (this.#mini.has(doc.id)) {
				if (doc.kind === 'message') continue;
				if (sameMeetingDoc(this.#mini.getStoredFields(doc.id), doc)) continue;
				this.#mini.discard(doc.id);
			}
			this.#mini.add(doc);
			let ids = this.#meetings.get(doc.code);
			if (!ids) this.#meetings.set(doc.code, (ids = new Set()));
			ids.add(doc.id);
			changed.push(doc);
		}
		return changed;
	}

	/** Removes every document of meeting `code`. */
	removeMeeting(code: string): void {
		for (const id of this.#meetings.get(code) ?? []) {
			if (this.#mini.has(id)) this.#mini.discard(id);
		}
		this.#meetings.delete(code);
	}

	/** Removes everything. */
	clear(): void {
		this.#mini.removeAll();
		this.#meetings.clear();
	}

	/**
	 * Searches titles, names and messages: every word must match, by prefix, whatever its
	 * diacritics. Best matches first; among equals, the newest message first.
	 *
	 * @param limit most results returned
	 */
	search(query: string, limit = 50): SearchHit[] {
		if (!query.trim()) return [];
		return this.#mini
			.search(query)
			.slice(0, limit)
			.map((result) => ({
				...(result as unknown as SearchDoc),
				id: String(result.id),
				score: result.score,
				terms: result.terms
			}));
	}
}

function sameMeetingDoc(stored: Record<string, unknown> | undefined, doc: MeetingDoc): boolean {
	return stored?.title === doc.title && stored?.names === doc.names;
}
