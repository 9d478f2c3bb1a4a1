/**
 * Where file bytes live on this device: the Origin Private File System (OPFS,
 * https://fs.spec.whatwg.org/), addressed by the file's SHA-256, never in memory. One file is
 * stored once however many meetings it was shared in; `held.ts` keeps which meetings refer to it.
 */
import { HASH_BYTES } from './manifest';

/** Receiving one file: chunks are written where they belong, then the file is committed. */
export interface FileWriter {
	/**
	 * Writes verified bytes at `position` (bytes from the start of the file).
	 *
	 * @throws DOMException `QuotaExceededError` when the device is out of space
	 */
	write(position: number, bytes: Uint8Array): Promise<void>;
	/** Makes the file whole and readable, with its chunk list; from now on it is held. */
	commit(chunkHashes: Uint8Array): Promise<void>;
	/** Drops what was written. */
	abort(): Promise<void>;
}

/** Storage of whole files by SHA-256 (64 hex digits). Implemented over OPFS; a map in unit tests. */
export interface FileStore {
	/** The complete file, backed by disk (reading it does not load it all); null when not held. */
	file(sha: string): Promise<Blob | null>;
	/** The file's chunk list (32 bytes per chunk); null when not held. */
	chunkHashes(sha: string): Promise<Uint8Array | null>;
	/** Copies a picked file in (it is streamed, not read into memory). */
	put(sha: string, file: Blob, chunkHashes: Uint8Array): Promise<void>;
	/** Starts receiving a file. */
	open(sha: string): Promise<FileWriter>;
	/** Deletes the file and its chunk list (nothing happens when they do not exist). */
	delete(sha: string): Promise<void>;
}

const DIRECTORY = 'confer-files';
const LIST_SUFFIX = '.chunks';

/** Whether this browser offers OPFS with writable streams (every current browser does). */
export function opfsAvailable(): boolean {
	return (
		typeof navigator !== 'undefined' &&
		typeof navigator.storage?.getDirectory === 'function' &&
		typeof FileSystemFileHandle !== 'undefined' &&
		'createWritable' in FileSystemFileHandle.prototype
	);
}

/**
 * Files in OPFS, directory `confer-files`: `<sha256>` holds the bytes and `<sha256>.chunks` the
 * chunk list. The list is written last, so a file counts as held only once it is whole; writes go
 * through `createWritable`, whose data replaces the file only on `close()` (File System spec), so a
 * transfer cut short leaves nothing readable behind.
 */
export class OpfsFileStore implements FileStore {
	#directory: Promise<FileSystemDirectoryHandle>;

	constructor() {
		this.#directory = navigator.storage
			.getDirectory()
			.then((root) => root.getDirectoryHandle(DIRECTORY, { create: true }));
	}

	async file(sha: string): Promise<Blob | null> {
		if (!(await this.chunkHashes(sha))) return null;
		return (await this.#handle(sha))?.getFile() ?? null;
	}

	async chunkHashes(sha: string): Promise<Uint8Array | null> {
		const handle = await this.#handle(sha + LIST_SUFFIX);
		if (!handle) return null;
		const bytes = new Uint8Array(await (await handle.getFile()).arrayBuffer());
		return bytes.length % HASH_BYTES === 0 ? bytes : null;
	}

	async put(sha: string, file: Blob, chunkHashes: Uint8Array): Promise<void> {
		if (await this.chunkHashes(sha)) return;
		const directory = await this.#directory;
		const writable = await (await directory.getFileHandle(sha, { create: true })).createWritable();
		try {
			await writable.write(file);
		} catch (error) {
			await writable.abort().catch(() => undefined);
			await directory.removeEntry(sha).catch(() => undefined);
			throw error;
		}
		await writable.close();
		await this.#writeList(directory, sha, chunkHashes);
	}

	async open(sha: string): Promise<FileWriter> {
		const directory = await this.#directory;
		const handle = await directory.getFileHandle(sha, { create: true });
		const writable = await handle.createWritable();
		let done = false;
		return {
			write: (position, bytes) =>
				writable.write({ type: 'write', position, data: bytes as Uint8Array<ArrayBuffer> }),
			commit: async (chunkHashes) => {
				done = true;
				await writable.close();
				await this.#writeList(directory, sha, chunkHashes);
			},
			abort: async () => {
				if (done) return;
				done = true;
				await writable.abort().catch(() => undefined);
				if (!(await this.chunkHashes(sha))) {
					await directory.removeEntry(sha).catch(() => undefined);
				}
			}
		};
	}

	async delete(sha: string): Promise<void> {
		const directory = await this.#directory;
		// The list first: without it the file no longer counts as held.
		await directory.removeEntry(sha + LIST_SUFFIX).catch(() => undefined);
		await directory.removeEntry(sha).catch(() => undefined);
	}

	/** Deletes every stored file (Delete everything). */
	static async deleteAll(): Promise<void> {
		if (!opfsAvailable()) return;
		const root = await navigator.storage.getDirectory();
		await root.removeEntry(DIRECTORY, { recursive: true }).catch(() => undefined);
	}

	async #writeList(directory: FileSystemDirectoryHandle, sha: string, chunkHashes: Uint8Array) {
		const list = await directory.getFileHandle(sha + LIST_SUFFIX, { create: true });
		const writable = await list.createWritable();
		await writable.write(chunkHashes as Uint8Array<ArrayBuffer>);
		await writable.close();
	}

	async #handle(name: string): Promise<FileSystemFileHandle | null> {
		try {
			return await (await this.#directory).getFileHandle(name);
		} catch {
			return null;
		}
	}
}
