/** A piece of a chat message: plain text, or a link to open. */
export type TextPart =
	{ kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

const URL_PATTERN = /\b(?:https?:\/\/|www\.)[^\s<>"']+/gi;
/** Punctuation that ends a sentence rather than the link ("see https://x.org."). */
const TRAILING = /[.,;:!?)\]}]+$/;

/**
 * Splits message text into text and http(s) links, for rendering as text nodes and `<a>` elements
 * (never as HTML). A link may also start with `www.` (it then opens over https). Other schemes
 * (`javascript:`, `data:`) stay plain text.
 */
export function linkify(text: string): TextPart[] {
	const parts: TextPart[] = [];
	let last = 0;
	for (const match of text.matchAll(URL_PATTERN)) {
		let url = match[0];
		const trailing = TRAILING.exec(url)?.[0] ?? '';
		url = url.slice(0, url.length - trailing.length);
		const start = match.index;
		let href: string;
		try {
			href = new URL(/^www\./i.test(url) ? `https://${url}` : url).href;
		} catch {
			continue;
		}
		if (start > last) parts.push({ kind: 'text', text: text.slice(last, start) });
		parts.push({ kind: 'link', text: url, href });
		last = start + url.length;
	}
	if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
	return parts;
}
