import { base64url } from './topic';

/**
 * Generates a random 128-bit identifier (`crypto.getRandomValues`), base64url without padding:
 * 22 characters `[A-Za-z0-9_-]`. At 2¹²⁸ values, collisions are not a concern (birthday bound 2⁶⁴).
 */
export function randomId(): string {
	return base64url(crypto.getRandomValues(new Uint8Array(16)));
}
