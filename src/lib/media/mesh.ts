import { ObservableV2 } from 'lib0/observable';
import {
	Peer as PeerJs,
	type DataConnection,
	type MediaConnection,
	type Peer,
	type PeerError,
	type PeerOptions
} from 'peerjs';
import type { ResolvedRelay } from '$lib/relay/config';
import { CallLink, LINK_TIMING, offerSdp, type LinkState, type LinkTiming } from './call-link';
import { sdpMatchesFingerprint } from './sdp';

/** What the room says about a member who can be called (from awareness or a hello). */
export interface MeshMember {
	/** The member's PeerJS id. */
	peerId: string;
	/** The DTLS fingerprint the member announced (`sha-256 AB:…`), or null if not yet known. */
	dtls: string | null;
}

/** Why the mesh cannot work at all; the UI turns the code into words. */
export type MeshErrorCode = 'server-refused' | 'browser-incompatible';

/** A failure of {@link Mesh.start} that retrying will not mend. */
export class MeshError extends Error {
	readonly code: MeshErrorCode;
	constructor(code: MeshErrorCode, detail: string) {
		super(`${code}: ${detail}`);
		this.name = 'MeshError';
		this.code = code;
	}
}

/** Events a {@link Mesh} emits. */
export type MeshEvents = {
	/** Our PeerJS id is registered at the relay (again, after the relay was lost or a new id). */
	open: (peerId: string) => void;
	/** Whether we are registered at the relay: false while it is unreachable. */
	registered: (registered: boolean) => void;
	/** Media from a member arrived (or its stream changed). */
	stream: (peerId: string, stream: MediaStream) => void;
	/** The link with a member moved to another state (see {@link LinkState}). */
	state: (peerId: string, state: LinkState) => void;
	/** The call with a member ended; its stream is gone until a new call brings one. */
	ended: (peerId: string) => void;
	/** A call from or to a member did not present the fingerprint it announced and was refused. */
	refused: (peerId: string) => void;
	/** A member's call did not come: it may not know us yet (announce ourselves again). */
	nudge: (peerId: string) => void;
	/** A member opened a data connection to us (its fingerprint checked); it may not be open yet. */
	connection: (connection: DataConnection) => void;
};

/** How long {@link Mesh.connect} waits for a data connection to open (ms). */
const DATA_OPEN_MS = 10_000;

/** Our PeerJS identity, kept in `sessionStorage` so a reload re-attaches with `reconnect()`. */
export interface PeerIdentity {
	id: string;
	token: string;
}

/** Loads the PeerJS `Peer` class (injected by unit tests). */
export type PeerLoader = () => Promise<new (id: string, options: PeerOptions) => Peer>;

/**
 * Registration at the relay is retried after 250 ms, 500 ms, then every second (±30 %), so a
 * relay that comes back is used again within about a second.
 */
const REGISTER_BASE_MS = 250;
const REGISTER_MAX_MS = 1_000;
/** How long an incoming call waits for its caller to become a member (ms). */
const PENDING_CALL_MS = 6_000;

/**
 * Random 128-bit PeerJS identity (hex, which matches the server's id pattern
 * `^[A-Za-z0-9]+(?:[ _-][A-Za-z0-9]+)*$`).
 */
export function newPeerIdentity(): PeerIdentity {
	const hex = () =>
		Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
			b.toString(16).padStart(2, '0')
		).join('');
	return { id: hex(), token: hex() };
}

/**
 * The media mesh: one PeerJS `Peer` registered at the relay, one {@link CallLink} per member.
 *
 * Rules (ARCHITECTURE.md, "Media mesh"): of each pair, the member with the smaller peer id calls;
 * calls are answered only from members (announced in the room's encrypted awareness or hello) and
 * only when their SDP presents the DTLS fingerprint the member announced; every call carries the
 * outgoing stream's one audio and one video track, and later changes go through
 * `RTCRtpSender.replaceTrack` (PeerJS cannot renegotiate). Calls already connected keep going
 * while the relay is away; registration is retried until it is back.
 */
export class Mesh extends ObservableV2<MeshEvents> {
	#relay: ResolvedRelay;
	#certificate: RTCCertificate;
	#identity: PeerIdentity;
	#outgoing: () => MediaStream;
	#loadPeer: PeerLoader;
	#timing: LinkTiming;
	#random: () => number;
	#peer: Peer | null = null;
	#members = new Map<string, MeshMember>();
	#links = new Map<string, CallLink>();
	#pending = new Map<string, { call: MediaConnection; timer: ReturnType<typeof setTimeout> }>();
	#destroyed = false;
	#registerTimer: ReturnType<typeof setTimeout> | null = null;
	#registerAttempts = 0;
	#opened: Promise<string> | null = null;
	#settle: { resolve: (id: string) => void; reject: (error: Error) => void } | null = null;

	/**
	 * @param options.relay the relay's config (PeerJS server and ICE servers).
	 * @param options.certificate this device's DTLS certificate (its fingerprint is announced).
	 * @param options.identity the PeerJS id and token to use (reuse after a reload).
	 * @param options.outgoing returns the stream to send (one audio and one video track).
	 * @param options.loadPeer loads PeerJS's `Peer` (default: the bundled one). PeerJS is part of the
	 *   meeting page's own code, not loaded on demand: a chunk that failed to load while the relay
	 *   was away would fail again for the life of the page (browsers remember a failed dynamic
	 *   import), and the person could never join a call.
	 * @param options.timing call link deadlines and back-off (default {@link LINK_TIMING}).
	 * @param options.random random numbers in [0, 1) for back-off jitter.
	 */
	constructor(options: {
		relay: ResolvedRelay;
		certificate: RTCCertificate;
		identity: PeerIdentity;
		outgoing: () => MediaStream;
		loadPeer?: PeerLoader;
		timing?: LinkTiming;
		random?: () => number;
	}) {
		super();
		this.#relay = options.relay;
		this.#certificate = options.certificate;
		this.#identity = options.identity;
		this.#outgoing = options.outgoing;
		this.#loadPeer = options.loadPeer ?? (async () => PeerJs);
		this.#timing = options.timing ?? LINK_TIMING;
		this.#random = options.random ?? Math.random;
	}

	/** Our current PeerJS identity (it changes when the relay says our id is taken). */
	get identity(): PeerIdentity {
		return this.#identity;
	}

	/** Whether we are registered at the relay now. */
	get registered(): boolean {
		return this.#peer?.open ?? false;
	}

	/**
	 * Registers at the relay's PeerJS endpoint. Network trouble is retried (the promise then
	 * waits); an id held by another tab is replaced by a fresh one.
	 *
	 * @returns our peer id once the relay answered `OPEN`.
	 * @throws MeshError when the relay refuses us for good (wrong key, server error) or the
	 *   browser cannot make WebRTC calls.
	 */
	start(): Promise<string> {
		this.#opened ??= new Promise<string>((resolve, reject) => {
			this.#settle = { resolve, reject };
			void this.#register();
		});
		return this.#opened;
	}

	/**
	 * Tells the mesh who is in the room now: links start for new members, links of members who
	 * left close, and calls that waited for their caller to become a member are answered.
	 */
	setMembers(members: Iterable<MeshMember>) {
		const next = new Map<string, MeshMember>();
		for (const m of members) if (m.peerId !== this.#identity.id) next.set(m.peerId, m);
		for (const [peerId, link] of [...this.#links]) {
			const before = this.#members.get(peerId)?.dtls;
			const member = next.get(peerId);
			// A member that left, or now announces another certificate, gets a fresh link.
			if (!member || (before && member.dtls && before !== member.dtls)) this.#close(peerId, link);
		}
		this.#members = next;
		for (const [peerId, { call, timer }] of [...this.#pending]) {
			if (next.get(peerId)?.dtls) {
				clearTimeout(timer);
				this.#pending.delete(peerId);
				this.#link(peerId)?.incoming(call);
			}
		}
		this.#startLinks();
	}

	/** A member announced itself (a hello): a caller backing off from it dials now. */
	poke(peerId: string) {
		this.#links.get(peerId)?.poke();
	}

	/**
	 * The network may be back (the browser went online, or the relay answered again): retry the
	 * registration now instead of at the next back-off.
	 */
	reconnectNow() {
		if (this.#destroyed || this.#peer?.open) return;
		if (this.#registerTimer) clearTimeout(this.#registerTimer);
		this.#registerTimer = null;
		this.#registerAttempts = 0;
		this.#reattach();
	}

	/** Replaces the sent track of `kind` on every call, without renegotiation. */
	async replaceTrack(kind: 'audio' | 'video', track: MediaStreamTrack) {
		const senders: Promise<void>[] = [];
		for (const pc of this.connections().values()) {
			for (const sender of pc.getSenders()) {
				if (sender.track?.kind === kind) {
					senders.push(sender.replaceTrack(track).catch(() => undefined));
				}
			}
		}
		await Promise.all(senders);
	}

	/**
	 * Opens a data connection to a member, for one task (a file transfer), with its own
	 * RTCPeerConnection: raw serialization (binary messages as sent, `ArrayBuffer`s received), reliable
	 * and ordered. The member's answer must present the DTLS fingerprint it announced, as for calls.
	 *
	 * @param peerId the member's PeerJS id
	 * @param label what the connection is for (`RTCDataChannel.label`)
	 * @returns the open connection; close it when done
	 * @throws Error when we are not registered, `peerId` is not a member with a known fingerprint,
	 *   the connection does not open within 10 s, or its fingerprint does not match
	 */
	connect(peerId: string, label: string): Promise<DataConnection> {
		const expected = this.#members.get(peerId)?.dtls;
		const peer = this.#peer;
		if (!peer?.open || !expected || this.#destroyed) {
			return Promise.reject(new Error(`No data connection to ${peerId}: not reachable now.`));
		}
		const connection = peer.connect(peerId, { label, serialization: 'raw', reliable: true });
		return new Promise((resolve, reject) => {
			const fail = (why: string) => {
				clearTimeout(timer);
				connection.close();
				reject(new Error(`No data connection to ${peerId}: ${why}.`));
			};
			const timer = setTimeout(() => fail('it did not open in time'), DATA_OPEN_MS);
			connection.on('open', () => {
				const sdp = connection.peerConnection?.remoteDescription?.sdp;
				if (!sdp || !sdpMatchesFingerprint(sdp, expected)) return fail('wrong certificate');
				clearTimeout(timer);
				resolve(connection);
			});
			connection.on('error', (error) => fail(error.message));
			connection.on('close', () => fail('it closed'));
		});
	}

	/** Every current call's RTCPeerConnection, by remote peer id. */
	connections(): Map<string, RTCPeerConnection> {
		const result = new Map<string, RTCPeerConnection>();
		for (const [peerId, link] of this.#links) {
			const pc = link.peerConnection;
			if (pc) result.set(peerId, pc);
		}
		return result;
	}

	/** The link with a member: its state and whether it ever connected; null when there is none. */
	link(peerId: string): { state: LinkState; everConnected: boolean } | null {
		const link = this.#links.get(peerId);
		return link ? { state: link.state, everConnected: link.everConnected } : null;
	}

	/** Hangs up every call and leaves the relay. */
	destroy() {
		if (this.#destroyed) return;
		this.#destroyed = true;
		if (this.#registerTimer) clearTimeout(this.#registerTimer);
		for (const [peerId, link] of [...this.#links]) this.#close(peerId, link);
		for (const { call, timer } of this.#pending.values()) {
			clearTimeout(timer);
			call.close();
		}
		this.#pending.clear();
		this.#peer?.destroy();
		this.#peer = null;
		super.destroy();
	}

	async #register() {
		const Peer = await this.#loadPeer();
		if (this.#destroyed) return;
		const { host, port, secure, path, key } = this.#relay.peerjs;
		const peer = new Peer(this.#identity.id, {
			host,
			port,
			secure,
			path,
			key,
			token: this.#identity.token,
			debug: 0,
			config: {
				iceServers: this.#relay.config.iceServers,
				iceTransportPolicy: this.#relay.config.iceTransportPolicy,
				certificates: [this.#certificate]
			}
		});
		this.#peer = peer;
		peer.on('call', (call) => this.#onIncoming(call));
		peer.on('connection', (connection) => this.#onDataConnection(connection));
		peer.on('disconnected', () => {
			if (peer !== this.#peer) return;
			this.emit('registered', [false]);
			this.#scheduleRegister();
		});
		peer.on('open', (id) => {
			if (peer !== this.#peer) return;
			this.#registerAttempts = 0;
			this.#settle?.resolve(id);
			this.emit('open', [id]);
			this.emit('registered', [true]);
			this.#startLinks();
			// Signaling is back: links backing off dial now.
			for (const link of this.#links.values()) link.poke();
		});
		peer.on('error', (error) => this.#onPeerError(peer, error));
	}

	/** Of each pair, the member with the smaller peer id calls (no glare). */
	#isCaller(remotePeerId: string): boolean {
		return this.#identity.id < remotePeerId;
	}

	/** Creates and starts a link for every member with a known fingerprint (once registered). */
	#startLinks() {
		if (!this.#peer?.open || this.#destroyed) return;
		for (const member of this.#members.values()) {
			if (!member.dtls) continue;
			this.#link(member.peerId)?.start();
		}
	}

	/** The link with `peerId`, created for a member; null for someone who is not a member. */
	#link(peerId: string): CallLink | null {
		const existing = this.#links.get(peerId);
		if (existing) return existing;
		if (!this.#members.has(peerId) || this.#destroyed) return null;
		const link = new CallLink({
			remote: peerId,
			caller: this.#isCaller(peerId),
			dial: () => (this.#peer?.open ? this.#peer.call(peerId, this.#outgoing()) : undefined),
			outgoing: () => this.#outgoing(),
			fingerprint: () => this.#members.get(peerId)?.dtls ?? null,
			timing: this.#timing,
			random: this.#random
		});
		link.on('state', (state) => this.emit('state', [peerId, state]));
		link.on('stream', (stream) => this.emit('stream', [peerId, stream]));
		link.on('ended', () => this.emit('ended', [peerId]));
		link.on('refused', () => this.emit('refused', [peerId]));
		link.on('nudge', () => this.emit('nudge', [peerId]));
		this.#links.set(peerId, link);
		return link;
	}

	#close(peerId: string, link: CallLink) {
		this.#links.delete(peerId);
		link.close();
		this.emit('ended', [peerId]);
	}

	#onIncoming(call: MediaConnection) {
		const peerId = call.peer;
		if (this.#destroyed) return call.close();
		const link = this.#members.get(peerId)?.dtls ? this.#link(peerId) : null;
		if (link) return link.incoming(call);
		// The caller may have learnt of us before we learnt of them: wait for them, briefly.
		const previous = this.#pending.get(peerId);
		if (previous) {
			clearTimeout(previous.timer);
			previous.call.close();
		}
		const timer = setTimeout(() => {
			this.#pending.delete(peerId);
			call.close();
		}, PENDING_CALL_MS);
		this.#pending.set(peerId, { call, timer });
	}

	/** Data connections are accepted only from members whose offer presents their fingerprint. */
	#onDataConnection(connection: DataConnection) {
		const expected = this.#members.get(connection.peer)?.dtls;
		const sdp = offerSdp(connection);
		if (this.#destroyed || !expected || !sdp || !sdpMatchesFingerprint(sdp, expected)) {
			connection.close();
			return;
		}
		this.emit('connection', [connection]);
	}

	#onPeerError(peer: Peer, error: PeerError<string>) {
		if (peer !== this.#peer) return;
		switch (error.type) {
			case 'peer-unavailable': {
				// The relay expired our offer: the callee is not registered (yet).
				const peerId = /peer (\S+)$/.exec(error.message)?.[1];
				if (peerId) this.#links.get(peerId)?.unavailable();
				return;
			}
			case 'unavailable-id':
				// Our id is held by another tab with another token: take a fresh identity. Links were
				// made for the old id (who calls depends on it), so they start afresh.
				this.#identity = newPeerIdentity();
				for (const [peerId, link] of [...this.#links]) this.#close(peerId, link);
				this.#peer = null;
				peer.destroy();
				void this.#register();
				return;
			case 'network':
			case 'socket-error':
			case 'socket-closed':
			case 'disconnected':
				this.#scheduleRegister();
				return;
			case 'server-error':
			case 'invalid-key':
			case 'ssl-unavailable':
				this.#settle?.reject(new MeshError('server-refused', error.message));
				return;
			case 'browser-incompatible':
				this.#settle?.reject(new MeshError('browser-incompatible', error.message));
				return;
		}
	}

	#scheduleRegister() {
		if (this.#destroyed || this.#registerTimer) return;
		const base = Math.min(REGISTER_BASE_MS * 2 ** this.#registerAttempts++, REGISTER_MAX_MS);
		this.#registerTimer = setTimeout(
			() => {
				this.#registerTimer = null;
				this.#reattach();
			},
			base * (0.7 + 0.6 * this.#random())
		);
	}

	/** Re-registers with the same id and token (a relay that restarted has forgotten us). */
	#reattach() {
		const peer = this.#peer;
		if (this.#destroyed || !peer || peer.open) return;
		if (peer.destroyed) {
			this.#peer = null;
			void this.#register();
		} else if (peer.disconnected) {
			peer.reconnect();
		}
	}
}
