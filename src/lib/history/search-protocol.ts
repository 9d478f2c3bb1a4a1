import type { SearchDoc, SearchHit } from './search-docs';

/** Messages from the page to the search worker (`search.worker.ts`). */
export type SearchRequest =
	| { type: 'add'; docs: SearchDoc[] }
	| { type: 'remove'; code: string }
	| { type: 'clear' }
	| { type: 'search'; id: number; query: string; limit: number }
	| { type: 'missing'; id: number; codes: string[] }
	| { type: 'flush'; id: number };

/** Answers from the worker, to the request with the same `id`. */
export type SearchResponse =
	| { type: 'search'; id: number; hits: SearchHit[] }
	| { type: 'missing'; id: number; codes: string[] }
	| { type: 'flush'; id: number; documents: number };
