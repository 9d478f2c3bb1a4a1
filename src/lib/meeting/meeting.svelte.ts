import type { Awareness } from 'y-protocols/awareness';
import { formatLink } from '$lib/room/link';
import { readPresence, type Presence, type Reaction } from '$lib/room/presence';
import type { ChatMessage } from '$lib/room/room-doc';
import { RoomSync } from '$lib/room/room-sync';
import { Library } from '$lib/library/library';
import { loadRelayConfig, type ResolvedRelay } from '$lib/relay/config';
import { certificateFingerprint, loadCertificate } from '$lib/media/certificate';
import { LocalMedia } from '$lib/media/local-media.svelte';
import type { ConnectionStats } from '$lib/media/stats';
import { Mesh, newPeerIdentity, type CallState, type PeerIdentity } from '$lib/media/mesh';

/** Where the person is in the meeting's life. */
export type Phase = 'prejoin' | 'joining' | 'in-call' | 'left';

/** One tile / one row of the participants list. */
export interface Participant {
	/** Awareness client id (unique per tab). */
	clientId: number;
	self: boolean;
	personId: string;
	name: string;
	color: string;
	peerId: string | null;
	media: Presence['media'];
	/** When their hand went up (ms since the epoch), or null. */
	hand: number | null;
	/** Their latest reaction, while it is on screen. */
	reaction: Presence['reaction'];
	/** Their media (for yourself: your camera or screen). */
	stream: MediaStream | null;
	/** The call's state; null for yourself. */
	connection: CallState | null;
}

/** A notice shown to the person (warnings from the mesh, chat errors…), newest last. */
export interface Notice {
	id: number;
	text: string;
}

let nextNoticeId = 1;

/** How often connection statistics are sampled (ms). */
export const STATS_INTERVAL_MS = 2_000;

/** How long a reaction stays over the sender's tile (ms). */
export const REACTION_MS = 3_000;

/**
 * One meeting as the person experiences it: prejoin → in call → left.
 *
 * Owns the room's providers ({@link RoomSync}), the media mesh ({@link Mesh}), the local devices
 * ({@link LocalMedia}) and the person's {@link Library}; components only read its state and call
 * its methods.
 */
export class Meeting {
	readonly code: string;
	readonly secret: string;
	readonly link: string;
	readonly local = new LocalMedia();

	phase = $state<Phase>('prejoin');
	name = $state('');
	messages = $state.raw<ChatMessage[]>([]);
	participants = $state.raw<Participant[]>([]);
	notices = $state.raw<Notice[]>([]);
	/** Why joining failed, in words. */
	error = $state<string | null>(null);
	/** Whether the room's signaling is connected (peers can be reached). */
	online = $state(false);
	/** Awareness client ids of the participants making sound now. */
	speaking = $state.raw<ReadonlySet<number>>(new Set());
	/** The most recent active speaker (for the Speaker layout), or null. */
	lastSpeaker = $state<number | null>(null);
	/** Connection statistics per remote peer id, refreshed every {@link STATS_INTERVAL_MS}. */
	stats = $state.raw<ReadonlyMap<string, ConnectionStats>>(new Map());
	/** The chosen audio output device ('' = system default). */
	speakerId = $state('');
	/** The latest joins, leaves and raised hands, for an `aria-live` region. */
	announcement = $state('');
	/** The meeting's title (from the room document), or its code. */
	title = $state('');

	#library: Library | null = null;
	#relay: ResolvedRelay | null = null;
	#relayError: string | null = null;
	#sync: RoomSync | null = null;
	#mesh: Mesh | null = null;
	#remoteStreams = new Map<string, MediaStream>();
	#callStates = new Map<string, CallState>();
	#cleanup: (() => void)[] = [];
	#closing: Promise<void> = Promise.resolve();
	#reactionTimer: ReturnType<typeof setTimeout> | undefined;
	/** Arrival order of awareness clients, for a stable tile order. */
	#order = new Map<number, number>();

	constructor(code: string, secret: string, origin: string) {
		this.code = code;
		this.secret = secret;
		this.link = formatLink(origin, code, secret);
		this.title = code;
	}

	/** Prepares the prejoin screen: the person's profile and devices, the relay's config. */
	async prepare() {
		const [library] = await Promise.all([this.#library ?? Library.open(), this.#loadRelay()]);
		this.#library = library;
		this.name ||= library.profile.name;
		const settings = library.settings;
		await this.local.start({
			micOn: settings.micOn,
			camOn: settings.camOn,
			micId: settings.micId,
			cameraId: settings.cameraId
		});
		this.local.watchLevel();
	}

	/**
	 * Joins: opens the room (local chat first, then the network), announces presence, joins the
	 * media mesh. Without the relay the person still gets the room's chat from this device.
	 */
	async join() {
		if (this.phase !== 'prejoin') return;
		this.phase = 'joining';
		this.error = null;
		try {
			await this.#join();
		} catch (error) {
			await this.#teardown();
			this.phase = 'prejoin';
			this.error = `Joining failed: ${error instanceof Error ? error.message : String(error)} Try again.`;
			await this.prepare();
		}
	}

	async #join() {
		const name = this.name.trim() || 'Guest';
		this.name = name;
		const library = (this.#library ??= await Library.open());
		library.setName(name);
		library.settings = {
			micOn: this.local.micOn,
			camOn: this.local.camOn,
			micId: this.local.micId,
			cameraId: this.local.cameraId
		};
		if (!this.#relay) await this.#loadRelay();
		const relay = this.#relay;
		const sync = await RoomSync.open({
			code: this.code,
			secret: this.secret,
			signalingUrl: relay?.yjsUrl ?? '',
			iceServers: relay?.config.iceServers ?? [],
			iceTransportPolicy: relay?.config.iceTransportPolicy,
			connect: relay !== null
		});
		this.#sync = sync;
		const room = sync.room;
		room.initMeta();
		this.#cleanup.push(
			room.onChange(() => {
				this.messages = room.messages();
				this.title = room.title || this.code;
			})
		);
		this.messages = room.messages();
		this.title = room.title || this.code;

		const certificate = await loadCertificate();
		const profile = library.profile;
		const awareness = sync.awareness;
		const presence: Presence = {
			user: { id: profile.id, name, color: profile.color },
			peerId: null,
			dtls: certificateFingerprint(certificate),
			media: { mic: this.local.micOn, cam: this.local.camOn, screen: false },
			hand: null,
			reaction: null,
			notViewing: []
		};
		awareness.setLocalState(presence);
		const onAwareness = () => this.#onAwareness(awareness);
		awareness.on('change', onAwareness);
		this.#cleanup.push(() => awareness.off('change', onAwareness));
		const onStatus = ({ connected }: { connected: boolean }) => (this.online = connected);
		sync.on('status', onStatus);
		this.#cleanup.push(() => sync.off('status', onStatus));
		this.online = sync.connected;

		room.recordAttendance(profile.id, name, 'join');
		library.recordJoin({ code: this.code, link: this.link, title: room.title || undefined });
		this.local.stopLevel();
		this.phase = 'in-call';
		this.#onAwareness(awareness);

		if (relay) this.#startMesh(relay, certificate, awareness);
		else if (this.#relayError) this.notify(`${this.#relayError} Chat is saved on this device.`);
	}

	/** Sends a chat message. Returns false (with a notice) when the text is not acceptable. */
	send(text: string): boolean {
		const room = this.#sync?.room;
		const profile = this.#library?.profile;
		if (!room || !profile) return false;
		try {
			room.sendMessage({ id: profile.id, name: this.name }, text);
			return true;
		} catch (error) {
			this.notify(error instanceof Error ? error.message : String(error));
			return false;
		}
	}

	/** Mutes or unmutes the microphone and tells everyone. */
	async toggleMic() {
		await this.local.setMic(!this.local.micOn);
		this.#announceMedia();
	}

	/** Turns the camera off or on and tells everyone. */
	async toggleCamera() {
		await this.local.setCamera(!this.local.camOn);
		this.#announceMedia();
	}

	/** Starts or stops sharing the screen. */
	async toggleScreenShare() {
		if (this.local.sharing) this.local.stopScreenShare();
		else await this.local.startScreenShare();
		this.#announceMedia();
	}

	/** Whether the person's hand is raised. */
	get handRaised(): boolean {
		return this.participants.find((p) => p.self)?.hand != null;
	}

	/** Raises or lowers the person's hand. */
	setHand(raised: boolean) {
		this.#updatePresence({ hand: raised ? Date.now() : null });
	}

	/** Shows a reaction over the person's tile for everyone, for {@link REACTION_MS}. */
	react(name: Reaction) {
		this.#updatePresence({ reaction: { name, at: Date.now() } });
		clearTimeout(this.#reactionTimer);
		this.#reactionTimer = setTimeout(() => this.#updatePresence({ reaction: null }), REACTION_MS);
	}

	/** Adds a notice for the person. */
	notify(text: string) {
		this.notices = [...this.notices, { id: nextNoticeId++, text }];
	}

	/** Removes a notice. */
	dismiss(id: number) {
		this.notices = this.notices.filter((n) => n.id !== id);
	}

	/**
	 * Leaves: stops every track and connection, records attendance and the meeting in the
	 * library, and shows the "left" screen.
	 */
	leave() {
		if (this.phase !== 'in-call' && this.phase !== 'joining') return;
		const sync = this.#sync;
		const library = this.#library;
		if (sync && library) {
			sync.room.recordAttendance(library.profile.id, this.name, 'leave');
			library.recordLeave(this.code, {
				names: sync.room.namesSeen(),
				messageCount: sync.room.messages().length,
				title: sync.room.title || undefined
			});
		}
		this.#closing = this.#teardown();
		this.phase = 'left';
	}

	/** Back to the prejoin screen after leaving. */
	async rejoin() {
		await this.#closing;
		this.phase = 'prejoin';
		await this.prepare();
		await this.join();
	}

	/** Releases everything (the page is going away). */
	destroy() {
		if (this.phase === 'in-call') this.leave();
		void this.#teardown();
		void this.#library?.destroy();
		this.#library = null;
	}

	/** Stops media and connections; resolves once the room's providers have let go of the room. */
	async #teardown() {
		for (const fn of this.#cleanup.splice(0)) fn();
		this.#mesh?.destroy();
		this.#mesh = null;
		const sync = this.#sync;
		this.#sync = null;
		this.local.stop();
		this.#remoteStreams.clear();
		this.#callStates.clear();
		this.participants = [];
		this.online = false;
		await sync?.destroy();
	}

	async #loadRelay() {
		try {
			this.#relay = await loadRelayConfig();
			this.#relayError = null;
		} catch (error) {
			this.#relayError = error instanceof Error ? error.message : String(error);
		}
	}

	#startMesh(relay: ResolvedRelay, certificate: RTCCertificate, awareness: Awareness) {
		const mesh = new Mesh({
			relay,
			certificate,
			identity: peerIdentity(this.code),
			outgoing: () => this.local.outgoing
		});
		this.#mesh = mesh;
		this.#cleanup.push(
			this.local.onTrackChange((kind, track) => void mesh.replaceTrack(kind, track))
		);
		mesh.on('open', (peerId) => {
			sessionStorage.setItem(identityKey(this.code), JSON.stringify(mesh.identity));
			const state = awareness.getLocalState() as Presence | null;
			if (state) awareness.setLocalState({ ...state, peerId });
		});
		mesh.on('stream', (peerId, stream) => {
			this.#remoteStreams.set(peerId, stream);
			this.#onAwareness(awareness);
		});
		mesh.on('state', (peerId, state) => {
			this.#callStates.set(peerId, state);
			this.#onAwareness(awareness);
		});
		mesh.on('ended', (peerId) => {
			this.#remoteStreams.delete(peerId);
			this.#callStates.delete(peerId);
			this.#onAwareness(awareness);
		});
		mesh.on('warning', (text) => this.notify(text));
		mesh.start().catch((error: Error) => this.notify(`${error.message} Chat still works.`));
	}

	#announceMedia() {
		this.#updatePresence({
			media: { mic: this.local.micOn, cam: this.local.camOn, screen: this.local.sharing }
		});
	}

	/** Changes fields of our own awareness state (and so what everyone sees). */
	#updatePresence(patch: Partial<Presence>) {
		const awareness = this.#sync?.awareness;
		const state = awareness?.getLocalState() as Presence | null | undefined;
		if (!awareness || !state) return;
		awareness.setLocalState({ ...state, ...patch });
	}

	/** Puts joins, leaves and hands into {@link announcement} for screen readers. */
	#announceChanges(before: Participant[], after: Participant[]) {
		if (before.length === 0) return;
		const previous = new Map(before.map((p) => [p.clientId, p]));
		const lines: string[] = [];
		for (const p of after) {
			const was = previous.get(p.clientId);
			previous.delete(p.clientId);
			if (p.self) continue;
			if (!was) lines.push(`${p.name} joined`);
			else if (p.hand !== null && was.hand === null) lines.push(`${p.name} raised their hand`);
			else if (p.hand === null && was.hand !== null) lines.push(`${p.name} lowered their hand`);
		}
		for (const p of previous.values()) if (!p.self) lines.push(`${p.name} left`);
		if (lines.length > 0) this.announcement = lines.join('. ');
	}

	#onAwareness(awareness: Awareness) {
		const presences = readPresence(awareness);
		const participants: Participant[] = [];
		for (const [clientId, p] of presences) {
			const self = clientId === awareness.clientID;
			participants.push({
				clientId,
				self,
				personId: p.user.id,
				name: p.user.name,
				color: p.user.color,
				peerId: p.peerId,
				media: p.media,
				hand: p.hand,
				reaction: p.reaction,
				stream: self ? null : p.peerId ? (this.#remoteStreams.get(p.peerId) ?? null) : null,
				connection: self || !p.peerId ? null : (this.#callStates.get(p.peerId) ?? 'connecting')
			});
		}
		// Tiles keep the order in which people arrived; yours comes first.
		for (const p of participants)
			if (!this.#order.has(p.clientId)) this.#order.set(p.clientId, this.#order.size);
		const order = (p: Participant) => (p.self ? -1 : (this.#order.get(p.clientId) ?? 0));
		participants.sort((a, b) => order(a) - order(b));
		this.#announceChanges(this.participants, participants);
		this.participants = participants;
		this.#mesh?.setMembers(
			participants
				.filter((p) => !p.self && p.peerId)
				.map((p) => ({ peerId: p.peerId as string, dtls: presences.get(p.clientId)?.dtls ?? null }))
		);
	}
}

function identityKey(code: string): string {
	return `confer-peer:${code}`;
}

/** The PeerJS identity for this tab and room: reused after a reload, new otherwise. */
function peerIdentity(code: string): PeerIdentity {
	try {
		const stored = JSON.parse(sessionStorage.getItem(identityKey(code)) ?? 'null') as unknown;
		if (
			stored &&
			typeof (stored as PeerIdentity).id === 'string' &&
			typeof (stored as PeerIdentity).token === 'string'
		) {
			return stored as PeerIdentity;
		}
	} catch {
		// Corrupt entry: start afresh.
	}
	const identity = newPeerIdentity();
	sessionStorage.setItem(identityKey(code), JSON.stringify(identity));
	return identity;
}
