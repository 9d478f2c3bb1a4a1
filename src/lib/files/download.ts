import { ObservableV2 } from 'lib0/observable';
import type { IHasher } from 'hash-wasm';
import { MAX_FILE_SIZE, STORAGE_MARGIN } from '$lib/settings';
import {
	chunkCount,
	chunkLength,
	HASH_BYTES,
	rootHash,
	sameBytes,
	sha256,
	wholeFileHasher,
	type FileRef
} from './manifest';
import { FRAME_CHUNK, FRAME_LIST, parseFrame, WINDOW, type Channel } from './protocol';
import type { FileStore, FileWriter } from './store';

/** Someone in the meeting who announces the file. */
export type Holder = { peerId: string; name: string };

/** Why a download stopped for good; `ui/messages.ts`-style words are in the chat's file view. */
export type DownloadFailure = 'too-big' | 'space' | 'verification' | 'storage';

/** Where a download is. */
export type DownloadState =
	| { kind: 'starting' }
	/** no one who has the file is here: it goes on when someone is */
	| { kind: 'waiting' }
	| { kind: 'receiving'; from: string }
	| { kind: 'done' }
	| { kind: 'failed'; reason: DownloadFailure }
	| { kind: 'cancelled' };

/** Progress, for the progress bar. */
export type DownloadProgress = {
	/** bytes verified and written */
	bytes: number;
	/** bytes per second over the last few seconds, 0 until known */
	speed: number;
};

export type DownloadEvents = {
	/** The state changed (see {@link Download.state}). */
	state: (state: DownloadState) => void;
	/** More bytes arrived (at most every {@link PROGRESS_MS}). */
	progress: (progress: DownloadProgress) => void;
};

/** Deadlines: no message for `stallMs` counts as a lost holder; a holder that could not be reached is retried after `retryMs`. */
export type DownloadTiming = { stallMs: number; retryMs: number };
export const DOWNLOAD_TIMING: DownloadTiming = { stallMs: 10_000, retryMs: 3_000 };

const PROGRESS_MS = 100;
const SPEED_WINDOW_MS = 3_000;

/**
 * Fetches one file from whoever holds it (ARCHITECTURE.md, "Files"), verifying as it goes:
 *
 * - the chunk list a holder sends must hash to the message's root, or the holder is rejected;
 * - each chunk must hash to its entry in that list, or it is discarded and its holder rejected
 *   (never asked again for this file) and the transfer continues from another;
 * - the whole file must hash to the message's SHA-256 before it is committed to the store.
 *
 * Chunks are taken strictly in order, so if the holder leaves or the connection drops the
 * transfer resumes from the first chunk not yet verified, with another holder if there is one,
 * or waits (state `waiting`) until one is present. Memory stays at most {@link WINDOW} chunks.
 */
export class Download extends ObservableV2<DownloadEvents> {
	readonly ref: FileRef;
	#store: FileStore;
	#holders: () => Holder[];
	#connect: (peerId: string) => Promise<Channel>;
	#freeSpace: () => Promise<number | null>;
	#timing: DownloadTiming;
	#count: number;
	#state: DownloadState = { kind: 'starting' };
	#writer: FileWriter | null = null;
	#hasher: IHasher | null = null;
	#list: Uint8Array | null = null;
	#listBuffer: Uint8Array;
	#listReceived = 0;
	/** first chunk not yet verified and written */
	#next = 0;
	/** one past the last chunk asked for on the current channel */
	#requested = 0;
	/** the chunk expected next on the current channel */
	#arrival = 0;
	#channel: Channel | null = null;
	#generation = 0;
	#work: Promise<void> = Promise.resolve();
	#rejected = new Set<string>();
	#failedAt = new Map<string, number>();
	#stallTimer: ReturnType<typeof setTimeout> | undefined;
	#retryTimer: ReturnType<typeof setTimeout> | undefined;
	#samples: { at: number; bytes: number }[] = [];
	#lastProgress = 0;

	/**
	 * @param options.ref the file as the message describes it
	 * @param options.store where the bytes go
	 * @param options.holders who in the meeting announces the file now (this device excluded)
	 * @param options.connect opens a data channel to a holder; rejects when it cannot
	 * @param options.freeSpace bytes this origin may still store, null when unknown
	 */
	constructor(options: {
		ref: FileRef;
		store: FileStore;
		holders: () => Holder[];
		connect: (peerId: string) => Promise<Channel>;
		freeSpace?: () => Promise<number | null>;
		timing?: DownloadTiming;
	}) {
		super();
		this.ref = options.ref;
		this.#store = options.store;
		this.#holders = options.holders;
		this.#connect = options.connect;
		this.#freeSpace = options.freeSpace ?? (async () => null);
		this.#timing = options.timing ?? DOWNLOAD_TIMING;
		this.#count = chunkCount(this.ref.size, this.ref.chunkSize);
		this.#listBuffer = new Uint8Array(this.#count * HASH_BYTES);
	}

	get state(): DownloadState {
		return this.#state;
	}

	/** Bytes verified and written so far, and the recent speed. */
	get progress(): DownloadProgress {
		return { bytes: this.#bytes(), speed: this.#speed() };
	}

	/** Peer ids rejected for sending a wrong chunk list or chunk. */
	get rejected(): ReadonlySet<string> {
		return this.#rejected;
	}

	/** Checks the size and the free space, opens the file in the store, then fetches. */
	async start(): Promise<void> {
		if (this.ref.size > MAX_FILE_SIZE) return this.#fail('too-big');
		const free = await this.#freeSpace().catch(() => null);
		if (free !== null && free < this.ref.size + STORAGE_MARGIN) return this.#fail('space');
		try {
			this.#writer = await this.#store.open(this.ref.sha256);
			this.#hasher = await wholeFileHasher();
		} catch {
			return this.#fail('storage');
		}
		if (this.#over) return void this.#writer.abort();
		this.#samples = [{ at: performance.now(), bytes: 0 }];
		if (this.#count === 0) return this.#finish();
		this.#pick();
	}

	/** Who holds the file changed: a waiting download starts again. */
	holdersChanged(): void {
		if (this.#state.kind === 'waiting') this.#pick();
	}

	/** Stops and drops what was received. */
	cancel(): void {
		if (this.#over) return;
		this.#drop();
		void this.#writer?.abort();
		this.#setState({ kind: 'cancelled' });
	}

	get #over(): boolean {
		const { kind } = this.#state;
		return kind === 'done' || kind === 'failed' || kind === 'cancelled';
	}

	#bytes(): number {
		return Math.min(this.ref.size, this.#next * this.ref.chunkSize);
	}

	#speed(): number {
		const first = this.#samples[0];
		const last = this.#samples.at(-1);
		if (!first || !last || last.at - first.at < 500) return 0;
		return ((last.bytes - first.bytes) * 1000) / (last.at - first.at);
	}

	#setState(state: DownloadState) {
		this.#state = state;
		this.emit('state', [state]);
	}

	/** Chooses a holder: not rejected, and not one that failed to connect in the last `retryMs`. */
	#pick() {
		clearTimeout(this.#retryTimer);
		if (this.#over || this.#channel) return;
		const now = performance.now();
		const all = this.#holders().filter((h) => !this.#rejected.has(h.peerId));
		const ready = all.filter(
			(h) => now - (this.#failedAt.get(h.peerId) ?? -Infinity) >= this.#timing.retryMs
		);
		if (ready.length === 0) {
			if (this.#state.kind !== 'waiting') this.#setState({ kind: 'waiting' });
			// Holders that failed to connect are tried again after a pause.
			if (all.length > 0) this.#retryTimer = setTimeout(() => this.#pick(), this.#timing.retryMs);
			return;
		}
		void this.#use(ready[Math.floor(Math.random() * ready.length)] as Holder);
	}

	async #use(holder: Holder) {
		const generation = ++this.#generation;
		this.#setState({ kind: 'receiving', from: holder.name });
		let channel: Channel;
		try {
			channel = await this.#connect(holder.peerId);
		} catch {
			if (generation !== this.#generation || this.#over) return;
			this.#failedAt.set(holder.peerId, performance.now());
			this.#pick();
			return;
		}
		if (generation !== this.#generation || this.#over) {
			channel.close();
			return;
		}
		this.#channel = channel;
		this.#requested = this.#next;
		this.#arrival = this.#next;
		channel.onmessage = (data) => this.#onMessage(generation, holder, data);
		channel.onclose = () => this.#lost(generation, holder);
		this.#armStall(generation, holder);
		if (this.#list) this.#requestMore();
		else channel.send(JSON.stringify({ t: 'list', sha: this.ref.sha256 }));
	}

	#onMessage(generation: number, holder: Holder, data: string | ArrayBuffer) {
		if (generation !== this.#generation) return;
		this.#armStall(generation, holder);
		if (typeof data === 'string') {
			// `none`: they no longer have it (deleted it meanwhile). Anything else is a fault.
			this.#failedAt.set(holder.peerId, performance.now());
			this.#drop();
			this.#pick();
			return;
		}
		const frame = parseFrame(data);
		if (frame?.kind === FRAME_LIST && !this.#list) return void this.#onList(holder, frame);
		if (frame?.kind === FRAME_CHUNK && this.#list && frame.index === this.#arrival) {
			this.#arrival++;
			const { index, payload } = frame;
			this.#work = this.#work.then(() => this.#take(holder, index, payload));
			return;
		}
		this.#reject(holder);
	}

	#onList(holder: Holder, frame: { index: number; payload: Uint8Array }) {
		const { index, payload } = frame;
		const end = (index * HASH_BYTES + payload.length) / HASH_BYTES;
		if (index !== this.#listReceived || payload.length % HASH_BYTES !== 0 || end > this.#count) {
			return this.#reject(holder);
		}
		this.#listBuffer.set(payload, index * HASH_BYTES);
		this.#listReceived = end;
		if (end < this.#count) return;
		const list = this.#listBuffer;
		void rootHash(list).then((root) => {
			if (this.#over) return;
			if (root !== this.ref.root) return this.#reject(holder);
			this.#list = list;
			this.#requestMore();
		});
	}

	async #take(holder: Holder, index: number, payload: Uint8Array) {
		// Chunks that arrived before their channel closed are still good: only a rejected holder's
		// chunks are dropped.
		const current = () => index === this.#next && !this.#over && !this.#rejected.has(holder.peerId);
		if (!current()) return;
		const list = this.#list as Uint8Array;
		const expected = list.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES);
		if (
			payload.length !== chunkLength(this.ref, index) ||
			!sameBytes(await sha256(payload), expected)
		) {
			if (current()) this.#reject(holder);
			return;
		}
		try {
			await this.#writer?.write(index * this.ref.chunkSize, payload);
		} catch (error) {
			if (this.#over) return;
			this.#drop();
			void this.#writer?.abort();
			return this.#fail(
				error instanceof DOMException && error.name === 'QuotaExceededError' ? 'space' : 'storage'
			);
		}
		if (!current()) return;
		this.#hasher?.update(payload);
		this.#next++;
		this.#reportProgress();
		if (this.#next === this.#count) return this.#finish();
		this.#requestMore();
	}

	/** Keeps up to {@link WINDOW} chunks asked for ahead of the first not yet written. */
	#requestMore() {
		const channel = this.#channel;
		if (!channel || !this.#list) return;
		const ahead = this.#requested - this.#next;
		if (ahead > WINDOW / 2 || this.#requested >= this.#count) return;
		const count = Math.min(WINDOW - ahead, this.#count - this.#requested);
		channel.send(JSON.stringify({ t: 'get', sha: this.ref.sha256, from: this.#requested, count }));
		this.#requested += count;
	}

	#reportProgress() {
		const now = performance.now();
		this.#samples.push({ at: now, bytes: this.#bytes() });
		while (
			this.#samples.length > 2 &&
			now - (this.#samples[1] as { at: number }).at > SPEED_WINDOW_MS
		) {
			this.#samples.shift();
		}
		if (now - this.#lastProgress >= PROGRESS_MS || this.#next === this.#count) {
			this.#lastProgress = now;
			this.emit('progress', [this.progress]);
		}
	}

	async #finish() {
		this.#drop();
		const digest = this.#hasher?.digest('hex');
		if (digest !== this.ref.sha256) {
			await this.#writer?.abort();
			return this.#fail('verification');
		}
		try {
			await this.#writer?.commit(this.#list ?? new Uint8Array(0));
		} catch {
			return this.#fail('storage');
		}
		this.#setState({ kind: 'done' });
	}

	/** A holder sent something wrong: it is never asked again for this file. */
	#reject(holder: Holder) {
		this.#rejected.add(holder.peerId);
		this.#drop();
		// A list that did not match the root is asked for again, from someone else.
		if (!this.#list) this.#listReceived = 0;
		this.#pick();
	}

	/** The holder left, the connection dropped or went silent: go on from the first missing chunk. */
	#lost(generation: number, holder: Holder) {
		if (generation !== this.#generation || this.#over) return;
		this.#failedAt.set(holder.peerId, performance.now());
		this.#drop();
		if (!this.#list) this.#listReceived = 0;
		this.#pick();
	}

	#armStall(generation: number, holder: Holder) {
		clearTimeout(this.#stallTimer);
		this.#stallTimer = setTimeout(() => this.#lost(generation, holder), this.#timing.stallMs);
	}

	/** Closes the current channel; what arrives on it from now on is ignored. */
	#drop() {
		this.#generation++;
		clearTimeout(this.#stallTimer);
		const channel = this.#channel;
		this.#channel = null;
		if (channel) {
			channel.onmessage = null;
			channel.onclose = null;
			channel.close();
		}
	}

	#fail(reason: DownloadFailure) {
		clearTimeout(this.#retryTimer);
		this.#setState({ kind: 'failed', reason });
	}

	destroy(): void {
		this.cancel();
		clearTimeout(this.#retryTimer);
		super.destroy();
	}
}
