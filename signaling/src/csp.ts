import { createHash } from 'node:crypto';

/** Directives appended to every policy: the app is never framed (not expressible in a `<meta>`). */
const FRAME_ANCESTORS = "frame-ancestors 'none'";

const META_PATTERN = /<meta\b[^>]*\bhttp-equiv\s*=\s*["']?content-security-policy["']?[^>]*>/i;
const CONTENT_PATTERN = /\bcontent\s*=\s*(?:"([^"]*)"|'([^']*)')/i;
const INLINE_SCRIPT_PATTERN = /<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi;

const ENTITIES: Record<string, string> = {
	'&quot;': '"',
	'&#34;': '"',
	'&#39;': "'",
	'&#x27;': "'",
	'&lt;': '<',
	'&gt;': '>',
	'&amp;': '&'
};

function decodeAttribute(value: string): string {
	return value.replace(
		/&(?:quot|#34|#39|#x27|lt|gt|amp);/gi,
		(entity) => ENTITIES[entity] ?? entity
	);
}

/**
 * Derives the `Content-Security-Policy` header from the built `index.html`. SvelteKit (`kit.csp`,
 * mode `hash`) writes the policy into `<meta http-equiv="content-security-policy">` with the
 * SHA-256 of its inline bootstrap script; the header repeats it, so it never blocks what the meta
 * allows, and adds `frame-ancestors 'none'`, which browsers ignore in a meta (CSP3 §4.2).
 * Without a meta the policy is `default-src 'self'` with the hashes of the page's inline scripts.
 *
 * @param html the text of `index.html`, or `null` when the app is not built.
 * @returns the header value.
 */
export function policyFromIndexHtml(html: string | null): string {
	const meta = html === null ? null : META_PATTERN.exec(html);
	const content = meta === null ? null : CONTENT_PATTERN.exec(meta[0]);
	if (content !== null) {
		const policy = decodeAttribute(content[1] ?? content[2] ?? '')
			.trim()
			.replace(/;\s*$/, '');
		return /(^|;)\s*frame-ancestors\b/i.test(policy) ? policy : `${policy}; ${FRAME_ANCESTORS}`;
	}
	const hashes = [...(html ?? '').matchAll(INLINE_SCRIPT_PATTERN)]
		.filter((match) => !/\bsrc\s*=/i.test(match[1] ?? ''))
		.map(
			(match) =>
				`'sha256-${createHash('sha256')
					.update(match[2] ?? '')
					.digest('base64')}'`
		);
	return [
		"default-src 'self'",
		`script-src ${["'self'", ...hashes].join(' ')}`,
		"style-src 'self' 'unsafe-inline'",
		"img-src 'self' data: blob:",
		"media-src 'self' blob: mediastream:",
		"object-src 'none'",
		"base-uri 'none'",
		FRAME_ANCESTORS
	].join('; ');
}
