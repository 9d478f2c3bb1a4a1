import { normalizeTerm } from './search-docs';

/** A piece of text, marked when it is a word the search matched. */
export type TextPart = { text: string; match: boolean };

/**
 * Splits `text` into words and the rest, marking the words whose normalised form is one of
 * `terms` (the indexed terms a search hit matched, already normalised).
 */
export function highlight(text: string, terms: readonly string[]): TextPart[] {
	const wanted = new Set(terms);
	const parts: TextPart[] = [];
	for (const piece of text.split(/([\p{L}\p{N}\p{M}_]+)/u)) {
		if (piece === '') continue;
		const match = wanted.has(normalizeTerm(piece));
		const last = parts.at(-1);
		if (last && !last.match && !match) last.text += piece;
		else parts.push({ text: piece, match });
	}
	return parts;
}
