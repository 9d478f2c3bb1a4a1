/**
 * What the history search holds: every chat message of every meeting on this device, and each
 * meeting's title and people. One MiniSearch index (https://lucaong.github.io/minisearch/) over
 * both kinds; the index is the library's, we only decide what goes in and how terms are normalised.
 */
export type SearchDoc = MessageDoc | MeetingDoc;

/** A chat message; `id` is the message's own id (unique across meetings: 128 random bits). */
export type MessageDoc = {
	kind: 'message';
	id: string;
	/** meeting code, `abc-defg-hij` */
	code: string;
	author: string;
	/** ms since the epoch, by the sender's clock */
	sentAt: number;
	text: string;
};

/** A meeting's title and the names of its people; `id` is `meeting:<code>`. */
export type MeetingDoc = {
	kind: 'meeting';
	id: string;
	code: string;
	title: string;
	/** the people's names, space-separated */
	names: string;
};

/** A search result: the document, its relevance, and the indexed terms it matched. */
export type SearchHit = SearchDoc & { score: number; terms: string[] };

/**
 * A term as indexed and as searched: lower case, without diacritics ("Zoë" and "zoe" match), so
 * search is diacritics-insensitive both ways (Unicode canonical decomposition, then the combining
 * marks dropped).
 */
export function normalizeTerm(term: string): string {
	return term
		.normalize('NFD')
		.replace(/\p{M}+/gu, '')
		.toLowerCase();
}

/** The id of a meeting's own document in the index. */
export function meetingDocId(code: string): string {
	return `meeting:${code}`;
}
