/**
 * Readers for values that arrive from peers (Yjs documents, awareness states). Anything a peer can
 * write may be of any type or size, so rendering code reads it only through these.
 */

/** Longest display name kept, in UTF-16 code units; longer names are cut. */
export const MAX_NAME_LENGTH = 80;

/** Longest id (message, person, peer) accepted from a peer, in UTF-16 code units. */
export const MAX_ID_LENGTH = 128;

/** Tells whether `value` is a plain object as Yjs decodes it (not an array, Y type or byte array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
	if (typeof value !== 'object' || value === null) return false;
	const proto: unknown = Object.getPrototypeOf(value);
	return proto === Object.prototype || proto === null;
}

/**
 * Cuts `text` to at most `max` UTF-16 code units without splitting a surrogate pair.
 *
 * @returns `text` itself when short enough
 */
export function truncate(text: string, max: number): string {
	if (text.length <= max) return text;
	const cut = text.slice(0, max);
	return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/** Reads a non-empty id of at most {@link MAX_ID_LENGTH} code units, or null. */
export function readId(value: unknown): string | null {
	return typeof value === 'string' && value !== '' && value.length <= MAX_ID_LENGTH ? value : null;
}

/** Reads a display name, trimmed and cut to {@link MAX_NAME_LENGTH}, or null if not a string. */
export function readName(value: unknown): string | null {
	return typeof value === 'string' ? truncate(value.trim(), MAX_NAME_LENGTH) : null;
}

/** Reads a finite number (a time in ms since the epoch, a count), or null. */
export function readFinite(value: unknown): number | null {
	return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
