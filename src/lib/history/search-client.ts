import type { SearchDoc, SearchHit } from './search-docs';
import type { SearchRequest, SearchResponse } from './search-protocol';

type Pending = (response: SearchResponse) => void;

/**
 * The page's handle on the search worker (`search.worker.ts`): one per page, created on first
 * use. Adding and removing are fire-and-forget; searches resolve with their hits.
 */
export class HistorySearch {
	static #shared: HistorySearch | null = null;

	/** This page's search. */
	static shared(): HistorySearch {
		return (HistorySearch.#shared ??= new HistorySearch());
	}

	readonly #worker: Worker;
	readonly #pending = new Map<number, Pending>();
	#nextId = 1;

	private constructor() {
		this.#worker = new Worker(new URL('./search.worker.ts', import.meta.url), {
			type: 'module',
			name: 'confer-search'
		});
		this.#worker.onmessage = (event: MessageEvent<SearchResponse>) => {
			const pending = this.#pending.get(event.data.id);
			this.#pending.delete(event.data.id);
			pending?.(event.data);
		};
	}

	/** Adds messages and meetings; what is already indexed is skipped. */
	add(docs: SearchDoc[]): void {
		if (docs.length > 0) this.#post({ type: 'add', docs });
	}

	/** Removes every document of meeting `code`. */
	removeMeeting(code: string): void {
		this.#post({ type: 'remove', code });
	}

	/** Removes everything. */
	clear(): void {
		this.#post({ type: 'clear' });
	}

	/** Searches titles, names and messages (see `SearchIndex.search`). */
	async search(query: string, limit = 50): Promise<SearchHit[]> {
		const response = await this.#ask({ type: 'search', id: 0, query, limit });
		return response.type === 'search' ? response.hits : [];
	}

	/** Which of `codes` have nothing in the index yet (meetings from before the index existed). */
	async missing(codes: string[]): Promise<string[]> {
		const response = await this.#ask({ type: 'missing', id: 0, codes });
		return response.type === 'missing' ? response.codes : [];
	}

	/** Resolves once every change so far is saved; returns the number of documents indexed. */
	async flush(): Promise<number> {
		const response = await this.#ask({ type: 'flush', id: 0 });
		return response.type === 'flush' ? response.documents : 0;
	}

	#post(request: SearchRequest) {
		this.#worker.postMessage(request);
	}

	/** Sends a request that is answered; `request.id` is replaced by a fresh one. */
	#ask(request: Extract<SearchRequest, { id: number }>): Promise<SearchResponse> {
		const id = this.#nextId++;
		return new Promise((resolve) => {
			this.#pending.set(id, resolve);
			this.#post({ ...request, id });
		});
	}
}
