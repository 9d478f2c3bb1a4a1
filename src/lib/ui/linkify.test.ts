import { describe, expect, it } from 'vitest';
import { linkify } from './linkify';

describe('linkify', () => {
	it('keeps plain text as one text part', () => {
		expect(linkify('hello <b>world</b>')).toEqual([{ kind: 'text', text: 'hello <b>world</b>' }]);
	});

	it('finds http and https links and leaves sentence punctuation outside', () => {
		expect(linkify('see https://example.org/a?b=1. or http://x.test')).toEqual([
			{ kind: 'text', text: 'see ' },
			{ kind: 'link', text: 'https://example.org/a?b=1', href: 'https://example.org/a?b=1' },
			{ kind: 'text', text: '. or ' },
			{ kind: 'link', text: 'http://x.test', href: 'http://x.test/' }
		]);
	});

	it('opens www. links over https, and not a www inside a word', () => {
		expect(linkify('slides: www.example.org/deck, thanks')).toEqual([
			{ kind: 'text', text: 'slides: ' },
			{ kind: 'link', text: 'www.example.org/deck', href: 'https://www.example.org/deck' },
			{ kind: 'text', text: ', thanks' }
		]);
		expect(linkify('awww.no').every((p) => p.kind === 'text')).toBe(true);
	});

	it('never turns other schemes into links', () => {
		const parts = linkify('javascript:alert(1) data:text/html,<script>');
		expect(parts.every((p) => p.kind === 'text')).toBe(true);
	});
});
