/**
 * Encodes `text` (then `tail`) as one complete, unmasked WebSocket text frame (RFC 6455 §5.2: FIN,
 * opcode 0x1, 7/16/64-bit payload length), header and UTF-8 payload in a single buffer. A frame
 * built once can be written to every receiver's socket, instead of serializing and framing once per
 * receiver.
 *
 * @param text the payload, as a string or as UTF-8 bytes.
 * @param tail more payload appended after `text`.
 * @returns the frame bytes; its length is the number of bytes each write puts on the wire.
 */
export function encodeTextFrame(text: string | Uint8Array, tail = ''): Buffer {
	const textLength = typeof text === 'string' ? Buffer.byteLength(text) : text.length;
	const length = textLength + Buffer.byteLength(tail);
	const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
	const frame = Buffer.allocUnsafe(headerLength + length);
	frame[0] = 0x81;
	if (length < 126) {
		frame[1] = length;
	} else if (length < 65_536) {
		frame[1] = 126;
		frame.writeUInt16BE(length, 2);
	} else {
		frame[1] = 127;
		frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
		frame.writeUInt32BE(length >>> 0, 6);
	}
	if (typeof text === 'string') frame.write(text, headerLength, 'utf8');
	else frame.set(text, headerLength);
	if (tail !== '') frame.write(tail, headerLength + textLength, 'utf8');
	return frame;
}

/** The payload of a frame made by {@link encodeTextFrame} (a view, not a copy). */
export function framePayload(frame: Buffer): Buffer {
	const marker = (frame[1] ?? 0) & 0x7f;
	return frame.subarray(marker < 126 ? 2 : marker === 126 ? 4 : 10);
}
