// Confer's signals are sealed exactly as y-webrtc seals its own messages, so y-webrtc's code opens
// ours and ours opens y-webrtc's; a wrong key or a changed byte is refused.
import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from 'lib0/buffer';
import type * as YCrypto from '../../../node_modules/y-webrtc/dist/src/crypto.js';
// @ts-expect-error y-webrtc 10.3 neither exports its crypto module nor types its sources: the
// test reads the sources and types them with the package's declaration file.
import * as untyped from '../../../node_modules/y-webrtc/src/crypto.js';
import { decryptSignal, encryptSignal } from './signal-crypto';
import { toHello } from './hello';

const ywebrtc = untyped as typeof YCrypto;
const topic = 'topic-of-the-room';

describe('signal encryption', () => {
	it('round-trips with y-webrtc’s own encryptJson / decryptJson under the room key', async () => {
		const key = await ywebrtc.deriveKey('s3cret-s3cret-s3cret-1', topic);
		const hello = { type: 'confer/hello', peerId: 'p1', dtls: 'sha-256 AB', to: null };
		const ours = await encryptSignal(hello, key);
		expect(await ywebrtc.decryptJson(fromBase64(ours), key)).toEqual(hello);
		const theirs = toBase64(await ywebrtc.encryptJson({ type: 'announce', from: 'x' }, key));
		expect(await decryptSignal(theirs, key)).toEqual({ type: 'announce', from: 'x' });
		// A fresh IV every time: the same message never looks the same on the wire.
		expect(await encryptSignal(hello, key)).not.toBe(ours);
	});

	it('refuses another key and changed bytes', async () => {
		const key = await ywebrtc.deriveKey('s3cret-s3cret-s3cret-1', topic);
		const other = await ywebrtc.deriveKey('s3cret-s3cret-s3cret-2', topic);
		const sealed = await encryptSignal({ type: 'confer/hello' }, key);
		await expect(decryptSignal(sealed, other)).rejects.toThrow();
		const bytes = fromBase64(sealed);
		bytes[bytes.length - 1]! ^= 1;
		await expect(decryptSignal(toBase64(bytes), key)).rejects.toThrow();
		await expect(decryptSignal(toBase64(new Uint8Array([3, 1, 2, 3])), key)).rejects.toThrow();
	});
});

describe('toHello', () => {
	const hello = { type: 'confer/hello', peerId: 'p1', dtls: 'sha-256 AB:CD', to: null };

	it('accepts an announcement and an answer', () => {
		expect(toHello(hello)).toEqual(hello);
		expect(toHello({ ...hello, to: 'p2' })).toEqual({ ...hello, to: 'p2' });
	});

	it.each<[string, Record<string, unknown>]>([
		['another type', { ...hello, type: 'announce' }],
		['no peer id', { ...hello, peerId: undefined }],
		['an empty peer id', { ...hello, peerId: '' }],
		['a numeric fingerprint', { ...hello, dtls: 42 }],
		['a huge fingerprint', { ...hello, dtls: 'x'.repeat(1000) }],
		['a malformed recipient', { ...hello, to: 7 }],
		['a missing recipient', { ...hello, to: undefined }]
	])('refuses %s', (_, message) => {
		expect(toHello(message)).toBeNull();
	});
});
