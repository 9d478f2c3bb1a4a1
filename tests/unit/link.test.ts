import { describe, expect, it } from 'vitest';
import {
	formatLink,
	generateCode,
	generateSecret,
	isMeetingCode,
	isMeetingSecret,
	LinkError,
	parseFragment,
	parseLink,
	type LinkErrorReason
} from '$lib/room/link';

const SECRET = 'AAECAwQFBgcICQoLDA0ODw'; // bytes 0x00…0x0f in base64url

function reasonOf(input: string): LinkErrorReason | 'ok' {
	try {
		parseLink(input);
		return 'ok';
	} catch (error) {
		expect(error).toBeInstanceOf(LinkError);
		return (error as LinkError).reason;
	}
}

describe('generateCode', () => {
	it('makes 3-4-3 lowercase codes', () => {
		for (let i = 0; i < 200; i++) expect(generateCode()).toMatch(/^[a-z]{3}-[a-z]{4}-[a-z]{3}$/);
	});

	it('uses every letter, roughly uniformly', () => {
		const counts = new Map<string, number>();
		for (let i = 0; i < 2000; i++) {
			for (const letter of generateCode().replaceAll('-', ''))
				counts.set(letter, (counts.get(letter) ?? 0) + 1);
		}
		expect(counts.size).toBe(26);
		// 20 000 letters: about 769 each; a bias of byte % 26 without rejection would still pass this,
		// but a stuck or skewed generator would not.
		for (const count of counts.values()) expect(count).toBeGreaterThan(550);
	});
});

describe('generateSecret', () => {
	it('makes 22-character base64url secrets of 128 bits', () => {
		const secrets = new Set<string>();
		for (let i = 0; i < 200; i++) {
			const secret = generateSecret();
			expect(secret).toMatch(/^[A-Za-z0-9_-]{22}$/);
			expect(isMeetingSecret(secret)).toBe(true);
			expect(Buffer.from(secret, 'base64url')).toHaveLength(16);
			secrets.add(secret);
		}
		expect(secrets.size).toBe(200);
	});
});

describe('isMeetingCode', () => {
	it.each([
		['abc-defg-hij', true],
		['ABC-DEFG-HIJ', false],
		['abc-defg-hi', false],
		['abcdefghij', false],
		['abc-def1-hij', false],
		[' abc-defg-hij', false],
		['', false]
	])('%j → %s', (input, expected) => expect(isMeetingCode(input)).toBe(expected));
});

describe('formatLink and parseLink', () => {
	it('round-trips generated codes and secrets', () => {
		for (let i = 0; i < 100; i++) {
			const code = generateCode();
			const secret = generateSecret();
			const link = formatLink('https://confer.example', code, secret);
			expect(link).toBe(`https://confer.example/${code}#k=${secret}`);
			expect(parseLink(link)).toEqual({ code, secret });
		}
	});

	it('drops a trailing slash of the origin', () => {
		expect(formatLink('http://localhost:5173/', 'abc-defg-hij', SECRET)).toBe(
			`http://localhost:5173/abc-defg-hij#k=${SECRET}`
		);
	});

	it.each([
		`https://confer.example/abc-defg-hij#k=${SECRET}`,
		`http://localhost:5173/abc-defg-hij#k=${SECRET}`,
		`https://other.example:8443/abc-defg-hij#k=${SECRET}`,
		`https://host.example/confer/abc-defg-hij/#k=${SECRET}`,
		`https://confer.example/abc-defg-hij?utm_source=mail#k=${SECRET}`,
		`https://confer.example/abc-defg-hij#k=${SECRET}&x=1`,
		`https://confer.example/abc-defg-hij#x=1&k=${SECRET}`,
		`  https://confer.example/abc-defg-hij#k=${SECRET}\n`,
		`<https://confer.example/abc-defg-hij#k=${SECRET}>`,
		` <https://confer.example/abc-defg-hij#k=${SECRET}> `,
		`https://confer.example/abc-defg-\n  hij#k=${SECRET}`,
		`HTTPS://CONFER.EXAMPLE/ABC-DEFG-HIJ#k=${SECRET}`,
		`confer.example/abc-defg-hij#k=${SECRET}`,
		`/abc-defg-hij#k=${SECRET}`,
		`abc-defg-hij#k=${SECRET}`,
		`Abc-Defg-Hij#k=${SECRET}`,
		`"https://confer.example/abc-defg-hij#k=${SECRET}".`,
		`(https://confer.example/abc-defg-hij#k=${SECRET}),`
	])('accepts %j', (input) => {
		expect(parseLink(input)).toEqual({ code: 'abc-defg-hij', secret: SECRET });
	});

	it.each<[string, LinkErrorReason]>([
		['', 'empty'],
		['   \n\t', 'empty'],
		['<>', 'empty'],
		[`javascript:alert(1)//abc-defg-hij#k=${SECRET}`, 'not-a-link'],
		[`JavaScript:alert(1)`, 'not-a-link'],
		[`data:text/html,<script>alert(1)</script>#k=${SECRET}`, 'not-a-link'],
		[`file:///abc-defg-hij#k=${SECRET}`, 'not-a-link'],
		[`ftp://confer.example/abc-defg-hij#k=${SECRET}`, 'not-a-link'],
		['meet me at 5pm', 'not-a-link'],
		['what? a link', 'not-a-link'],
		['https://', 'not-a-link'],
		[`https://confer.example/abc-defg-hij#k=${SECRET}`.repeat(40), 'not-a-link'],
		[`https://confer.example/#k=${SECRET}`, 'bad-code'],
		['https://confer.example', 'bad-code'],
		[`https://confer.example/abc-defg-hi#k=${SECRET}`, 'bad-code'],
		[`https://confer.example/abc-defg-hij/extra#k=${SECRET}`, 'bad-code'],
		[`https://confer.example/abc_defg_hij#k=${SECRET}`, 'bad-code'],
		[`https://confer.example/ab1-defg-hij#k=${SECRET}`, 'bad-code'],
		[`abcdefghij#k=${SECRET}`, 'bad-code'],
		['hello', 'bad-code'],
		['https://confer.example/abc-defg-hij', 'no-secret'],
		['https://confer.example/abc-defg-hij#', 'no-secret'],
		['https://confer.example/abc-defg-hij#k=', 'no-secret'],
		['https://confer.example/abc-defg-hij#x=1', 'no-secret'],
		[`https://confer.example/abc-defg-hij?k=${SECRET}`, 'no-secret'],
		['abc-defg-hij', 'no-secret'],
		['/abc-defg-hij', 'no-secret'],
		['https://confer.example/abc-defg-hij#k=AAECAwQFBgcICQoLDA0OD', 'bad-secret'],
		['https://confer.example/abc-defg-hij#k=AAECAwQFBgcICQoLDA0ODwA', 'bad-secret'],
		['https://confer.example/abc-defg-hij#k=AAECAwQFBgcICQoLDA0ODx', 'bad-secret'],
		['https://confer.example/abc-defg-hij#k=AAECAwQFBgcICQoLDA0OD+', 'bad-secret'],
		['https://confer.example/abc-defg-hij#k=AAECAwQFBgcICQoLDA0ODw==', 'bad-secret'],
		['https://confer.example/abc-defg-hij#k=%3Cscript%3E', 'bad-secret']
	])('rejects %j as %s', (input, reason) => {
		expect(reasonOf(input)).toBe(reason);
	});

	it('explains each reason in words a person understands', () => {
		const error = new LinkError('no-secret');
		expect(error.message).toBe(
			'This link is missing its key (the part after #k=). Ask the person who invited you for the full link.'
		);
		for (const reason of ['empty', 'not-a-link', 'bad-code', 'no-secret', 'bad-secret'] as const) {
			expect(new LinkError(reason).message).toMatch(/^[A-Z].*\.$/);
		}
	});
});

describe('parseFragment', () => {
	it.each([
		[`#k=${SECRET}`, SECRET],
		[`k=${SECRET}`, SECRET],
		[`#k=${SECRET}&x=1`, SECRET],
		[`#x=1&k=${SECRET}`, SECRET],
		['', null],
		['#', null],
		['#k=', null],
		['#k=short', null],
		[`#key=${SECRET}`, null]
	])('%j → %j', (hash, expected) => expect(parseFragment(hash)).toBe(expected));
});
