import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Download, type DownloadState, type Holder } from '$lib/files/download';
import {
	chunkCount,
	hashFile,
	HASH_BYTES,
	readFileRef,
	rootHash,
	safeFileName,
	type FileRef
} from '$lib/files/manifest';
import {
	FRAME_CHUNK,
	frame,
	parseFrame,
	parseRequest,
	serve,
	type Channel
} from '$lib/files/protocol';
import type { FileStore, FileWriter } from '$lib/files/store';

const CHUNK = 64 * 1024;

/** A FileStore in memory (OPFS is a browser API). */
class MemoryStore implements FileStore {
	files = new Map<string, { bytes: Uint8Array; list: Uint8Array }>();
	writes = 0;
	async file(sha: string) {
		const held = this.files.get(sha);
		return held ? new Blob([held.bytes as Uint8Array<ArrayBuffer>]) : null;
	}
	async chunkHashes(sha: string) {
		return this.files.get(sha)?.list ?? null;
	}
	async put(sha: string, file: Blob, list: Uint8Array) {
		this.files.set(sha, { bytes: new Uint8Array(await file.arrayBuffer()), list });
	}
	async open(sha: string): Promise<FileWriter> {
		const parts = new Map<number, Uint8Array>();
		return {
			write: async (position, bytes) => {
				this.writes++;
				parts.set(position, bytes.slice());
			},
			commit: async (list) => {
				const size = [...parts.values()].reduce((n, p) => n + p.length, 0);
				const bytes = new Uint8Array(size);
				for (const [position, part] of parts) bytes.set(part, position);
				this.files.set(sha, { bytes, list });
			},
			abort: async () => parts.clear()
		};
	}
	async delete(sha: string) {
		this.files.delete(sha);
	}
}

/** Two ends of a data channel; messages cross asynchronously, as over a network. */
function channelPair(): [Channel, Channel] {
	const make = (): Channel & { other?: Channel; closed: boolean } => ({
		closed: false,
		bufferedAmount: 0,
		drained: async () => undefined,
		onmessage: null,
		onclose: null,
		send(data) {
			const other = this.other as Channel & { closed: boolean };
			if (this.closed) return;
			setTimeout(() => {
				if (!other.closed) other.onmessage?.(data);
			}, 0);
		},
		close() {
			// Messages already sent still arrive, as on a data channel closed by its sender.
			const other = this.other as Channel & { closed: boolean };
			if (this.closed) return;
			this.closed = true;
			setTimeout(() => this.onclose?.(), 0);
			setTimeout(() => {
				if (other.closed) return;
				other.closed = true;
				other.onclose?.();
			}, 0);
		}
	});
	const a = make();
	const b = make();
	a.other = b;
	b.other = a;
	return [a, b];
}

type Behaviour = {
	/** rewrites each frame the holder sends (to corrupt it) */
	tamper?: (data: ArrayBuffer) => ArrayBuffer;
	/** the holder's page closes after this many chunks */
	leaveAfter?: number;
	/** called when it leaves */
	onLeave?: () => void;
};

/** A holder serving `ref` from its own store; records what receivers asked for. */
function holder(ref: FileRef, source: MemoryStore, behaviour: Behaviour = {}) {
	const requests: string[] = [];
	let chunksSent = 0;
	const connect = async (): Promise<Channel> => {
		const [near, far] = channelPair();
		const send = far.send.bind(far);
		far.send = (data) => {
			if (typeof data !== 'string' && parseFrame(data)?.kind === FRAME_CHUNK) {
				if (behaviour.leaveAfter !== undefined && chunksSent >= behaviour.leaveAfter) {
					behaviour.onLeave?.();
					far.close();
					return;
				}
				chunksSent++;
			}
			send(typeof data === 'string' || !behaviour.tamper ? data : behaviour.tamper(data));
		};
		const onmessage = (data: string | ArrayBuffer) => {
			if (typeof data === 'string') requests.push(data);
		};
		serve(
			far,
			async (sha) => (sha === ref.sha256 ? { ref, file: (await source.file(sha))! } : null),
			source
		);
		const served = far.onmessage;
		far.onmessage = (data) => {
			onmessage(data);
			served?.(data);
		};
		return near;
	};
	return { connect, requests, sent: () => chunksSent };
}

/** SHA-256 of what `store` holds for `ref` (comparing digests, not megabytes element by element). */
function stored(store: MemoryStore, ref: FileRef): string | null {
	const bytes = store.files.get(ref.sha256)?.bytes;
	return bytes ? digest(bytes) : null;
}

function digest(bytes: Uint8Array): string {
	return createHash('sha256').update(bytes).digest('hex');
}

async function shared(size: number) {
	const bytes = new Uint8Array(randomBytes(size));
	const hashed = await hashFile(new Blob([bytes]), CHUNK);
	const ref: FileRef = {
		name: 'slides.pdf',
		size,
		type: 'application/pdf',
		sha256: hashed.sha256,
		chunkSize: CHUNK,
		root: hashed.root
	};
	const source = new MemoryStore();
	await source.put(ref.sha256, new Blob([bytes]), hashed.chunkHashes);
	return { bytes, ref, source, hashed };
}

/** Runs a download until it ends, with holders `peers` (peer id → connect). */
function fetchFrom(
	ref: FileRef,
	peers: Record<string, { connect: () => Promise<Channel> }>,
	present: () => string[] = () => Object.keys(peers)
) {
	const store = new MemoryStore();
	const download = new Download({
		ref,
		store,
		holders: () => present().map((peerId): Holder => ({ peerId, name: peerId })),
		connect: (peerId) => (peers[peerId] as { connect: () => Promise<Channel> }).connect(),
		timing: { stallMs: 2_000, retryMs: 50 }
	});
	const states: DownloadState['kind'][] = [];
	const ended = new Promise<DownloadState>((resolve) => {
		download.on('state', (state) => {
			states.push(state.kind);
			if (state.kind === 'done' || state.kind === 'failed') resolve(state);
		});
	});
	void download.start();
	return { download, store, ended, states };
}

describe('chunking and hashing', () => {
	it('hashes each chunk and the whole file, and commits to the chunk list in the root', async () => {
		const size = 2 * CHUNK + 5;
		const bytes = new Uint8Array(randomBytes(size));
		const progress: number[] = [];
		const hashed = await hashFile(new Blob([bytes]), CHUNK, (n) => progress.push(n));
		expect(hashed.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
		expect(chunkCount(size, CHUNK)).toBe(3);
		expect(hashed.chunkHashes.length).toBe(3 * HASH_BYTES);
		for (let i = 0; i < 3; i++) {
			const chunk = bytes.subarray(i * CHUNK, (i + 1) * CHUNK);
			const expected = createHash('sha256').update(chunk).digest();
			expect(Buffer.from(hashed.chunkHashes.subarray(i * 32, (i + 1) * 32))).toEqual(expected);
		}
		const root = createHash('sha256')
			.update('confer/v1/chunks\n')
			.update(hashed.chunkHashes)
			.digest('hex');
		expect(hashed.root).toBe(root);
		expect(await rootHash(hashed.chunkHashes)).toBe(root);
		expect(progress).toEqual([size]);
	});

	it('hashes files larger than one read the same way', async () => {
		const size = 5 * 1024 * 1024 + 3;
		const bytes = new Uint8Array(randomBytes(size));
		const progress: number[] = [];
		const hashed = await hashFile(new Blob([bytes]), CHUNK, (n) => progress.push(n));
		expect(hashed.sha256).toBe(digest(bytes));
		const last = chunkCount(size, CHUNK) - 1;
		expect(Buffer.from(hashed.chunkHashes.subarray(last * 32))).toEqual(
			createHash('sha256')
				.update(bytes.subarray(last * CHUNK))
				.digest()
		);
		expect(progress).toEqual([4 * 1024 * 1024, size]);
	});

	it('an empty file has no chunks', async () => {
		const hashed = await hashFile(new Blob([]), CHUNK);
		expect(hashed.chunkHashes.length).toBe(0);
		expect(hashed.sha256).toBe(createHash('sha256').digest('hex'));
	});

	it('reads a file description from a peer only when every field is well-formed', () => {
		const ref = {
			name: ' notes.txt ',
			size: 10,
			type: 'Text/Plain',
			sha256: 'a'.repeat(64),
			chunkSize: CHUNK,
			root: 'b'.repeat(64)
		};
		expect(readFileRef(ref)).toEqual({ ...ref, name: 'notes.txt', type: 'text/plain' });
		expect(readFileRef({ ...ref, type: '<script>' })?.type).toBe('application/octet-stream');
		expect(readFileRef({ ...ref, size: -1 })).toBeNull();
		expect(readFileRef({ ...ref, size: 3 * 1024 ** 3 })).toBeNull();
		expect(readFileRef({ ...ref, chunkSize: 1024 })).toBeNull();
		expect(readFileRef({ ...ref, sha256: 'A'.repeat(64) })).toBeNull();
		expect(readFileRef({ ...ref, root: undefined })).toBeNull();
		expect(readFileRef('file')).toBeNull();
	});

	it('makes names safe to save under', () => {
		expect(safeFileName('../../etc/passwd')).toBe('passwd');
		expect(safeFileName('C:\\Users\\a\\x.txt')).toBe('x.txt');
		expect(safeFileName('report: Q3?.pdf')).toBe('report_ Q3_.pdf');
		expect(safeFileName('.hidden')).toBe('hidden');
		expect(safeFileName('CON.txt')).toBe('file-CON.txt');
		expect(safeFileName('   ')).toBe('file');
	});

	it('frames and requests survive a round trip; malformed requests are refused', () => {
		const payload = new Uint8Array([1, 2, 3]);
		expect(parseFrame(frame(FRAME_CHUNK, 70_000, payload))).toEqual({
			kind: FRAME_CHUNK,
			index: 70_000,
			payload
		});
		expect(parseFrame(new ArrayBuffer(3))).toBeNull();
		const sha = 'c'.repeat(64);
		expect(parseRequest(JSON.stringify({ t: 'get', sha, from: 2, count: 1e9 }))).toEqual({
			t: 'get',
			sha,
			from: 2,
			count: 1024
		});
		expect(parseRequest(JSON.stringify({ t: 'get', sha, from: -1, count: 1 }))).toBeNull();
		expect(parseRequest(JSON.stringify({ t: 'list', sha: 'x' }))).toBeNull();
		expect(parseRequest('{')).toBeNull();
	});
});

describe('Download', () => {
	it('fetches a file whose bytes and SHA-256 equal the original', async () => {
		const { bytes, ref, source } = await shared(5 * CHUNK + 123);
		const alice = holder(ref, source);
		const { ended, store, download } = fetchFrom(ref, { alice });
		expect(await ended).toEqual({ kind: 'done' });
		expect(stored(store, ref)).toBe(digest(bytes));
		expect(download.progress.bytes).toBe(ref.size);
	});

	it('discards a corrupted chunk, stops asking its sender and fetches it from another holder', async () => {
		const { bytes, ref, source } = await shared(6 * CHUNK);
		const mallory = holder(ref, source, {
			tamper: (data) => {
				const f = parseFrame(data);
				if (f?.kind !== FRAME_CHUNK || f.index !== 2) return data;
				const bad = f.payload.slice();
				bad[100] = (bad[100] as number) ^ 0xff;
				return frame(FRAME_CHUNK, f.index, bad);
			}
		});
		const bob = holder(ref, source);
		// Mallory is the only one present at first, so she is asked first.
		let present = ['mallory'];
		const { ended, store, download } = fetchFrom(ref, { mallory, bob }, () => present);
		download.on('state', (s) => {
			if (s.kind !== 'waiting') return;
			present = ['mallory', 'bob'];
			download.holdersChanged();
		});
		const state = await ended;
		expect(state).toEqual({ kind: 'done' });
		expect(download.rejected).toEqual(new Set(['mallory']));
		expect(stored(store, ref)).toBe(digest(bytes));
		// Bob was asked from chunk 2 on: the verified chunks 0 and 1 were kept.
		const firstGet = JSON.parse(bob.requests.find((r) => r.includes('"get"')) as string);
		expect(firstGet.from).toBe(2);
	});

	it('rejects a holder whose chunk list does not match the root', async () => {
		const { bytes, ref, source, hashed } = await shared(3 * CHUNK);
		const liar = new MemoryStore();
		const forged = hashed.chunkHashes.slice();
		forged[0] = (forged[0] as number) ^ 1;
		await liar.put(ref.sha256, new Blob([bytes]), forged);
		const eve = holder(ref, liar);
		const carol = holder(ref, source);
		let present = ['eve'];
		const { ended, download } = fetchFrom(ref, { eve, carol }, () => present);
		download.on('state', (s) => {
			if (s.kind !== 'waiting') return;
			present = ['eve', 'carol'];
			download.holdersChanged();
		});
		expect(await ended).toEqual({ kind: 'done' });
		expect(download.rejected).toEqual(new Set(['eve']));
		expect(eve.requests.some((r) => r.includes('"get"'))).toBe(false);
	});

	it('resumes from the first missing chunk with another holder when the holder leaves', async () => {
		const { bytes, ref, source } = await shared(40 * CHUNK);
		let present = ['alice'];
		const alice = holder(ref, source, { leaveAfter: 17, onLeave: () => (present = []) });
		const bob = holder(ref, source);
		const { ended, store, download, states } = fetchFrom(ref, { alice, bob }, () => present);
		download.on('state', async (s) => {
			if (s.kind !== 'waiting') return;
			// Alice left and nobody else is here: the download waits. What arrived before she left
			// is kept; then Bob arrives.
			while (download.progress.bytes < 17 * CHUNK) await new Promise((r) => setTimeout(r, 5));
			present = ['bob'];
			download.holdersChanged();
		});
		expect(await ended).toEqual({ kind: 'done' });
		expect(states).toContain('waiting');
		expect(stored(store, ref)).toBe(digest(bytes));
		const firstGet = JSON.parse(bob.requests.find((r) => r.includes('"get"')) as string);
		expect(firstGet.from).toBe(17);
		// Every chunk was written once: nothing was fetched twice.
		expect(store.writes).toBe(40);
		expect(download.rejected.size).toBe(0);
	});

	it('fails verification when the whole file does not match its SHA-256, and keeps nothing', async () => {
		const { bytes, ref, hashed } = await shared(2 * CHUNK);
		// Chunks and list agree with the root, but the message names another whole-file hash.
		const forged = { ...ref, sha256: 'f'.repeat(64) };
		const source = new MemoryStore();
		await source.put(forged.sha256, new Blob([bytes]), hashed.chunkHashes);
		const alice = holder(forged, source);
		const { ended, store } = fetchFrom(forged, { alice });
		expect(await ended).toEqual({ kind: 'failed', reason: 'verification' });
		expect(store.files.size).toBe(0);
	});

	it('refuses a file larger than the device accepts, and one that does not fit', async () => {
		const { ref, source } = await shared(CHUNK);
		const alice = holder(ref, source);
		const big = fetchFrom({ ...ref, size: 3 * 1024 ** 3 }, { alice });
		expect(await big.ended).toEqual({ kind: 'failed', reason: 'too-big' });
		const store = new MemoryStore();
		const full = new Download({
			ref,
			store,
			holders: () => [{ peerId: 'alice', name: 'Alice' }],
			connect: () => alice.connect(),
			freeSpace: async () => 1024
		});
		const ended = new Promise((r) => full.on('state', r));
		void full.start();
		expect(await ended).toEqual({ kind: 'failed', reason: 'space' });
	});
});
