/**
 * The file transfer protocol over one reliable, ordered data channel (ARCHITECTURE.md, "Files").
 * The receiver asks, the holder answers:
 *
 * | Receiver → holder (JSON text)                  | Holder → receiver                                  |
 * | ---------------------------------------------- | -------------------------------------------------- |
 * | `{ "t": "list", "sha": S }`                    | list frames: the chunk list, 2,048 hashes a frame  |
 * | `{ "t": "get", "sha": S, "from": I, "count": N }` | chunk frames I, I+1, … I+N-1, in order          |
 * |                                                | `{ "t": "none", "sha": S }` when S is not held     |
 *
 * A binary frame is `kind (u8) ‖ index (u32, big-endian) ‖ payload`: kind 1 carries chunk hashes
 * starting at hash `index`, kind 2 carries chunk `index`. The holder sends only while the channel's
 * `bufferedAmount` is below {@link HIGH_WATER}, so its memory stays flat whatever the file size;
 * the receiver asks for at most {@link WINDOW} chunks ahead of what it has written.
 */
import { chunkCount, chunkLength, HASH_BYTES, type FileRef } from './manifest';
import type { FileStore } from './store';

/** One end of a data channel carrying the protocol (a PeerJS DataConnection, or a fake in tests). */
export interface Channel {
	/** Sends a text or binary message. */
	send(data: string | ArrayBuffer): void;
	/** Bytes queued for sending (`RTCDataChannel.bufferedAmount`). */
	readonly bufferedAmount: number;
	/** Resolves once `bufferedAmount` is at or below {@link LOW_WATER}, or the channel closed. */
	drained(): Promise<void>;
	/** Called with each message received. */
	onmessage: ((data: string | ArrayBuffer) => void) | null;
	/** Called once when the channel closed, from either side. */
	onclose: (() => void) | null;
	/** Closes the channel (and its peer connection). */
	close(): void;
}

export const FRAME_LIST = 1;
export const FRAME_CHUNK = 2;
export const HEADER_BYTES = 5;
/** Hashes per list frame: 64 KiB of hashes. */
export const LIST_PART = 2048;
/** The holder waits for the send buffer to drain below 1 MiB once it is above 4 MiB. */
export const HIGH_WATER = 4 * 1024 * 1024;
export const LOW_WATER = 1024 * 1024;
/** Chunks the receiver asks for ahead of what it has written (4 MiB at 128 KiB a chunk). */
export const WINDOW = 32;
/** Most chunks one `get` may ask for. */
const MAX_GET = 1024;

/** A message from the receiver, as validated by the holder. */
export type Request =
	{ t: 'list'; sha: string } | { t: 'get'; sha: string; from: number; count: number };

/** Builds a binary frame. */
export function frame(kind: number, index: number, payload: Uint8Array): ArrayBuffer {
	const buffer = new ArrayBuffer(HEADER_BYTES + payload.length);
	const view = new DataView(buffer);
	view.setUint8(0, kind);
	view.setUint32(1, index);
	new Uint8Array(buffer, HEADER_BYTES).set(payload);
	return buffer;
}

/** Splits a binary frame; null when it is too short to be one. */
export function parseFrame(
	data: ArrayBuffer
): { kind: number; index: number; payload: Uint8Array } | null {
	if (data.byteLength < HEADER_BYTES) return null;
	const view = new DataView(data);
	return {
		kind: view.getUint8(0),
		index: view.getUint32(1),
		payload: new Uint8Array(data, HEADER_BYTES)
	};
}

/** Reads a request from a peer; null when it is not one. */
export function parseRequest(text: string): Request | null {
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch {
		return null;
	}
	if (typeof value !== 'object' || value === null) return null;
	const { t, sha, from, count } = value as Record<string, unknown>;
	if (typeof sha !== 'string' || !/^[0-9a-f]{64}$/.test(sha)) return null;
	if (t === 'list') return { t, sha };
	if (
		t === 'get' &&
		Number.isSafeInteger(from) &&
		(from as number) >= 0 &&
		Number.isSafeInteger(count) &&
		(count as number) > 0
	) {
		return { t, sha, from: from as number, count: Math.min(count as number, MAX_GET) };
	}
	return null;
}

/**
 * Answers one receiver on `channel` until it closes: sends the chunk list and the chunks it asks
 * for, from `store`, never more than {@link HIGH_WATER} bytes queued. Requests for files not in
 * `allowed` (not shared in this meeting) or not held are answered `none`; malformed requests close
 * the channel.
 *
 * @param lookup the stored file and its description, or null when not held or not shared here
 */
export function serve(
	channel: Channel,
	lookup: (sha: string) => Promise<{ ref: FileRef; file: Blob } | null>,
	store: Pick<FileStore, 'chunkHashes'>
): void {
	const queue: Request[] = [];
	let closed = false;
	let pumping = false;
	channel.onclose = () => {
		closed = true;
		queue.length = 0;
	};
	channel.onmessage = (data) => {
		const request = typeof data === 'string' ? parseRequest(data) : null;
		if (!request) {
			channel.close();
			return;
		}
		queue.push(request);
		if (!pumping) void pump();
	};

	async function send(data: ArrayBuffer) {
		if (channel.bufferedAmount > HIGH_WATER) await channel.drained();
		if (!closed) channel.send(data);
	}

	async function pump() {
		pumping = true;
		try {
			while (!closed && queue.length > 0) {
				const request = queue.shift() as Request;
				const found = await lookup(request.sha);
				const hashes = found ? await store.chunkHashes(request.sha) : null;
				if (!found || !hashes) {
					channel.send(JSON.stringify({ t: 'none', sha: request.sha }));
					continue;
				}
				if (request.t === 'list') {
					for (let i = 0; i * HASH_BYTES < hashes.length && !closed; i += LIST_PART) {
						await send(
							frame(FRAME_LIST, i, hashes.subarray(i * HASH_BYTES, (i + LIST_PART) * HASH_BYTES))
						);
					}
					continue;
				}
				const { ref, file } = found;
				const end = Math.min(request.from + request.count, chunkCount(ref.size, ref.chunkSize));
				// Read one chunk ahead while the previous one is being sent.
				const read = (index: number) => {
					const start = index * ref.chunkSize;
					return file.slice(start, start + chunkLength(ref, index)).arrayBuffer();
				};
				let next = request.from < end ? read(request.from) : null;
				for (let index = request.from; index < end && next && !closed; index++) {
					const bytes = new Uint8Array(await next);
					next = index + 1 < end ? read(index + 1) : null;
					await send(frame(FRAME_CHUNK, index, bytes));
				}
			}
		} catch {
			// The stored file went away (deleted meanwhile) or could not be read: end this transfer.
			channel.close();
		} finally {
			pumping = false;
		}
	}
}
