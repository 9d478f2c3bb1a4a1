import { fromBase64, toBase64 } from 'lib0/buffer';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

/**
 * Messages on a room's signaling topic, encrypted exactly as y-webrtc 10.3 encrypts its own
 * (`src/crypto.js`): the value lib0-encoded with `writeAny`, sealed with AES-GCM under the room key
 * (PBKDF2 of the meeting secret), framed as lib0 `"AES-GCM" ‖ iv (12 bytes) ‖ ciphertext` and sent
 * as base64 in the publish's `data`. The relay sees only ciphertext, like y-webrtc's own messages.
 */

const ALGORITHM = 'AES-GCM';
/** AES-GCM's recommended IV length (NIST SP 800-38D §8.2), as y-webrtc uses. */
const IV_BYTES = 12;

/**
 * Encrypts a value for the room's signaling topic.
 *
 * @param data any value lib0's `writeAny` encodes (objects, arrays, strings, numbers, booleans, null)
 * @param key the room key (`WebrtcProvider.key`)
 * @returns base64 of the sealed frame, for a publish's `data`
 */
export async function encryptSignal(data: unknown, key: CryptoKey): Promise<string> {
	const plain = encoding.createEncoder();
	encoding.writeAny(plain, data as Parameters<typeof encoding.writeAny>[1]);
	const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
	const cipher = await crypto.subtle.encrypt(
		{ name: ALGORITHM, iv },
		key,
		encoding.toUint8Array(plain)
	);
	const frame = encoding.createEncoder();
	encoding.writeVarString(frame, ALGORITHM);
	encoding.writeVarUint8Array(frame, iv);
	encoding.writeVarUint8Array(frame, new Uint8Array(cipher));
	return toBase64(encoding.toUint8Array(frame));
}

/**
 * Decrypts a publish's `data` from the room's signaling topic.
 *
 * @returns the value that was encrypted (untrusted: validate its shape before use)
 * @throws Error when the frame is malformed, names another algorithm, or fails authentication
 *   (another key, or bytes changed on the way)
 */
export async function decryptSignal(base64: string, key: CryptoKey): Promise<unknown> {
	const frame = decoding.createDecoder(fromBase64(base64));
	if (decoding.readVarString(frame) !== ALGORITHM) throw new Error('Unknown encryption algorithm');
	const iv = decoding.readVarUint8Array(frame);
	const cipher = decoding.readVarUint8Array(frame);
	const plain = await crypto.subtle.decrypt({ name: ALGORITHM, iv }, key, cipher);
	return decoding.readAny(decoding.createDecoder(new Uint8Array(plain)));
}
