import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateCode, generateSecret } from '$lib/room/link';
import { base64url, deriveTopic } from '$lib/room/topic';

function nodeTopic(code: string, secret: string): string {
	return createHash('sha256')
		.update(`confer/v1/topic\n${code}\n${secret}`, 'utf8')
		.digest('base64url');
}

describe('base64url', () => {
	it('matches RFC 4648 §5 without padding', () => {
		for (const length of [0, 1, 2, 3, 16, 32]) {
			const bytes = new Uint8Array(length).map((_, i) => (i * 97 + 251) & 0xff);
			expect(base64url(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
		}
		expect(base64url(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe('-_-_');
	});
});

describe('deriveTopic', () => {
	it("equals base64url(SHA-256('confer/v1/topic\\n' + code + '\\n' + secret)) computed by node:crypto", async () => {
		expect(await deriveTopic('abc-defg-hij', 'AAECAwQFBgcICQoLDA0ODw')).toBe(
			nodeTopic('abc-defg-hij', 'AAECAwQFBgcICQoLDA0ODw')
		);
		for (let i = 0; i < 20; i++) {
			const code = generateCode();
			const secret = generateSecret();
			const topic = await deriveTopic(code, secret);
			expect(topic).toBe(nodeTopic(code, secret));
			expect(topic).toMatch(/^[A-Za-z0-9_-]{43}$/);
		}
	});

	it('changes with the code and with the secret', async () => {
		const code = generateCode();
		const secret = generateSecret();
		const topic = await deriveTopic(code, secret);
		expect(await deriveTopic(generateCode(), secret)).not.toBe(topic);
		expect(await deriveTopic(code, generateSecret())).not.toBe(topic);
		// the separator keeps pairs that concatenate to the same string apart
		expect(await deriveTopic(code, secret)).not.toBe(
			await deriveTopic(code.slice(0, -1), code.slice(-1) + secret)
		);
	});

	it('contains neither the code nor the secret', async () => {
		for (let i = 0; i < 20; i++) {
			const code = generateCode();
			const secret = generateSecret();
			const topic = await deriveTopic(code, secret);
			expect(topic.toLowerCase()).not.toContain(code.replaceAll('-', '').slice(0, 4));
			expect(topic).not.toContain(secret.slice(0, 6));
		}
	});
});
