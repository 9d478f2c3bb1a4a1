import { ObservableV2 } from 'lib0/observable';
import type { DataConnection, MediaConnection } from 'peerjs';
import { sdpMatchesFingerprint } from './sdp';

/**
 * Where the call with one remote member stands (ARCHITECTURE.md, "The call link"):
 *
 * - `idle`: no call. The caller waits out its back-off; the callee waits for the caller's call.
 * - `dialling`: the caller's offer is out; waiting for the answer.
 * - `connecting`: offer and answer are exchanged; ICE and DTLS are being set up.
 * - `connected`: media flows (`RTCPeerConnection.connectionState` is `connected`).
 * - `reconnecting`: the connection was lost (`disconnected`); ICE may still recover by itself.
 * - `closed`: the member left, the mesh was destroyed, or the member's calls are refused.
 *
 * Every state but `connected` and `closed` has a deadline. When it passes, the call is closed and,
 * for the caller, dialled again as a fresh call after a jittered back-off. So a link either
 * connects or is replaced, however slow the machine is: while `connecting`, every step the
 * connection takes (signaling, ICE gathering and checks, DTLS) restarts the deadline, up to three
 * times its length, so a slow connection is given time and a stuck one is not.
 */
export type LinkState =
	'idle' | 'dialling' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** Timing of a {@link CallLink}, in ms. Deadlines grow with failed attempts, up to 3×. */
export interface LinkTiming {
	/** `dialling`: how long the answer may take (longer than the relay's 5 s offer queue). */
	dialMs: number;
	/** `connecting`: how long ICE and DTLS may go without a step forward after offer and answer. */
	connectMs: number;
	/**
	 * `reconnecting`: how long a `disconnected` connection may take to recover by itself before it
	 * is replaced (Chromium reports `disconnected` after a few seconds without STUN consent
	 * responses, RFC 7675).
	 */
	reconnectMs: number;
	/** `idle` as callee: how long to wait for the caller before asking for a call again. */
	waitMs: number;
	/** Back-off before the caller dials again: base × 2^(attempts − 1), at most `backoffMaxMs`, ±30 %. */
	backoffBaseMs: number;
	backoffMaxMs: number;
}

/**
 * The timing used in calls. An answer normally comes within a second and a connection within two;
 * on a machine so loaded that one `setRemoteDescription` takes seconds, the first attempt still
 * gets 15 s for the answer, and later ones up to 45 s. A member that is not there fails faster:
 * the relay expires an undeliverable offer after 5 s (PeerJS `peer-unavailable`).
 */
export const LINK_TIMING: LinkTiming = {
	dialMs: 15_000,
	connectMs: 10_000,
	reconnectMs: 10_000,
	waitMs: 10_000,
	backoffBaseMs: 500,
	backoffMaxMs: 8_000
};

/** Events a {@link CallLink} emits. */
export type CallLinkEvents = {
	/** The link moved to another state. */
	state: (state: LinkState) => void;
	/** Media from the remote member arrived on the current call. */
	stream: (stream: MediaStream) => void;
	/** The current call ended (before a new one is dialled or awaited); its stream is gone. */
	ended: () => void;
	/**
	 * A call did not present the DTLS fingerprint the member announced, and was refused: someone
	 * other than the member answered or called (a tampering relay, for example).
	 */
	refused: () => void;
	/** As callee, no call came within `waitMs`: the member may not know us yet. */
	nudge: () => void;
};

/** What a {@link CallLink} needs from its mesh. */
export interface CallLinkOptions {
	/** The remote member's PeerJS id. */
	remote: string;
	/** Whether this side calls (the smaller peer id calls, so there is no glare). */
	caller: boolean;
	/** Places a call to `remote`; undefined when we are not registered at the relay now. */
	dial: () => MediaConnection | undefined;
	/** The stream to answer with. */
	outgoing: () => MediaStream;
	/** The DTLS fingerprint the member announced (`sha-256 AB:…`), or null if unknown. */
	fingerprint: () => string | null;
	timing?: LinkTiming;
	/** Random numbers in [0, 1) for the back-off jitter (seeded in tests). */
	random?: () => number;
}

/**
 * The call with one remote member, as an explicit state machine with a deadline on every wait.
 * The mesh owns one per member; the link owns its PeerJS `MediaConnection` and closes it itself,
 * without relying on PeerJS's `close` event (PeerJS emits it only for calls that were answered).
 */
export class CallLink extends ObservableV2<CallLinkEvents> {
	readonly remote: string;
	readonly caller: boolean;
	#state: LinkState = 'idle';
	#call: MediaConnection | null = null;
	#deadline: ReturnType<typeof setTimeout> | null = null;
	/** The current deadline's length, when the state began, and what happens when it passes. */
	#wait: { ms: number; since: number; then: () => void } | null = null;
	#attempts = 0;
	#everConnected = false;
	#options: CallLinkOptions;
	#timing: LinkTiming;
	#random: () => number;

	constructor(options: CallLinkOptions) {
		super();
		this.remote = options.remote;
		this.caller = options.caller;
		this.#options = options;
		this.#timing = options.timing ?? LINK_TIMING;
		this.#random = options.random ?? Math.random;
	}

	/** The link's state. */
	get state(): LinkState {
		return this.#state;
	}

	/** Whether media ever flowed on this link (so a lost call reads "Reconnecting…"). */
	get everConnected(): boolean {
		return this.#everConnected;
	}

	/** Failed attempts since the link was last connected. */
	get attempts(): number {
		return this.#attempts;
	}

	/** The current call's connection, once it exists. */
	get peerConnection(): RTCPeerConnection | null {
		return this.#call?.peerConnection ?? null;
	}

	/** Starts the link: the caller dials at once, the callee waits for the call. */
	start() {
		if (this.#state !== 'idle' || this.#call || this.#deadline) return;
		if (this.caller) this.#dial();
		else this.#await();
	}

	/**
	 * The member made itself heard (a hello, or our registration at the relay came back): a caller
	 * waiting out its back-off dials now. Other states keep their own deadlines.
	 */
	poke() {
		if (this.#state === 'idle' && this.caller) this.#dial();
	}

	/**
	 * An incoming call from the member. A verified call replaces the current one in any state:
	 * the caller dials again only when its side of the old call is gone.
	 */
	incoming(call: MediaConnection) {
		if (this.#state === 'closed' || this.caller) {
			call.close();
			return;
		}
		if (!this.#matches(offerSdp(call))) {
			call.close();
			this.emit('refused', []);
			return;
		}
		this.#drop();
		this.#call = call;
		this.#watch(call);
		call.answer(this.#options.outgoing());
		this.#watchConnection(call);
		this.#enter('connecting', this.#scaled(this.#timing.connectMs));
	}

	/** The relay could not deliver our offer (PeerJS `peer-unavailable`): try again later. */
	unavailable() {
		if (this.#state === 'dialling') this.#fail();
	}

	/** Closes the call for good (the member left, or the mesh is destroyed). */
	close() {
		if (this.#state === 'closed') return;
		this.#drop();
		this.#enter('closed', null);
		super.destroy();
	}

	#dial() {
		this.#drop();
		const call = this.#options.dial();
		if (!call) {
			this.#backOff();
			return;
		}
		this.#call = call;
		this.#watch(call);
		this.#enter('dialling', this.#scaled(this.#timing.dialMs));
		const pc = call.peerConnection;
		pc.addEventListener('signalingstatechange', () => {
			if (this.#call !== call || this.#state !== 'dialling' || !pc.remoteDescription) return;
			if (!this.#matches(pc.remoteDescription.sdp)) {
				this.#refuse();
				return;
			}
			this.#enter('connecting', this.#scaled(this.#timing.connectMs));
			this.#onConnectionState(call);
		});
		this.#watchConnection(call);
	}

	/** As callee: wait for the caller's call; ask for one again when it does not come. */
	#await() {
		this.#enter('idle', this.#scaled(this.#timing.waitMs), () => {
			this.emit('nudge', []);
			this.#await();
		});
	}

	#watch(call: MediaConnection) {
		call.on('stream', (stream) => {
			if (this.#call === call) this.emit('stream', [stream]);
		});
		// PeerJS closes the call itself when ICE fails; it then emits `close` (answered calls only).
		call.on('close', () => {
			if (this.#call === call) this.#fail();
		});
	}

	#watchConnection(call: MediaConnection) {
		const pc = call.peerConnection;
		pc.addEventListener('connectionstatechange', () => this.#onConnectionState(call));
		for (const step of [
			'signalingstatechange',
			'icegatheringstatechange',
			'iceconnectionstatechange'
		]) {
			pc.addEventListener(step, () => {
				if (this.#call === call) this.#progress();
			});
		}
		pc.addEventListener('connectionstatechange', () => {
			if (this.#call === call) this.#progress();
		});
	}

	/** A `connecting` call took a step: its deadline starts again, up to three times its length. */
	#progress() {
		const wait = this.#wait;
		if (this.#state !== 'connecting' || !wait || !this.#deadline) return;
		const left = wait.since + 3 * wait.ms - Date.now();
		if (left <= 0) return;
		clearTimeout(this.#deadline);
		this.#deadline = setTimeout(
			() => {
				this.#deadline = null;
				wait.then();
			},
			Math.min(wait.ms, left)
		);
	}

	#onConnectionState(call: MediaConnection) {
		if (this.#call !== call || this.#state === 'dialling') return;
		switch (call.peerConnection?.connectionState) {
			case 'connected':
				this.#attempts = 0;
				this.#everConnected = true;
				this.#enter('connected', null);
				return;
			case 'disconnected':
				if (this.#state === 'connected') {
					this.#enter('reconnecting', this.#scaled(this.#timing.reconnectMs));
				}
				return;
			case 'failed':
			case 'closed':
				this.#fail();
				return;
		}
	}

	/** The current call is over: the caller dials again after a back-off; the callee waits. */
	#fail() {
		if (this.#state === 'closed') return;
		this.#drop();
		this.#attempts++;
		if (this.caller) this.#backOff();
		else this.#await();
	}

	#refuse() {
		this.#drop();
		this.#enter('closed', null);
		this.emit('refused', []);
	}

	#backOff() {
		const { backoffBaseMs, backoffMaxMs } = this.#timing;
		const base = Math.min(backoffBaseMs * 2 ** Math.max(0, this.#attempts - 1), backoffMaxMs);
		const delay = base * (0.7 + 0.6 * this.#random());
		this.#enter('idle', delay, () => this.#dial());
	}

	/** Closes the current call, if any, and tells the mesh its stream is gone. */
	#drop() {
		const call = this.#call;
		if (!call) return;
		this.#call = null;
		call.close();
		this.emit('ended', []);
	}

	/**
	 * Moves to `state` with a deadline of `ms` (null: none). When the deadline passes, `then` runs
	 * (by default: the call failed).
	 */
	#enter(state: LinkState, ms: number | null, then: () => void = () => this.#fail()) {
		if (this.#deadline) clearTimeout(this.#deadline);
		this.#wait = ms === null ? null : { ms, since: Date.now(), then };
		this.#deadline =
			ms === null
				? null
				: setTimeout(() => {
						this.#deadline = null;
						then();
					}, ms);
		if (state === this.#state) return;
		this.#state = state;
		this.emit('state', [state]);
	}

	/** Deadlines grow by half for each failed attempt, up to 3×: a slow machine gets its time. */
	#scaled(ms: number): number {
		return ms * (1 + 0.5 * Math.min(this.#attempts, 4));
	}

	/** Whether the SDP presents the DTLS fingerprint the member announced. */
	#matches(sdp: string | undefined): boolean {
		const expected = this.#options.fingerprint();
		return !!expected && !!sdp && sdpMatchesFingerprint(sdp, expected);
	}
}

/** The SDP of an incoming call or data connection's offer (PeerJS 1.5 keeps the OFFER payload in `options._payload`). */
export function offerSdp(call: MediaConnection | DataConnection): string | undefined {
	const options = (call as unknown as { options?: { _payload?: { sdp?: { sdp?: string } } } })
		.options;
	return options?._payload?.sdp?.sdp;
}
