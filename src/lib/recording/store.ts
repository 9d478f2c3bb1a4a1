/**
 * Recordings kept on this device (ARCHITECTURE.md, "Recording"). While recording, the encoder's
 * output arrives every second and each piece is written at once to IndexedDB
 * (`confer-recording-chunks`), so a crash or reload loses at most a second. When the recording
 * stops (or is recovered after a crash), the pieces become one seekable file in the Origin Private
 * File System (`confer-recordings/<id>.<ext>`) and are deleted. What each recording is lives in
 * IndexedDB `confer-recordings`.
 */
import { createStore, del, delMany, entries, get, keys, set, type UseStore } from 'idb-keyval';

/** One recording. Times are ms since the epoch; durations ms; sizes bytes. */
export type RecordingMeta = {
	id: string;
	/** the meeting's code */
	code: string;
	/** the meeting's title when recording started ('' when none) */
	title: string;
	startedAt: number;
	/** `recording`: chunks are still arriving (or the tab crashed); `recovered`: finished after a crash */
	state: 'recording' | 'done' | 'recovered';
	/** MediaRecorder's MIME type, e.g. `video/webm;codecs=vp8,opus` */
	mimeType: string;
	/** the finished file's extension: `webm` or `mp4` */
	ext: 'webm' | 'mp4';
	/** 0 until finished */
	durationMs: number;
	/** bytes of the finished file (of the chunks so far while recording) */
	size: number;
};

const CHUNK_KEY_DIGITS = 8;

/** Keys of chunks sort in recording order: `<id>:<seq, zero-padded>`. */
function chunkKey(id: string, seq: number): string {
	return `${id}:${String(seq).padStart(CHUNK_KEY_DIGITS, '0')}`;
}

/** The recordings' records and chunks; injectable stores for tests. */
export class RecordingStore {
	#meta: UseStore;
	#chunks: UseStore;

	constructor(
		meta: UseStore = createStore('confer-recordings', 'recordings'),
		chunks: UseStore = createStore('confer-recording-chunks', 'chunks')
	) {
		this.#meta = meta;
		this.#chunks = chunks;
	}

	/** Records that a recording started. */
	async begin(meta: RecordingMeta): Promise<void> {
		await set(meta.id, meta, this.#meta);
	}

	/**
	 * Stores one piece of the encoder's output, in order.
	 *
	 * @param seq 0, 1, 2… in the order MediaRecorder produced them
	 * @throws DOMException `QuotaExceededError` when the device is full
	 */
	async append(id: string, seq: number, bytes: Uint8Array): Promise<void> {
		await set(chunkKey(id, seq), bytes, this.#chunks);
		const meta = await this.get(id);
		if (meta) await set(id, { ...meta, size: meta.size + bytes.length }, this.#meta);
	}

	/** The recording's chunks in order, as one Blob of type `mimeType`. */
	async assemble(id: string, mimeType: string): Promise<Blob> {
		const prefix = `${id}:`;
		const parts = (await entries<string, Uint8Array>(this.#chunks))
			.filter(([key]) => key.startsWith(prefix))
			.sort(([a], [b]) => (a < b ? -1 : 1))
			.map(([, bytes]) => bytes as Uint8Array<ArrayBuffer>);
		return new Blob(parts, { type: mimeType });
	}

	/** Deletes the recording's chunks (once its file is written, or with it). */
	async dropChunks(id: string): Promise<void> {
		const prefix = `${id}:`;
		await delMany(
			(await keys<string>(this.#chunks)).filter((key) => key.startsWith(prefix)),
			this.#chunks
		);
	}

	/** Marks a recording finished, with its file's duration and size. */
	async finish(
		id: string,
		patch: Pick<RecordingMeta, 'state' | 'durationMs' | 'size'>
	): Promise<void> {
		const meta = await this.get(id);
		if (meta) await set(id, { ...meta, ...patch }, this.#meta);
	}

	async get(id: string): Promise<RecordingMeta | null> {
		return (await get<RecordingMeta>(id, this.#meta)) ?? null;
	}

	/** Every recording (of meeting `code` only, when given), newest first. */
	async list(code?: string): Promise<RecordingMeta[]> {
		return (await entries<string, RecordingMeta>(this.#meta))
			.map(([, meta]) => meta)
			.filter((meta) => code === undefined || meta.code === code)
			.sort((a, b) => b.startedAt - a.startedAt);
	}

	/** Recordings that never finished: being recorded in a tab now, or cut short by a crash. */
	async unfinished(): Promise<RecordingMeta[]> {
		return (await this.list()).filter((meta) => meta.state === 'recording');
	}

	/** Forgets a recording and its chunks (the file is the caller's). */
	async remove(id: string): Promise<void> {
		await this.dropChunks(id);
		await del(id, this.#meta);
	}
}
