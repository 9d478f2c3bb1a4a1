import { ObservableV2 } from 'lib0/observable';
import type { IndexeddbPersistence } from 'y-indexeddb';
import { Awareness } from 'y-protocols/awareness';
import { WebrtcProvider, type SignalingConn } from 'y-webrtc';
import * as Y from 'yjs';
import { isMeetingCode, isMeetingSecret, LinkError } from './link';
import { openPersistence } from './persistence';
import { RoomDoc } from './room-doc';
import { deriveTopic } from './topic';

/** Prefix of each room's IndexedDB database name (DESIGN.md, "Meeting link and keys"). */
export const ROOM_DB_PREFIX = 'confer-room-';

/** Options of {@link RoomSync.open}. */
export type RoomSyncOptions = {
	/** meeting code, `abc-defg-hij` */
	code: string;
	/** meeting secret, 22 base64url characters; the y-webrtc password */
	secret: string;
	/** the relay's y-webrtc signaling endpoint, `ws(s)://host/yjs` */
	signalingUrl: string;
	/**
	 * STUN/TURN servers from the relay's `/config.json`; always passed to simple-peer, whose
	 * `Object.assign` with them replaces its default public STUN servers (Google, Twilio)
	 */
	iceServers: RTCIceServer[];
	/** `relay` forces TURN; default `all` */
	iceTransportPolicy?: RTCIceTransportPolicy;
	/** whether to sync over the network; false opens local state only (default true) */
	connect?: boolean;
};

/** Events of {@link RoomSync}. */
export type RoomSyncEvents = {
	/** the WebSocket to the relay opened (`connected: true`) or closed */
	status: (event: { connected: boolean }) => void;
	/** a Yjs sync peer was added or removed; `count` as in {@link RoomSync.peerCount} */
	peers: (event: { count: number }) => void;
};

/**
 * y-webrtc allows one provider per topic in a JavaScript realm and releases a topic only after its
 * key promise settles. Topics in use, and promises for topics being released.
 */
const liveTopics = new Set<string>();
const releasingTopics = new Map<string, Promise<void>>();

function isSignalingUrl(url: string): boolean {
	try {
		const { protocol } = new URL(url);
		return protocol === 'ws:' || protocol === 'wss:';
	} catch {
		return false;
	}
}

/**
 * Syncs one meeting's {@link RoomDoc}: y-indexeddb first (`confer-room-<code>`), so the stored chat
 * shows before any network, then y-webrtc on the topic from {@link deriveTopic}, with the secret as
 * password, so the relay sees neither the code nor any content (DESIGN.md, "Room document").
 *
 * The relay URL is always passed to y-webrtc explicitly: it never falls back to its public default
 * signaling servers. Tabs of the same browser also sync over BroadcastChannel (y-webrtc,
 * encrypted with the same key).
 */
export class RoomSync extends ObservableV2<RoomSyncEvents> {
	/** meeting code */
	readonly code: string;
	/** the room document */
	readonly room: RoomDoc;
	/**
	 * y-protocols awareness carrying each participant's `Presence` (presence.ts): y-webrtc's when
	 * connected, a standalone one otherwise (so presence code works offline too).
	 */
	readonly awareness: Awareness;
	/** false when IndexedDB could not be opened: the chat lives in memory and is gone on reload */
	readonly persistent: boolean;

	readonly #persistence: IndexeddbPersistence | null;
	readonly #provider: WebrtcProvider | null;
	readonly #signaling: SignalingConn | null;
	#connected = false;
	#peerCount = 0;
	#destroying: Promise<void> | null = null;

	private constructor(
		code: string,
		room: RoomDoc,
		persistence: IndexeddbPersistence | null,
		provider: WebrtcProvider | null
	) {
		super();
		this.code = code;
		this.room = room;
		this.#persistence = persistence;
		this.persistent = persistence !== null;
		this.#provider = provider;
		this.awareness = provider?.awareness ?? new Awareness(room.doc);
		this.#signaling = (provider?.signalingConns[0] as SignalingConn | undefined) ?? null;
		this.#connected = this.#signaling?.connected ?? false;
		this.#signaling?.on('connect', this.#onSignalingChange);
		this.#signaling?.on('disconnect', this.#onSignalingChange);
		provider?.on('peers', this.#onPeers);
	}

	/**
	 * Opens a meeting: loads its stored state from IndexedDB, then (unless `connect` is false)
	 * starts y-webrtc. Resolves once the stored chat is in {@link room}; the network syncs after.
	 *
	 * @throws LinkError (`bad-code`, `bad-secret`) for a malformed code or secret
	 * @throws TypeError when `signalingUrl` is not a `ws:` or `wss:` URL
	 * @throws Error when the same meeting is already open (connected) in this tab
	 */
	static async open(options: RoomSyncOptions): Promise<RoomSync> {
		const { code, secret, signalingUrl, iceServers, iceTransportPolicy, connect = true } = options;
		if (!isMeetingCode(code)) throw new LinkError('bad-code');
		if (!isMeetingSecret(secret)) throw new LinkError('bad-secret');
		if (connect && !isSignalingUrl(signalingUrl)) {
			throw new TypeError(`The signaling URL must be a ws: or wss: URL, got "${signalingUrl}".`);
		}
		const topic = connect ? await deriveTopic(code, secret) : null;
		if (topic !== null) {
			await releasingTopics.get(topic);
			if (liveTopics.has(topic)) throw new Error('This meeting is already open in this tab.');
			liveTopics.add(topic);
		}
		const doc = new Y.Doc();
		const persistence = await openPersistence(ROOM_DB_PREFIX + code, doc);
		let provider: WebrtcProvider | null = null;
		try {
			if (topic !== null) {
				provider = new WebrtcProvider(topic, doc, {
					signaling: [signalingUrl],
					password: secret,
					peerOpts: {
						config: iceTransportPolicy ? { iceServers, iceTransportPolicy } : { iceServers }
					}
				});
			}
		} catch (error) {
			// Only the WebSocket constructor throws here (an environment without WebSocket).
			if (topic !== null) liveTopics.delete(topic);
			await persistence?.destroy();
			doc.destroy();
			throw error;
		}
		return new RoomSync(code, new RoomDoc(doc), persistence, provider);
	}

	/**
	 * Whether the WebSocket to the relay is open, so that new peers can be found. Peers already
	 * connected over WebRTC keep syncing while it is closed; y-webrtc reconnects with back-off. Always
	 * false when opened with `connect: false`.
	 */
	get connected(): boolean {
		return this.#connected;
	}

	/**
	 * How many replicas this one syncs with directly: WebRTC peers (including ones still
	 * connecting) and other tabs of this browser. Not the participant count: use awareness.
	 */
	get peerCount(): number {
		return this.#peerCount;
	}

	#onSignalingChange = (): void => {
		const connected = this.#signaling?.connected ?? false;
		if (connected === this.#connected) return;
		this.#connected = connected;
		this.emit('status', [{ connected }]);
	};

	#onPeers = (event: { webrtcPeers: string[]; bcPeers: string[] }): void => {
		this.#peerCount = new Set([...event.webrtcPeers, ...event.bcPeers]).size;
		this.emit('peers', [{ count: this.#peerCount }]);
	};

	/**
	 * Leaves the room: disconnects y-webrtc (which announces this device's awareness state as
	 * removed and closes the relay WebSocket when no other room uses it), destroys it, closes the
	 * IndexedDB database and destroys the document and awareness. Updates already made are saved.
	 * Safe to call more than once.
	 *
	 * @returns resolves when the topic is free for a new {@link open} and the database is closed
	 */
	destroy(): Promise<void> {
		this.#destroying ??= this.#teardown();
		return this.#destroying;
	}

	async #teardown(): Promise<void> {
		this.#signaling?.off('connect', this.#onSignalingChange);
		this.#signaling?.off('disconnect', this.#onSignalingChange);
		const provider = this.#provider;
		if (provider !== null) {
			provider.off('peers', this.#onPeers);
			// destroy() alone would leave the relay WebSocket open and reconnecting (y-webrtc 10.3.0).
			provider.disconnect();
			provider.destroy();
			const topic = provider.roomName;
			// y-webrtc frees the topic in a callback on its key promise, registered before this one.
			const released = Promise.resolve(provider.key).then(() => {
				liveTopics.delete(topic);
				releasingTopics.delete(topic);
			});
			releasingTopics.set(topic, released);
			await released;
		}
		await this.#persistence?.destroy();
		this.room.destroy();
		super.destroy();
	}
}
