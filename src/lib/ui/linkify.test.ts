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

	it('never turns other schemes into links', () => {
		const parts = linkify('javascript:alert(1) data:text/html,<script>');
		expect(parts.every((p) => p.kind === 'text')).toBe(true);
	});
});
