import { randomId } from './random';

/** Letters per group of a meeting code, Meet-style `abc-defg-hij`. */
const CODE_GROUPS = [3, 4, 3] as const;

const CODE_PATTERN = /^[a-z]{3}-[a-z]{4}-[a-z]{3}$/;

/**
 * A 128-bit value in base64url without padding is 22 characters; the last one carries only 2 bits,
 * so it is one of `A`, `Q`, `g`, `w` (RFC 4648 §5).
 */
const SECRET_PATTERN = /^[A-Za-z0-9_-]{21}[AQgw]$/;

/** Inputs longer than this are not meeting links (a link is about 60 characters plus the origin). */
const MAX_INPUT_LENGTH = 2048;

/** Why a meeting link was rejected. */
export type LinkErrorReason = 'empty' | 'not-a-link' | 'bad-code' | 'no-secret' | 'bad-secret';

const MESSAGES: Record<LinkErrorReason, string> = {
	empty: 'Paste the meeting link you were sent.',
	'not-a-link': 'This is not a meeting link. A meeting link looks like https://…/abc-defg-hij#k=….',
	'bad-code':
		'This link does not contain a valid meeting code (three groups of letters, like abc-defg-hij). Check that you copied the whole link.',
	'no-secret':
		'This link is missing its key (the part after #k=). Ask the person who invited you for the full link.',
	'bad-secret':
		'The key in this link (the part after #k=) is damaged or incomplete. Ask the person who invited you for the full link.'
};

/** A meeting link that cannot be joined; `message` is written for the person who pasted it. */
export class LinkError extends Error {
	readonly reason: LinkErrorReason;

	/** @param reason which part of the link is wrong; the message is derived from it */
	constructor(reason: LinkErrorReason) {
		super(MESSAGES[reason]);
		this.name = 'LinkError';
		this.reason = reason;
	}
}

/**
 * Draws `count` uniformly random lowercase letters from `crypto.getRandomValues`. Bytes ≥ 234
 * (= 9 × 26) are rejected so that `byte % 26` is unbiased.
 */
function randomLetters(count: number): string {
	let letters = '';
	const bytes = new Uint8Array(count * 2);
	while (letters.length < count) {
		crypto.getRandomValues(bytes);
		for (const byte of bytes) {
			if (byte < 234 && letters.length < count) letters += String.fromCharCode(97 + (byte % 26));
		}
	}
	return letters;
}

/**
 * Generates a new meeting code: 3-4-3 random lowercase letters, e.g. `xqm-vbrt-kaw` (26¹⁰ ≈ 2⁴⁷
 * codes). The code names the meeting; the secret, not the code, keeps it private.
 *
 * @returns a code that satisfies {@link isMeetingCode}
 */
export function generateCode(): string {
	return CODE_GROUPS.map(randomLetters).join('-');
}

/**
 * Generates a new meeting secret: 128 random bits from `crypto.getRandomValues`
 * (ARCHITECTURE.md, "Link and keys"), base64url without padding.
 *
 * @returns 22 characters `[A-Za-z0-9_-]`
 */
export function generateSecret(): string {
	return randomId();
}

/**
 * Tells whether `s` is a meeting code in canonical form: `abc-defg-hij`, lowercase only.
 * {@link parseLink} accepts any case and lowercases.
 */
export function isMeetingCode(s: string): boolean {
	return CODE_PATTERN.test(s);
}

/**
 * Tells whether `s` is a meeting secret as {@link generateSecret} makes them: 22 base64url
 * characters encoding exactly 128 bits.
 */
export function isMeetingSecret(s: string): boolean {
	return SECRET_PATTERN.test(s);
}

/**
 * Formats the link people share: `${origin}/${code}#k=${secret}`. The secret sits in the fragment,
 * which browsers never send to servers.
 *
 * @param origin e.g. `https://confer.example` (`location.origin`; a trailing slash is dropped)
 * @param code meeting code, `abc-defg-hij`
 * @param secret meeting secret, 22 base64url characters
 */
export function formatLink(origin: string, code: string, secret: string): string {
	return `${origin.replace(/\/+$/, '')}/${code}#k=${secret}`;
}

/** The secret in a fragment (`#k=…`, other `&`-separated parameters allowed), or null if absent. */
function secretParam(fragment: string): string | null {
	const params = new URLSearchParams(fragment.replace(/^#/, ''));
	const secret = params.get('k');
	return secret === null || secret === '' ? null : secret;
}

/**
 * Reads a meeting link as a person pastes it. Accepted forms (surrounding whitespace, `<…>`, quotes,
 * brackets and sentence punctuation are ignored, as is whitespace inside, which mail clients insert
 * when they wrap lines; no code or secret starts or ends with those characters):
 *
 * - a full `http:` or `https:` URL on any origin, the code as its last path segment:
 *   `https://confer.example/abc-defg-hij#k=…`;
 * - the same without scheme: `confer.example/abc-defg-hij#k=…`;
 * - a path: `/abc-defg-hij#k=…`;
 * - the code and fragment alone: `abc-defg-hij#k=…`.
 *
 * The fragment may carry other parameters (`#k=…&x=1`). Any query string is ignored. The code is
 * case-insensitive and returned lowercase.
 *
 * @param input what the person pasted or typed
 * @param base URL that a path is resolved against (default: a placeholder origin); the result
 *   does not depend on it, since only the code and secret are returned
 * @returns the code (canonical, see {@link isMeetingCode}) and the secret (see {@link isMeetingSecret})
 * @throws LinkError with reason `empty`, `not-a-link` (including `javascript:`, `data:` and other
 *   non-http(s) URLs), `bad-code`, `no-secret` or `bad-secret`
 */
export function parseLink(
	input: string,
	base = 'https://confer.invalid'
): { code: string; secret: string } {
	const text = input
		.trim()
		.replace(/^<(.*)>$/s, '$1')
		.replace(/\s+/g, '')
		.replace(/^["'([]+|["'.,;:!?)\]]+$/g, '');
	if (text === '') throw new LinkError('empty');
	if (text.length > MAX_INPUT_LENGTH) throw new LinkError('not-a-link');

	let url: URL;
	try {
		if (/^[a-z][a-z0-9+.-]*:/i.test(text)) url = new URL(text);
		else if (text.startsWith('/')) url = new URL(text, base);
		else if (/^[^/#?]*\.[^/#?]*\//.test(text)) url = new URL(`https://${text}`);
		else if (/^[a-z-]+(#.*)?$/i.test(text)) url = new URL(`/${text}`, base);
		else throw new LinkError('not-a-link');
	} catch (error) {
		if (error instanceof LinkError) throw error;
		throw new LinkError('not-a-link');
	}
	if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new LinkError('not-a-link');

	const code = (
		url.pathname
			.split('/')
			.filter((segment) => segment !== '')
			.pop() ?? ''
	).toLowerCase();
	if (!isMeetingCode(code)) throw new LinkError('bad-code');
	const secret = secretParam(url.hash);
	if (secret === null) throw new LinkError('no-secret');
	if (!isMeetingSecret(secret)) throw new LinkError('bad-secret');
	return { code, secret };
}

/**
 * Reads the meeting secret from a fragment such as `location.hash` (`#k=…`, other parameters
 * allowed).
 *
 * @param hash `#k=…` or `k=…`
 * @returns the secret, or null when it is missing or malformed (use {@link parseLink} on
 *   `location.href` to learn which)
 */
export function parseFragment(hash: string): string | null {
	const secret = secretParam(hash);
	return secret !== null && isMeetingSecret(secret) ? secret : null;
}
