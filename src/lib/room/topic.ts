import { toBase64UrlEncoded } from 'lib0/buffer';

/** Domain-separation prefix of the signaling topic (ARCHITECTURE.md, "Link and keys"). */
const TOPIC_PREFIX = 'confer/v1/topic\n';

/**
 * Encodes bytes as base64url without padding (RFC 4648 §5), as used in meeting secrets and topics.
 *
 * @param bytes any bytes
 * @returns `[A-Za-z0-9_-]*`, `ceil(bytes.length * 4 / 3)` characters
 */
export function base64url(bytes: Uint8Array): string {
	return toBase64UrlEncoded(bytes);
}

/**
 * Derives the signaling topic of a meeting: base64url(SHA-256(`"confer/v1/topic\n" + code + "\n" +
 * secret`)), 43 characters (ARCHITECTURE.md, "Link and keys"). The relay sees only this topic;
 * SHA-256's preimage resistance keeps the code and the secret from it.
 *
 * Uses WebCrypto (`crypto.subtle`), available in browsers (secure contexts only) and Node ≥ 19.
 *
 * @param code meeting code, `abc-defg-hij`
 * @param secret meeting secret, 22 base64url characters
 * @returns the topic, 43 base64url characters
 * @throws TypeError when `crypto.subtle` is missing (a page served over plain http from a
 *   non-localhost origin)
 */
export async function deriveTopic(code: string, secret: string): Promise<string> {
	const input = new TextEncoder().encode(`${TOPIC_PREFIX}${code}\n${secret}`);
	const digest = await crypto.subtle.digest('SHA-256', input);
	return base64url(new Uint8Array(digest));
}
