import { ObservableV2 } from 'lib0/observable';
import type { MediaConnection, Peer, PeerError } from 'peerjs';
import type { ResolvedRelay } from '$lib/relay/config';
import { sdpMatchesFingerprint } from './sdp';

/** What the room's awareness says about a member who can be called. */
export interface MeshMember {
	/** The member's PeerJS id. */
	peerId: string;
	/** The DTLS fingerprint the member announced (`sha-256 AB:…`), or null if not yet known. */
	dtls: string | null;
}

/** The state of the call with one peer, as a person would describe it. */
export type CallState = 'connecting' | 'connected' | 'reconnecting';

/** Events a {@link Mesh} emits. */
export type MeshEvents = {
	/** Our PeerJS id is registered at the relay (again, after a new id was needed). */
	open: (peerId: string) => void;
	/** Media from a peer arrived (or its stream changed). */
	stream: (peerId: string, stream: MediaStream) => void;
	/** The call with a peer moved to another state. */
	state: (peerId: string, state: CallState) => void;
	/** The call with a peer ended (it left, or the call is being retried). */
	ended: (peerId: string) => void;
	/** Something a person should know, in words (e.g. a call failed its identity check). */
	warning: (message: string) => void;
};

/** Our PeerJS identity, kept in `sessionStorage` so a reload re-attaches with `reconnect()`. */
export interface PeerIdentity {
	id: string;
	token: string;
}

interface Link {
	call: MediaConnection | null;
	/** Failed attempts since the last connected call (drives the back-off). */
	attempts: number;
	retry: ReturnType<typeof setTimeout> | null;
	watchdog: ReturnType<typeof setTimeout> | null;
	state: CallState | null;
}

/** How long a call may take to connect before it is retried (ms). */
const CONNECT_TIMEOUT_MS = 20_000;
/** How long a call may stay ICE-`disconnected` before it is dialled again (ms). */
const DISCONNECTED_GRACE_MS = 5_000;
/** How long an incoming call waits for its caller to appear in awareness (ms). */
const PENDING_CALL_MS = 10_000;
/** Back-off for retries: 1 s, 2 s, 4 s … at most 15 s, plus up to 30 % jitter (ms). */
const RETRY_BASE_MS = 1_000;
const RETRY_MAX_MS = 15_000;

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
 * The media mesh: one PeerJS `Peer`, one call per remote member.
 *
 * Rules (DESIGN.md, "Media mesh"): the member with the smaller peer id calls; calls are answered
 * only from members present in the room's awareness, and only when the SDP's DTLS fingerprint is
 * the one that member announced there; failed or dropped calls are retried with back-off while
 * the member is still present. Every call carries exactly the outgoing stream's one audio and one
 * video track; later changes go through `RTCRtpSender.replaceTrack` (PeerJS cannot renegotiate).
 */
export class Mesh extends ObservableV2<MeshEvents> {
	#relay: ResolvedRelay;
	#certificate: RTCCertificate;
	#identity: PeerIdentity;
	#outgoing: () => MediaStream;
	#peer: Peer | null = null;
	#members = new Map<string, MeshMember>();
	#links = new Map<string, Link>();
	#pending = new Map<string, { call: MediaConnection; timer: ReturnType<typeof setTimeout> }>();
	#destroyed = false;
	#reconnectTimer: ReturnType<typeof setTimeout> | null = null;
	#reconnectAttempts = 0;
	#opened: Promise<string> | null = null;
	#settle: { resolve: (id: string) => void; reject: (error: Error) => void } | null = null;

	/**
	 * @param options.relay the relay's config (PeerJS server and ICE servers).
	 * @param options.certificate this device's DTLS certificate (its fingerprint is in awareness).
	 * @param options.identity the PeerJS id and token to use (reuse after a reload).
	 * @param options.outgoing returns the stream to send (one audio and one video track).
	 */
	constructor(options: {
		relay: ResolvedRelay;
		certificate: RTCCertificate;
		identity: PeerIdentity;
		outgoing: () => MediaStream;
	}) {
		super();
		this.#relay = options.relay;
		this.#certificate = options.certificate;
		this.#identity = options.identity;
		this.#outgoing = options.outgoing;
	}

	/** Starts loading PeerJS ahead of joining, so registration at the relay starts at once. */
	static preload(): void {
		void import('peerjs');
	}

	/** Our current PeerJS identity (it changes when the relay says our id is taken). */
	get identity(): PeerIdentity {
		return this.#identity;
	}

	/**
	 * Registers at the relay's PeerJS endpoint. Network trouble is retried with back-off (the
	 * promise then waits); an id held by another tab is replaced by a fresh one.
	 *
	 * @returns our peer id once the relay answered `OPEN`.
	 * @throws Error in words when the relay refuses us for good (wrong key, server error) or the
	 *   browser cannot make WebRTC calls.
	 */
	start(): Promise<string> {
		this.#opened ??= new Promise<string>((resolve, reject) => {
			this.#settle = { resolve, reject };
			void this.#connect();
		});
		return this.#opened;
	}

	async #connect() {
		const { Peer } = await import('peerjs');
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
		peer.on('disconnected', () => this.#scheduleReconnect());
		peer.on('open', (id) => {
			this.#reconnectAttempts = 0;
			this.#settle?.resolve(id);
			this.emit('open', [id]);
			this.#callEveryone();
		});
		peer.on('error', (error) => this.#onPeerError(peer, error));
	}

	/**
	 * Tells the mesh who is in the room now (from awareness): calls new members whose id is
	 * larger than ours, answers calls that were waiting for their caller to appear, and hangs up
	 * on members who left.
	 */
	setMembers(members: Iterable<MeshMember>) {
		const next = new Map<string, MeshMember>();
		for (const m of members) if (m.peerId !== this.#identity.id) next.set(m.peerId, m);
		this.#members = next;
		for (const peerId of [...this.#links.keys()]) {
			if (!next.has(peerId)) this.#drop(peerId);
		}
		for (const [peerId, { call, timer }] of [...this.#pending]) {
			if (next.get(peerId)?.dtls) {
				clearTimeout(timer);
				this.#pending.delete(peerId);
				this.#answer(call);
			}
		}
		this.#callEveryone();
	}

	/** Replaces the sent track of `kind` on every call, without renegotiation. */
	async replaceTrack(kind: 'audio' | 'video', track: MediaStreamTrack) {
		const senders: Promise<void>[] = [];
		for (const { call } of this.#links.values()) {
			for (const sender of call?.peerConnection?.getSenders() ?? []) {
				if (sender.track?.kind === kind) {
					senders.push(sender.replaceTrack(track).catch(() => undefined));
				}
			}
		}
		await Promise.all(senders);
	}

	/** Every call's RTCPeerConnection, by remote peer id. */
	connections(): Map<string, RTCPeerConnection> {
		const result = new Map<string, RTCPeerConnection>();
		for (const [peerId, { call }] of this.#links) {
			if (call?.peerConnection) result.set(peerId, call.peerConnection);
		}
		return result;
	}

	/** Hangs up every call and leaves the relay. */
	destroy() {
		this.#destroyed = true;
		if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
		for (const peerId of [...this.#links.keys()]) this.#drop(peerId);
		for (const { call, timer } of this.#pending.values()) {
			clearTimeout(timer);
			call.close();
		}
		this.#pending.clear();
		this.#peer?.destroy();
		this.#peer = null;
		super.destroy();
	}

	/** Of each pair, the member with the smaller peer id calls (DESIGN.md, "Media mesh"). */
	#isCaller(remotePeerId: string): boolean {
		return this.#identity.id < remotePeerId;
	}

	#callEveryone() {
		const peer = this.#peer;
		if (!peer?.open || this.#destroyed) return;
		for (const member of this.#members.values()) {
			if (!this.#isCaller(member.peerId)) continue;
			const link = this.#links.get(member.peerId);
			if (link?.call || link?.retry) continue;
			if (!member.dtls) continue;
			this.#call(member.peerId);
		}
	}

	#call(peerId: string) {
		const peer = this.#peer;
		if (!peer?.open) return;
		const link = this.#link(peerId);
		const call = peer.call(peerId, this.#outgoing());
		if (!call) return;
		link.call = call;
		this.#setState(peerId, link, 'connecting');
		this.#watch(peerId, call);
		call.peerConnection.addEventListener('signalingstatechange', () => {
			const remote = call.peerConnection?.remoteDescription;
			if (remote && !this.#verified(peerId, remote.sdp)) call.close();
		});
	}

	#onIncoming(call: MediaConnection) {
		const peerId = call.peer;
		if (this.#destroyed) return call.close();
		if (this.#members.get(peerId)?.dtls) return this.#answer(call);
		// The caller may have seen our awareness before we saw theirs: wait for it, briefly.
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

	#answer(call: MediaConnection) {
		const peerId = call.peer;
		if (!this.#verified(peerId, offerSdp(call))) return call.close();
		const link = this.#link(peerId);
		if (link.call && link.call !== call) link.call.close();
		link.call = call;
		this.#setState(peerId, link, 'connecting');
		this.#watch(peerId, call);
		call.answer(this.#outgoing());
	}

	/** Checks the SDP's DTLS fingerprint against the one `peerId` announced in awareness. */
	#verified(peerId: string, sdp: string | undefined): boolean {
		const expected = this.#members.get(peerId)?.dtls;
		if (expected && sdp && sdpMatchesFingerprint(sdp, expected)) return true;
		this.emit('warning', [
			"A call was refused because it did not come from the participant it claimed to be. Someone may be interfering with this meeting's connection."
		]);
		return false;
	}

	#watch(peerId: string, call: MediaConnection) {
		const link = this.#link(peerId);
		if (link.watchdog) clearTimeout(link.watchdog);
		link.watchdog = setTimeout(() => {
			if (link.call === call && link.state !== 'connected') call.close();
		}, CONNECT_TIMEOUT_MS);
		call.on('stream', (stream) => {
			if (link.call === call) this.emit('stream', [peerId, stream]);
		});
		call.on('iceStateChanged', (state) => {
			if (link.call !== call) return;
			if (state === 'connected' || state === 'completed') {
				link.attempts = 0;
				if (link.watchdog) clearTimeout(link.watchdog);
				this.#setState(peerId, link, 'connected');
			} else if (state === 'disconnected') {
				this.#setState(peerId, link, 'reconnecting');
				// ICE may recover by itself (consent freshness, RFC 7675); if it does not, dial again:
				// PeerJS cannot renegotiate, so a new call is how this mesh restarts ICE.
				if (link.watchdog) clearTimeout(link.watchdog);
				link.watchdog = setTimeout(() => {
					if (link.call === call && link.state === 'reconnecting') call.close();
				}, DISCONNECTED_GRACE_MS);
			}
		});
		const ended = () => {
			if (link.call !== call) return;
			link.call = null;
			this.emit('ended', [peerId]);
			this.#retryLater(peerId, link);
		};
		call.on('close', ended);
		call.on('error', () => {
			ended();
			call.close();
		});
	}

	#retryLater(peerId: string, link: Link) {
		if (this.#destroyed || !this.#members.has(peerId)) return this.#drop(peerId);
		link.state = 'reconnecting';
		this.emit('state', [peerId, 'reconnecting']);
		if (!this.#isCaller(peerId) || link.retry) return; // the other side calls again
		const delay = Math.min(RETRY_BASE_MS * 2 ** link.attempts, RETRY_MAX_MS);
		link.attempts++;
		link.retry = setTimeout(
			() => {
				link.retry = null;
				if (this.#members.has(peerId) && !link.call) this.#call(peerId);
			},
			delay * (1 + Math.random() * 0.3)
		);
	}

	#drop(peerId: string) {
		const link = this.#links.get(peerId);
		if (!link) return;
		this.#links.delete(peerId);
		if (link.retry) clearTimeout(link.retry);
		if (link.watchdog) clearTimeout(link.watchdog);
		const call = link.call;
		link.call = null;
		call?.close();
		this.emit('ended', [peerId]);
	}

	#link(peerId: string): Link {
		let link = this.#links.get(peerId);
		if (!link) {
			link = { call: null, attempts: 0, retry: null, watchdog: null, state: null };
			this.#links.set(peerId, link);
		}
		return link;
	}

	#setState(peerId: string, link: Link, state: CallState) {
		if (link.state === state) return;
		link.state = state;
		this.emit('state', [peerId, state]);
	}

	#onPeerError(peer: Peer, error: PeerError<string>) {
		if (peer !== this.#peer) return;
		switch (error.type) {
			case 'peer-unavailable': {
				// The relay expired our offer: the callee is not connected (yet). Retry that call.
				const peerId = /peer (\S+)$/.exec(error.message)?.[1];
				const link = peerId ? this.#links.get(peerId) : undefined;
				if (peerId && link?.call) {
					const call = link.call;
					link.call = null;
					call.close();
					this.#retryLater(peerId, link);
				}
				return;
			}
			case 'unavailable-id':
				// Our id is held by another tab with another token: take a fresh identity.
				this.#identity = newPeerIdentity();
				this.#peer = null;
				peer.destroy();
				void this.#connect();
				return;
			case 'network':
			case 'socket-error':
			case 'socket-closed':
			case 'disconnected':
				this.#scheduleReconnect();
				return;
			case 'server-error':
			case 'invalid-key':
			case 'ssl-unavailable':
				this.#settle?.reject(
					new Error(`Confer's server refused the call connection (${error.message}).`)
				);
				this.emit('warning', [
					`Confer's server refused the call connection (${error.message}). Chat still works.`
				]);
				return;
			case 'browser-incompatible':
				this.#settle?.reject(
					new Error(
						'This browser cannot make video calls. Try a recent Chrome, Edge, Firefox or Safari.'
					)
				);
				return;
		}
	}

	#scheduleReconnect() {
		if (this.#destroyed || this.#reconnectTimer) return;
		const delay = Math.min(RETRY_BASE_MS * 2 ** this.#reconnectAttempts++, RETRY_MAX_MS);
		this.#reconnectTimer = setTimeout(() => {
			this.#reconnectTimer = null;
			const peer = this.#peer;
			if (this.#destroyed || !peer) return;
			if (peer.destroyed) {
				this.#peer = null;
				void this.#connect();
			} else if (peer.disconnected) {
				peer.reconnect();
			}
		}, delay);
	}
}

/** The SDP of an incoming call's offer (PeerJS 1.5 keeps the OFFER payload in `options._payload`). */
function offerSdp(call: MediaConnection): string | undefined {
	const options = (call as unknown as { options?: { _payload?: { sdp?: { sdp?: string } } } })
		.options;
	return options?._payload?.sdp?.sdp;
}
