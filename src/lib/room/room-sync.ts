import { ObservableV2 } from 'lib0/observable';
import type { IndexeddbPersistence } from 'y-indexeddb';
import { Awareness } from 'y-protocols/awareness';
import { WebrtcProvider, type SignalingConn, type WebrtcConn } from 'y-webrtc';
import * as Y from 'yjs';
import { isMeetingCode, isMeetingSecret, LinkError } from './link';
import { openPersistence, roomDbName } from './persistence';
import { RoomDoc } from './room-doc';
import { decryptSignal, encryptSignal } from './signal-crypto';
import { deriveTopic } from './topic';

/** While the relay is unreachable, the signaling WebSocket is retried this often (ms). */
const SIGNALING_RETRY_MS = 1_000;

/** Options of {@link RoomSync.open}. */
export type RoomSyncOptions = {
	/** meeting code, `abc-defg-hij` */
	code: string;
	/** meeting secret, 22 base64url characters; the y-webrtc password */
	secret: string;
};

/** Options of {@link RoomSync.connect}: the relay, from its `/config.json`. */
export type RoomNetworkOptions = {
	/** the relay's y-webrtc signaling endpoint, `ws(s)://host/yjs` */
	signalingUrl: string;
	/**
	 * STUN/TURN servers from the relay's `/config.json`; always passed to simple-peer, whose
	 * `Object.assign` with them replaces its default public STUN servers (Google, Twilio)
	 */
	iceServers: RTCIceServer[];
	/** `relay` forces TURN; default `all` */
	iceTransportPolicy?: RTCIceTransportPolicy;
};

/** Events of {@link RoomSync}. */
export type RoomSyncEvents = {
	/** the WebSocket to the relay opened (`connected: true`) or closed */
	status: (event: { connected: boolean }) => void;
	/** a Yjs sync peer was added or removed; `count` as in {@link RoomSync.peerCount} */
	peers: (event: { count: number }) => void;
	/** the data connection to a sync peer (its y-webrtc peer id) came up or went down */
	link: (syncId: string, up: boolean) => void;
	/**
	 * one of Confer's own messages on the room's signaling topic (`type` starting with `confer/`),
	 * decrypted with the room key; untrusted until its shape is checked
	 */
	signal: (message: Record<string, unknown>) => void;
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

/** ICE connection states in which a data connection carries data. */
const UP_STATES = new Set(['connected', 'completed']);

/**
 * A y-webrtc data connection that is not up within this long (ms) is closed; y-webrtc then
 * announces again and the pair starts afresh. y-webrtc sets no such deadline: when two members
 * announce at the same moment (both reconnecting to a relay that came back), each answers the
 * other's announce with an offer, and the pair can stay "connecting" for good. Each side waits
 * 75–125 % of it, at random, so that the two retries do not meet again. Like a media call's
 * deadlines (`CallLink`), it grows by half for each attempt with the same member that ran out,
 * up to 3×: on a machine so loaded that connecting takes longer, a fixed deadline would tear down
 * every attempt just before it succeeds.
 */
const DATA_LINK_MS = 12_000;

/**
 * The deadline of a member's next data connection attempt (ms): {@link DATA_LINK_MS}, half again
 * for each of the member's attempts that ran out (`timeouts`, counted up to 4), at 75–125 %.
 *
 * @param timeouts attempts with this member that ran out since its last success (≥ 0)
 * @param random a number in [0, 1) for the jitter
 */
export function dataLinkDeadlineMs(timeouts: number, random = Math.random()): number {
	return DATA_LINK_MS * (1 + 0.5 * Math.min(timeouts, 4)) * (0.75 + 0.5 * random);
}

/**
 * Syncs one meeting's {@link RoomDoc}: y-indexeddb first (`confer-room-<code>`), so the stored chat
 * shows before any network; then, once the relay is known, y-webrtc on the topic from
 * {@link deriveTopic} with the secret as password, so the relay sees neither the code nor any
 * content (ARCHITECTURE.md, "Room document").
 *
 * The relay URL is always passed to y-webrtc explicitly: it never falls back to its public default
 * signaling servers. Tabs of the same browser also sync over BroadcastChannel (y-webrtc,
 * encrypted with the same key). Besides y-webrtc's own messages, the topic carries Confer's
 * signals ({@link publish}), encrypted the same way.
 */
export class RoomSync extends ObservableV2<RoomSyncEvents> {
	/** meeting code */
	readonly code: string;
	/** the room document */
	readonly room: RoomDoc;
	/**
	 * y-protocols awareness carrying each participant's `Presence` (presence.ts). Made here and
	 * handed to y-webrtc, so presence code works before and without the network. This device's
	 * state is null (not a participant) until it is set.
	 */
	readonly awareness: Awareness;
	/** false when IndexedDB could not be opened: the chat lives in memory and is gone on reload */
	readonly persistent: boolean;

	readonly #secret: string;
	readonly #persistence: IndexeddbPersistence | null;
	#provider: WebrtcProvider | null = null;
	#signaling: SignalingConn | null = null;
	#key: CryptoKey | null = null;
	#connecting: Promise<void> | null = null;
	#connected = false;
	#everConnected = false;
	#peerCount = 0;
	#retry: ReturnType<typeof setInterval> | null = null;
	#dataLinks = new Map<string, boolean>();
	/** Attempts per member whose data connection ran out of time, since its last success. */
	#dataLinkTimeouts = new Map<string, number>();
	#watched = new WeakSet<WebrtcConn>();
	#destroying: Promise<void> | null = null;

	private constructor(
		code: string,
		secret: string,
		room: RoomDoc,
		persistence: IndexeddbPersistence | null
	) {
		super();
		this.code = code;
		this.#secret = secret;
		this.room = room;
		this.#persistence = persistence;
		this.persistent = persistence !== null;
		this.awareness = new Awareness(room.doc);
		this.awareness.setLocalState(null);
	}

	/**
	 * Opens a meeting from this device: loads its stored state from IndexedDB. Resolves once the
	 * stored chat is in {@link room}; {@link connect} then syncs it with the other participants.
	 *
	 * @throws LinkError (`bad-code`, `bad-secret`) for a malformed code or secret
	 */
	static async open(options: RoomSyncOptions): Promise<RoomSync> {
		const { code, secret } = options;
		if (!isMeetingCode(code)) throw new LinkError('bad-code');
		if (!isMeetingSecret(secret)) throw new LinkError('bad-secret');
		const doc = new Y.Doc();
		const persistence = await openPersistence(roomDbName(code), doc);
		return new RoomSync(code, secret, new RoomDoc(doc), persistence);
	}

	/**
	 * Starts syncing with the other participants through the relay (y-webrtc). Calling it again
	 * returns the first call's promise. Resolves once the room key is derived, so that
	 * {@link publish} and {@link syncId} work.
	 *
	 * @throws TypeError when `signalingUrl` is not a `ws:` or `wss:` URL
	 * @throws Error when the same meeting is already connected in this tab
	 */
	connect(options: RoomNetworkOptions): Promise<void> {
		this.#connecting ??= this.#connect(options);
		return this.#connecting;
	}

	async #connect({ signalingUrl, iceServers, iceTransportPolicy }: RoomNetworkOptions) {
		if (!isSignalingUrl(signalingUrl)) {
			throw new TypeError(`The signaling URL must be a ws: or wss: URL, got "${signalingUrl}".`);
		}
		const topic = await deriveTopic(this.code, this.#secret);
		await releasingTopics.get(topic);
		if (liveTopics.has(topic)) throw new Error('This meeting is already open in this tab.');
		if (this.#destroying) return;
		liveTopics.add(topic);
		let provider: WebrtcProvider;
		try {
			provider = new WebrtcProvider(topic, this.room.doc, {
				signaling: [signalingUrl],
				password: this.#secret,
				awareness: this.awareness,
				peerOpts: {
					config: iceTransportPolicy ? { iceServers, iceTransportPolicy } : { iceServers }
				}
			});
		} catch (error) {
			// Only the WebSocket constructor throws here (an environment without WebSocket).
			liveTopics.delete(topic);
			throw error;
		}
		this.#provider = provider;
		const signaling = (provider.signalingConns[0] as SignalingConn | undefined) ?? null;
		this.#signaling = signaling;
		signaling?.on('connect', this.#onSignalingChange);
		signaling?.on('disconnect', this.#onSignalingChange);
		signaling?.on('message', this.#onSignalingMessage);
		provider.on('peers', this.#onPeers);
		this.#onSignalingChange();
		this.#key = await provider.key;
	}

	/**
	 * Whether the WebSocket to the relay is open, so that new peers can be found. Peers already
	 * connected over WebRTC keep syncing while it is closed, and it is retried every second.
	 * Always false before {@link connect}.
	 */
	get connected(): boolean {
		return this.#connected;
	}

	/** Whether the WebSocket to the relay was open at some point since {@link connect}. */
	get everConnected(): boolean {
		return this.#everConnected;
	}

	/**
	 * How many replicas this one syncs with directly: WebRTC peers (including ones still
	 * connecting) and other tabs of this browser. Not the participant count: use awareness.
	 */
	get peerCount(): number {
		return this.#peerCount;
	}

	/**
	 * This replica's y-webrtc peer id (random per connection), announced in presence so peers can
	 * tell whether their data connection to it is alive; null before {@link connect} resolved.
	 */
	get syncId(): string | null {
		return this.#provider?.room?.peerId ?? null;
	}

	/**
	 * Whether the data connection to the replica with y-webrtc peer id `syncId` is up (ICE
	 * connected); null when there is no such connection (not yet made, or another tab of this
	 * browser, which syncs over BroadcastChannel).
	 */
	dataLinkUp(syncId: string): boolean | null {
		return this.#dataLinks.get(syncId) ?? null;
	}

	/**
	 * Publishes one of Confer's signals on the room's topic, encrypted with the room key. Every
	 * participant connected to the relay receives it (this one too).
	 *
	 * @param message an object whose `type` starts with `confer/`
	 * @returns false when it could not be sent (not connected to the relay, or no key yet)
	 */
	async publish(message: { type: `confer/${string}` } & Record<string, unknown>): Promise<boolean> {
		const signaling = this.#signaling;
		const key = this.#key;
		const topic = this.#provider?.roomName;
		if (!signaling?.connected || !key || !topic) return false;
		const data = await encryptSignal(message, key);
		if (!signaling.connected) return false;
		signaling.send({ type: 'publish', topic, data });
		return true;
	}

	/**
	 * Tries the relay again now (the browser came back online, say) instead of at the next retry.
	 */
	reconnectNow() {
		const signaling = this.#signaling;
		// lib0's WebsocketClient.connect() opens a socket at once when none is open or opening.
		if (signaling && !signaling.connected && !this.#destroying) signaling.connect();
	}

	#onSignalingChange = (): void => {
		const connected = this.#signaling?.connected ?? false;
		if (connected && this.#retry) {
			clearInterval(this.#retry);
			this.#retry = null;
		} else if (!connected && !this.#retry && !this.#destroying) {
			// lib0 backs off up to 2.5 s between attempts; a returning relay is found within ~1 s.
			this.#retry = setInterval(() => this.reconnectNow(), SIGNALING_RETRY_MS);
		}
		if (connected === this.#connected) return;
		this.#connected = connected;
		this.#everConnected ||= connected;
		this.emit('status', [{ connected }]);
	};

	#onSignalingMessage = (message: unknown): void => {
		const key = this.#key;
		const m = message as { type?: unknown; topic?: unknown; data?: unknown } | null;
		if (!key || m?.type !== 'publish' || m.topic !== this.#provider?.roomName) return;
		if (typeof m.data !== 'string') return;
		decryptSignal(m.data, key).then(
			(value) => {
				const type = (value as { type?: unknown } | null)?.type;
				if (typeof type === 'string' && type.startsWith('confer/') && !this.#destroying) {
					this.emit('signal', [value as Record<string, unknown>]);
				}
			},
			// Not sealed with the room key: nothing a member sent.
			() => undefined
		);
	};

	#onPeers = (event: { webrtcPeers: string[]; bcPeers: string[] }): void => {
		this.#peerCount = new Set([...event.webrtcPeers, ...event.bcPeers]).size;
		this.emit('peers', [{ count: this.#peerCount }]);
		const conns = this.#provider?.room?.webrtcConns ?? new Map<string, WebrtcConn>();
		for (const [syncId, conn] of conns) this.#watch(syncId, conn);
		for (const syncId of [...this.#dataLinks.keys()]) {
			if (!conns.has(syncId)) this.#setDataLink(syncId, null);
		}
	};

	/** Follows the ICE state of a y-webrtc data connection (simple-peer's `iceStateChange`). */
	#watch(syncId: string, conn: WebrtcConn) {
		if (this.#watched.has(conn)) return;
		this.#watched.add(conn);
		const peer = conn.peer as {
			on(event: 'iceStateChange', listener: (state: string) => void): void;
			on(event: 'connect' | 'close', listener: () => void): void;
			destroy(): void;
		};
		this.#setDataLink(syncId, conn.connected);
		const timeouts = this.#dataLinkTimeouts.get(syncId) ?? 0;
		const deadline = setTimeout(() => {
			if (conn.connected || conn.closed) return;
			this.#dataLinkTimeouts.set(syncId, timeouts + 1);
			peer.destroy();
		}, dataLinkDeadlineMs(timeouts));
		peer.on('connect', () => {
			clearTimeout(deadline);
			this.#dataLinkTimeouts.delete(syncId);
		});
		peer.on('close', () => clearTimeout(deadline));
		peer.on('iceStateChange', (state) => {
			if (this.#provider?.room?.webrtcConns.get(syncId) === conn) {
				this.#setDataLink(syncId, UP_STATES.has(state));
			}
		});
		peer.on('close', () => {
			if (this.#provider?.room?.webrtcConns.get(syncId) !== conn) this.#setDataLink(syncId, null);
		});
	}

	#setDataLink(syncId: string, up: boolean | null) {
		const before = this.#dataLinks.get(syncId) ?? null;
		if (up === null) this.#dataLinks.delete(syncId);
		else this.#dataLinks.set(syncId, up);
		if ((before ?? false) !== (up ?? false)) this.emit('link', [syncId, up ?? false]);
	}

	/**
	 * Leaves the room: disconnects y-webrtc (which announces this device's awareness state as
	 * removed and closes the relay WebSocket when no other room uses it), destroys it, closes the
	 * IndexedDB database and destroys the document and awareness. Updates already made are saved.
	 * Safe to call more than once.
	 *
	 * @returns resolves when the topic is free for a new {@link connect} and the database is closed
	 */
	destroy(): Promise<void> {
		this.#destroying ??= this.#teardown();
		return this.#destroying;
	}

	async #teardown(): Promise<void> {
		if (this.#retry) clearInterval(this.#retry);
		this.#retry = null;
		await this.#connecting?.catch(() => undefined);
		this.#signaling?.off('connect', this.#onSignalingChange);
		this.#signaling?.off('disconnect', this.#onSignalingChange);
		this.#signaling?.off('message', this.#onSignalingMessage);
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
		} else {
			this.awareness.setLocalState(null);
		}
		await this.#persistence?.destroy();
		this.room.destroy();
		super.destroy();
	}
}
