/**
 * What a file message says about its file, and how a file is cut into chunks and hashed
 * (ARCHITECTURE.md, "Files"). Everything here is pure and runs in a page, a worker or Node.
 *
 * - The file is cut into chunks of `chunkSize` bytes (the last one may be shorter).
 * - Each chunk has a SHA-256 hash (FIPS 180-4); the **chunk list** is their concatenation,
 *   32 bytes per chunk, in order.
 * - The **root** is SHA-256 of `"confer/v1/chunks\n"` followed by the chunk list, so a holder
 *   cannot hand out another list than the one the sender committed to in the room document.
 * - `sha256` is SHA-256 of the whole file, checked once the last chunk is written.
 */
import { createSHA256, type IHasher } from 'hash-wasm';
import { MAX_FILE_SIZE } from '$lib/settings';
import { isRecord } from '$lib/room/sanitize';

/** A file as a chat message describes it, in the room document. */
export type FileRef = {
	/** the sender's file name, at most {@link MAX_FILE_NAME_LENGTH} code units */
	name: string;
	/** bytes */
	size: number;
	/** MIME type as the sender's browser reported it, `application/octet-stream` when unknown */
	type: string;
	/** SHA-256 of the whole file, 64 lowercase hex digits */
	sha256: string;
	/** bytes per chunk, {@link MIN_CHUNK_SIZE}…{@link MAX_CHUNK_SIZE} */
	chunkSize: number;
	/** SHA-256 committing to the chunk list (see the module comment), 64 lowercase hex digits */
	root: string;
};

/**
 * Bytes per chunk for files Confer sends: 128 KiB. A chunk and its 5-byte frame header fit in one
 * data channel message (Chromium's SCTP `maxMessageSize` is 256 KiB), and one chunk is hashed and
 * written in well under a frame's time.
 */
export const CHUNK_SIZE = 128 * 1024;
/** Smallest and largest chunk size accepted from a peer's message (64 KiB and 256 KiB). */
export const MIN_CHUNK_SIZE = 64 * 1024;
export const MAX_CHUNK_SIZE = 256 * 1024;
/** Bytes of one chunk hash (SHA-256). */
export const HASH_BYTES = 32;
/** Longest file name kept, in UTF-16 code units (most file systems allow 255 bytes). */
export const MAX_FILE_NAME_LENGTH = 255;

const HEX64 = /^[0-9a-f]{64}$/;
const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;
const ROOT_PREFIX = new TextEncoder().encode('confer/v1/chunks\n');

/** How many chunks a file of `size` bytes has (a file of 0 bytes has none). */
export function chunkCount(size: number, chunkSize: number): number {
	return Math.ceil(size / chunkSize);
}

/** The byte length of chunk `index` of a file. */
export function chunkLength(ref: Pick<FileRef, 'size' | 'chunkSize'>, index: number): number {
	return Math.min(ref.chunkSize, ref.size - index * ref.chunkSize);
}

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
	let hex = '';
	for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
	return hex;
}

/** SHA-256 of `bytes` (Web Crypto), as raw bytes. */
export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
	return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

/** The root hash committing to `chunkHashes` (32 bytes per chunk, in order), as hex. */
export async function rootHash(chunkHashes: Uint8Array): Promise<string> {
	const input = new Uint8Array(ROOT_PREFIX.length + chunkHashes.length);
	input.set(ROOT_PREFIX);
	input.set(chunkHashes, ROOT_PREFIX.length);
	return toHex(await sha256(input));
}

/** Whether two byte arrays hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
	if (a.length !== b.length) return false;
	for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
	return true;
}

/** An incremental SHA-256 of a whole file, fed chunk by chunk in order (hash-wasm). */
export async function wholeFileHasher(): Promise<IHasher> {
	const hasher = await createSHA256();
	hasher.init();
	return hasher;
}

/** A file name safe to save under: no path, control or reserved characters, not hidden, not empty. */
export function safeFileName(name: string): string {
	const base = name.split(/[/\\]/).pop() ?? '';
	const cleaned = base
		// eslint-disable-next-line no-control-regex
		.replace(/[\u0000-\u001f\u007f<>:"/\\|?*]+/g, '_')
		.replace(/^[\s.]+|[\s.]+$/g, '')
		.slice(0, MAX_FILE_NAME_LENGTH);
	// Windows reserves these names whatever the extension.
	if (cleaned === '' || /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i.test(cleaned)) {
		return `file${cleaned ? `-${cleaned}` : ''}`;
	}
	return cleaned;
}

/**
 * Reads a file description written by any peer.
 *
 * @returns a fresh {@link FileRef}, or null when a field is missing, malformed or out of range
 *   (sizes above {@link MAX_FILE_SIZE} included)
 */
export function readFileRef(value: unknown): FileRef | null {
	if (!isRecord(value)) return null;
	const { name, size, type, sha256, chunkSize, root } = value;
	if (typeof name !== 'string' || typeof sha256 !== 'string' || typeof root !== 'string')
		return null;
	if (!Number.isSafeInteger(size) || (size as number) < 0 || (size as number) > MAX_FILE_SIZE)
		return null;
	if (
		!Number.isSafeInteger(chunkSize) ||
		(chunkSize as number) < MIN_CHUNK_SIZE ||
		(chunkSize as number) > MAX_CHUNK_SIZE
	)
		return null;
	if (!HEX64.test(sha256) || !HEX64.test(root)) return null;
	const cleanName = name.trim().slice(0, MAX_FILE_NAME_LENGTH);
	return {
		name: cleanName === '' ? 'file' : cleanName,
		size: size as number,
		type:
			typeof type === 'string' && MIME.test(type.toLowerCase())
				? type.toLowerCase()
				: 'application/octet-stream',
		sha256,
		chunkSize: chunkSize as number,
		root
	};
}

/** What hashing a file produced: the message's hashes and the chunk list to keep beside it. */
export type Hashed = { sha256: string; root: string; chunkHashes: Uint8Array };

/** Bytes read from a file at once when hashing it (whole chunks): fewer, larger reads are faster. */
const READ_BLOCK = 4 * 1024 * 1024;

/**
 * Hashes a file chunk by chunk, holding at most {@link READ_BLOCK} bytes in memory: each chunk with
 * Web Crypto, the whole file incrementally.
 *
 * @param file any Blob (a picked `File`, a stored file)
 * @param chunkSize bytes per chunk
 * @param onProgress called after each block with the bytes hashed so far
 * @param signal stops hashing (rejects with its reason)
 */
export async function hashFile(
	file: Blob,
	chunkSize: number = CHUNK_SIZE,
	onProgress?: (bytes: number) => void,
	signal?: AbortSignal
): Promise<Hashed> {
	const count = chunkCount(file.size, chunkSize);
	const chunkHashes = new Uint8Array(count * HASH_BYTES);
	const whole = await wholeFileHasher();
	const perBlock = Math.max(1, Math.floor(READ_BLOCK / chunkSize));
	for (let first = 0; first < count; first += perBlock) {
		signal?.throwIfAborted();
		const start = first * chunkSize;
		const block = new Uint8Array(
			await file.slice(start, Math.min(file.size, start + perBlock * chunkSize)).arrayBuffer()
		);
		const digests = [];
		for (let offset = 0; offset < block.length; offset += chunkSize) {
			digests.push(sha256(block.subarray(offset, offset + chunkSize)));
		}
		whole.update(block);
		(await Promise.all(digests)).forEach((digest, i) =>
			chunkHashes.set(digest, (first + i) * HASH_BYTES)
		);
		onProgress?.(start + block.length);
	}
	return { sha256: whole.digest('hex'), root: await rootHash(chunkHashes), chunkHashes };
}
