/** A parsed JSON object (not an array, not `null`). Keys come from the network: read, never merge. */
export type JsonObject = Record<string, unknown>;

/**
 * Parses a UTF-8 text message as a JSON object. `JSON.parse` creates `__proto__` as an ordinary own
 * key (ECMA-262 §25.5.1, CreateDataProperty), so hostile keys cannot reach any prototype.
 *
 * @returns the object, `null` for JSON that is not an object, or `undefined` for text that is not JSON.
 */
export function parseJsonObject(bytes: Buffer): JsonObject | null | undefined {
	let value: unknown;
	try {
		value = JSON.parse(bytes.toString('utf8'));
	} catch {
		return undefined;
	}
	return typeof value === 'object' && value !== null && !Array.isArray(value)
		? (value as JsonObject)
		: null;
}

/**
 * `JSON.stringify` that reports failure instead of throwing (nesting deeper than the stack allows
 * throws `RangeError`; a 64 KiB frame can nest about 32,000 levels).
 *
 * @returns the JSON text, or `null` when it cannot be produced.
 */
export function stringifyOrNull(value: unknown): string | null {
	try {
		return JSON.stringify(value);
	} catch {
		return null;
	}
}
