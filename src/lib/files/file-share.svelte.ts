import type { Awareness } from 'y-protocols/awareness';
import type { DataConnection } from 'peerjs';
import type { Mesh } from '$lib/media/mesh';
import type { LocalPresence } from '$lib/meeting/local-presence';
import { readPresence } from '$lib/room/presence';
import type { RoomDoc } from '$lib/room/room-doc';
import { MAX_FILE_SIZE, PREVIEW_MAX_BYTES } from '$lib/settings';
import type { DeviceFiles } from './device';
import { Download, type DownloadFailure, type Holder } from './download';
import { CHUNK_SIZE, hashFile, type FileRef } from './manifest';
import { LOW_WATER, serve, type Channel } from './protocol';
import { saveFile } from './save';

/** What this device knows of a shared file, for the chat. */
export type FileView =
	| { kind: 'remote' }
	| { kind: 'held' }
	| { kind: 'waiting'; bytes: number }
	| { kind: 'receiving'; from: string; bytes: number; speed: number }
	| { kind: 'failed'; reason: DownloadFailure };

/** Why a file could not be attached. */
export type AttachFailure = 'too-big' | 'space' | 'unsupported' | 'storage';

/** A file could not be attached; `reason` says why, `ui/messages.ts`-style words are in the chat. */
export class AttachError extends Error {
	constructor(readonly reason: AttachFailure) {
		super(`The file could not be attached: ${reason}.`);
		this.name = 'AttachError';
	}
}

/** The `RTCDataChannel.label` of file transfers. */
const LABEL = 'confer-file';

/** Image types shown inline (raster formats every browser decodes in `<img>`). */
const PREVIEW_TYPES = new Set([
	'image/png',
	'image/jpeg',
	'image/gif',
	'image/webp',
	'image/avif',
	'image/bmp'
]);

/** Whether a file is an image small enough to fetch and show by itself. */
export function isPreviewable(ref: FileRef): boolean {
	return PREVIEW_TYPES.has(ref.type) && ref.size <= PREVIEW_MAX_BYTES;
}

/**
 * Files in one meeting's chat (ARCHITECTURE.md, "Files"): attaching (hashing into the device's
 * store), fetching from whoever holds a file, serving the files this device holds to the others,
 * and announcing them in presence. Images up to {@link PREVIEW_MAX_BYTES} are fetched by
 * themselves. Bytes never pass through a server: transfers are PeerJS data connections between
 * participants, opened for one transfer and closed after it.
 */
export class FileShare {
	/** What is known of each shared file, by SHA-256; files not listed are `remote`. */
	views = $state.raw<Record<string, FileView>>({});
	/** Who holds each shared file among the others here now, by SHA-256. */
	holders = $state.raw<Record<string, Holder[]>>({});

	#code: string;
	#room: RoomDoc;
	#awareness: Awareness;
	#presence: LocalPresence;
	#device: DeviceFiles | null;
	#mesh: Mesh | null = null;
	#downloads = new Map<string, Download>();
	#held = new Set<string>();
	/** Previews, by SHA-256: blob URLs of held images. */
	#previews = new Map<string, string>();
	/** Images not fetched by themselves again (cancelled or failed once). */
	#skipAuto = new Set<string>();
	#cleanup: (() => void)[] = [];
	#destroyed = false;

	constructor(options: {
		code: string;
		room: RoomDoc;
		awareness: Awareness;
		presence: LocalPresence;
		device: DeviceFiles | null;
	}) {
		this.#code = options.code;
		this.#room = options.room;
		this.#awareness = options.awareness;
		this.#presence = options.presence;
		this.#device = options.device;
		const onRoom = () => this.#onRoom();
		this.#cleanup.push(this.#room.onChange(onRoom));
		const onAwareness = () => this.#onAwareness();
		this.#awareness.on('change', onAwareness);
		this.#cleanup.push(() => this.#awareness.off('change', onAwareness));
		this.#onAwareness();
		void this.#loadHeld();
	}

	/** Whether this browser can keep files (OPFS); without it files can be neither sent nor fetched. */
	get supported(): boolean {
		return this.#device !== null;
	}

	/** Serves held files to others and fetches through this mesh (set once it exists). */
	attach(mesh: Mesh): void {
		this.#mesh = mesh;
		const onConnection = (connection: DataConnection) => {
			if (connection.label !== LABEL) return connection.close();
			connection.on('open', () => {
				const device = this.#device;
				if (!device || this.#destroyed) return connection.close();
				serve(channelOf(connection), (sha) => this.#lookup(sha), device.store);
			});
		};
		mesh.on('connection', onConnection);
		this.#cleanup.push(() => mesh.off('connection', onConnection));
		for (const download of this.#downloads.values()) download.holdersChanged();
	}

	/**
	 * Hashes a picked file and copies it into the device's store, ready to be posted with
	 * {@link Meeting.send}. Nothing is shared until then.
	 *
	 * @param onProgress bytes hashed so far
	 * @throws AttachError `too-big` above MAX_FILE_SIZE, `space` when the device is full,
	 *   `unsupported` without OPFS, `storage` when the store failed otherwise
	 */
	async prepare(
		file: File,
		onProgress?: (bytes: number) => void,
		signal?: AbortSignal
	): Promise<FileRef> {
		const device = this.#device;
		if (!device) throw new AttachError('unsupported');
		if (file.size > MAX_FILE_SIZE) throw new AttachError('too-big');
		const hashed = await hashFile(file, CHUNK_SIZE, onProgress, signal);
		try {
			await device.store.put(hashed.sha256, file, hashed.chunkHashes);
		} catch (error) {
			throw new AttachError(
				error instanceof DOMException && error.name === 'QuotaExceededError' ? 'space' : 'storage'
			);
		}
		return {
			name: file.name.trim() || 'file',
			size: file.size,
			type: file.type || 'application/octet-stream',
			sha256: hashed.sha256,
			chunkSize: CHUNK_SIZE,
			root: hashed.root
		};
	}

	/**
	 * A prepared file is being posted: it is held for this meeting and served from now on. Call it
	 * before the message goes into the room, so the file is never fetched from others.
	 */
	async posted(ref: FileRef): Promise<void> {
		this.#markHeld(ref.sha256);
		await this.#device?.held.add({ ...ref }, this.#code);
	}

	/** A prepared file was not posted after all: its bytes go unless something else holds them. */
	async discard(ref: FileRef): Promise<void> {
		const device = this.#device;
		if (device && !(await device.held.has(ref.sha256))) await device.store.delete(ref.sha256);
	}

	/** Starts fetching a file (does nothing when it is held or already coming). */
	download(ref: FileRef): void {
		const device = this.#device;
		if (!device || this.#held.has(ref.sha256) || this.#downloads.has(ref.sha256)) return;
		const download = new Download({
			ref,
			store: device.store,
			holders: () => this.holders[ref.sha256] ?? [],
			connect: async (peerId) => {
				if (!this.#mesh) throw new Error('Not connected yet.');
				return channelOf(await this.#mesh.connect(peerId, LABEL));
			},
			freeSpace: freeSpace
		});
		this.#downloads.set(ref.sha256, download);
		const show = () => this.#showDownload(download);
		download.on('progress', show);
		download.on('state', (state) => {
			if (state.kind === 'done') {
				this.#downloads.delete(ref.sha256);
				this.#markHeld(ref.sha256);
				void device.held.add({ ...ref }, this.#code);
				return;
			}
			if (state.kind === 'cancelled' || state.kind === 'failed') {
				this.#skipAuto.add(ref.sha256);
				this.#downloads.delete(ref.sha256);
			}
			show();
		});
		show();
		void download.start();
	}

	/** Stops fetching a file and drops what arrived. */
	cancel(sha: string): void {
		this.#downloads.get(sha)?.cancel();
	}

	/** A blob URL showing a held image, or null. Revoked when the meeting ends. */
	async preview(ref: FileRef): Promise<string | null> {
		const existing = this.#previews.get(ref.sha256);
		if (existing) return existing;
		const file = await this.#device?.store.file(ref.sha256);
		if (!file || this.#destroyed || !PREVIEW_TYPES.has(ref.type)) return null;
		const url = URL.createObjectURL(new Blob([file], { type: ref.type }));
		this.#previews.set(ref.sha256, url);
		return url;
	}

	/** Saves a held file under its original (sanitised) name; see {@link saveFile}. */
	async save(ref: FileRef): Promise<void> {
		if (this.#device) await saveFile(this.#device.store, ref);
	}

	/** Stops every transfer and revokes previews (leaving the meeting). */
	destroy(): void {
		this.#destroyed = true;
		for (const fn of this.#cleanup.splice(0)) fn();
		for (const download of this.#downloads.values()) download.destroy();
		this.#downloads.clear();
		for (const url of this.#previews.values()) URL.revokeObjectURL(url);
		this.#previews.clear();
	}

	/** Finds out which of the room's files this device holds (also from other meetings). */
	async #loadHeld() {
		const device = this.#device;
		if (!device) return;
		for (const [sha, ref] of this.#room.files()) {
			if (this.#held.has(sha) || !(await device.store.chunkHashes(sha))) continue;
			await device.held.add(ref, this.#code);
			if (this.#destroyed) return;
			this.#markHeld(sha);
		}
		this.#onRoom();
	}

	#markHeld(sha: string) {
		if (this.#destroyed) return;
		this.#held.add(sha);
		this.views = { ...this.views, [sha]: { kind: 'held' } };
		this.#presence.setFiles([...this.#held]);
	}

	/** New messages: fetch small images by themselves. */
	#onRoom() {
		if (this.#destroyed || !this.#device) return;
		for (const [sha, ref] of this.#room.files()) {
			if (isPreviewable(ref) && !this.#held.has(sha) && !this.#skipAuto.has(sha)) {
				this.download(ref);
			}
		}
	}

	/** Presence changed: who holds what. */
	#onAwareness() {
		const holders: Record<string, Holder[]> = {};
		for (const [clientID, p] of readPresence(this.#awareness)) {
			if (clientID === this.#awareness.clientID || !p.peerId) continue;
			for (const sha of p.files)
				(holders[sha] ??= []).push({ peerId: p.peerId, name: p.user.name });
		}
		this.holders = holders;
		for (const download of this.#downloads.values()) download.holdersChanged();
	}

	#showDownload(download: Download) {
		const sha = download.ref.sha256;
		const { state } = download;
		const { bytes, speed } = download.progress;
		let view: FileView;
		if (state.kind === 'failed') view = { kind: 'failed', reason: state.reason };
		else if (state.kind === 'cancelled') view = { kind: 'remote' };
		else if (state.kind === 'receiving')
			view = { kind: 'receiving', from: state.from, bytes, speed };
		else if (state.kind === 'done') return;
		else view = { kind: 'waiting', bytes };
		this.views = { ...this.views, [sha]: view };
	}

	/** A file this device serves: held, and shared in this meeting's chat. */
	async #lookup(sha: string): Promise<{ ref: FileRef; file: Blob } | null> {
		const ref = this.#room.files().get(sha);
		if (!ref || !this.#held.has(sha)) return null;
		const file = await this.#device?.store.file(sha);
		return file ? { ref, file } : null;
	}
}

/** Bytes this origin may still store, from `navigator.storage.estimate()`; null when unknown. */
async function freeSpace(): Promise<number | null> {
	const estimate = await navigator.storage?.estimate?.();
	if (!estimate?.quota) return null;
	return estimate.quota - (estimate.usage ?? 0);
}

/** The transfer protocol's view of an open PeerJS data connection (raw serialization). */
function channelOf(connection: DataConnection): Channel {
	let closed = false;
	const dataChannel = connection.dataChannel;
	dataChannel.bufferedAmountLowThreshold = LOW_WATER;
	const channel: Channel = {
		send: (data) => void connection.send(data),
		get bufferedAmount() {
			return dataChannel.bufferedAmount;
		},
		drained: () =>
			new Promise<void>((resolve) => {
				if (closed || dataChannel.bufferedAmount <= LOW_WATER) return resolve();
				dataChannel.addEventListener('bufferedamountlow', () => resolve(), { once: true });
				dataChannel.addEventListener('close', () => resolve(), { once: true });
			}),
		onmessage: null,
		onclose: null,
		close: () => connection.close()
	};
	connection.on('data', (data) => {
		if (typeof data === 'string' || data instanceof ArrayBuffer) channel.onmessage?.(data);
	});
	connection.on('close', () => {
		if (closed) return;
		closed = true;
		channel.onclose?.();
	});
	connection.on('error', () => connection.close());
	return channel;
}
