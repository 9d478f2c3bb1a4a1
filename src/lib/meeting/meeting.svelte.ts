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
import { CallMonitor, SELF } from './call-monitor';
import { describeChanges, toParticipants, type Participant } from './participants';
import { Mesh, newPeerIdentity, type CallState, type PeerIdentity } from '$lib/media/mesh';

export type { Participant } from './participants';

/** Where the person is in the meeting's life. */
export type Phase = 'prejoin' | 'joining' | 'in-call' | 'left';

/** A notice shown to the person (warnings from the mesh, chat errors…), newest last. */
export interface Notice {
	id: number;
	text: string;
}

let nextNoticeId = 1;

/** A raised hand goes down once its owner has spoken this long without a pause since raising it (ms). */
export const HAND_AUTO_LOWER_MS = 3_000;

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
	/** Connection statistics per remote peer id, refreshed every few seconds. */
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
	#monitor: CallMonitor | null = null;
	#adaptedFor = '';
	#hiddenTiles = new Set<string>();
	#remoteStreams = new Map<string, MediaStream>();
	#callStates = new Map<string, CallState>();
	#cleanup: (() => void)[] = [];
	#closing: Promise<void> = Promise.resolve();
	#reactionTimer: ReturnType<typeof setTimeout> | undefined;

	constructor(code: string, secret: string, origin: string) {
		this.code = code;
		this.secret = secret;
		this.link = formatLink(origin, code, secret);
		this.title = code;
	}

	/** Prepares the prejoin screen: the person's profile and devices, the relay's config. */
	async prepare() {
		Mesh.preload();
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
			joinedAt: Date.now(),
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
		if (!this.local.camOn && this.videoFull) {
			this.notify('This meeting is full for video. You can still talk, listen and chat.');
			return;
		}
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
		this.#monitor = null;
		this.#adaptedFor = '';
		this.#hiddenTiles.clear();
		this.speaking = new Set();
		this.stats = new Map();
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
		const monitor = new CallMonitor(mesh, { adapt: adaptationEnabled() });
		this.#mesh = mesh;
		this.#monitor = monitor;
		monitor.listen(SELF, new MediaStream([this.local.audioTrack]));
		this.#cleanup.push(
			this.local.onTrackChange(async (kind, track) => {
				if (kind === 'audio') monitor.listen(SELF, new MediaStream([track]));
				await mesh.replaceTrack(kind, track);
				if (kind === 'video') this.#adapt(true);
			}),
			() => monitor.destroy()
		);
		mesh.on('open', (peerId) => {
			sessionStorage.setItem(identityKey(this.code), JSON.stringify(mesh.identity));
			this.#updatePresence({ peerId });
		});
		mesh.on('stream', (peerId, stream) => {
			this.#remoteStreams.set(peerId, stream);
			monitor.listen(peerId, stream);
			this.#onAwareness(awareness);
		});
		mesh.on('state', (peerId, state) => {
			this.#callStates.set(peerId, state);
			this.#onAwareness(awareness);
			if (state === 'connected') this.#adapt(true);
		});
		mesh.on('ended', (peerId) => {
			this.#remoteStreams.delete(peerId);
			this.#callStates.delete(peerId);
			monitor.forget(peerId);
			this.#onAwareness(awareness);
		});
		mesh.on('warning', (text) => this.notify(text));
		monitor.on('stats', (stats) => (this.stats = stats));
		monitor.on('speakers', (speaking, last) => this.#onSpeakers(speaking, last, awareness));
		mesh.start().catch((error: Error) => this.notify(`${error.message} Chat still works.`));
	}

	/** Maps the monitor's peer ids to tiles; lowers a raised hand once its owner talks a while. */
	#onSpeakers(speaking: Set<string>, last: string | null, awareness: Awareness) {
		const clientOf = (key: string) =>
			key === SELF ? awareness.clientID : this.participants.find((p) => p.peerId === key)?.clientId;
		const ids = [...speaking].map(clientOf).filter((id): id is number => id !== undefined);
		if (ids.length !== this.speaking.size || ids.some((id) => !this.speaking.has(id))) {
			this.speaking = new Set(ids);
		}
		if (last !== null && last !== SELF) {
			const id = clientOf(last) ?? this.lastSpeaker;
			if (id !== this.lastSpeaker) this.lastSpeaker = id;
		}
		const raisedAt = this.participants.find((p) => p.self)?.hand ?? null;
		const spokenMs = Math.min(
			this.#monitor?.speakingForMs(SELF) ?? 0,
			raisedAt === null ? 0 : Date.now() - raisedAt
		);
		if (raisedAt !== null && spokenMs >= HAND_AUTO_LOWER_MS) {
			this.setHand(false);
			this.announcement = 'Your hand was lowered because you are speaking';
		}
	}

	/**
	 * Re-applies the outgoing video encodings when the room's size or who views us changed (or
	 * always, with `force`, after a new call or track).
	 */
	#adapt(force = false) {
		const self = this.participants.find((p) => p.self);
		const paused = new Set(
			this.participants
				.filter((p) => !p.self && p.peerId && self?.peerId && p.notViewing.includes(self.peerId))
				.map((p) => p.peerId as string)
		);
		const key = `${this.participants.length}|${[...paused].sort().join(',')}`;
		if (!force && key === this.#adaptedFor) return;
		this.#adaptedFor = key;
		void this.#monitor?.adapt(this.participants.length, paused);
	}

	/**
	 * The room cap for video (`/config.json` `room.videoCap`): past it, the latest to turn a camera on
	 * stays in with audio only — every sender encodes once per peer, so a bigger mesh would fail all.
	 */
	#enforceVideoCap() {
		const cap = this.#relay?.config.room.videoCap ?? Infinity;
		// Every device ranks senders the same way (by join time), so only the newest step back.
		const senders = this.participants
			.filter((p) => p.media.cam || p.media.screen)
			.sort((a, b) => (a.joinedAt ?? 0) - (b.joinedAt ?? 0) || a.clientId - b.clientId);
		const rank = senders.findIndex((p) => p.self);
		if (rank === -1 || rank < cap) return;
		if (this.local.sharing) this.local.stopScreenShare();
		void this.local.setCamera(false).then(() => this.#announceMedia());
		this.notify(
			`This meeting is full for video (${cap} people with video). You are in with audio only: you can still see, hear and chat with everyone.`
		);
	}

	/** Whether the room's video cap is reached by others, so this person cannot turn video on. */
	get videoFull(): boolean {
		const cap = this.#relay?.config.room.videoCap ?? Infinity;
		return (
			this.participants.filter((p) => !p.self && (p.media.cam || p.media.screen)).length >= cap
		);
	}

	/**
	 * Tells peers whether their video is on screen here, so a sender can pause video nobody
	 * looks at (a tile scrolled out of the strip).
	 */
	setTileVisible(peerId: string, visible: boolean) {
		if (visible === !this.#hiddenTiles.has(peerId)) return;
		if (visible) this.#hiddenTiles.delete(peerId);
		else this.#hiddenTiles.add(peerId);
		this.#updatePresence({ notViewing: [...this.#hiddenTiles] });
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

	#onAwareness(awareness: Awareness) {
		const presences = readPresence(awareness);
		const participants = toParticipants(presences, awareness.clientID, (peerId) => ({
			stream: this.#remoteStreams.get(peerId) ?? null,
			connection: this.#callStates.get(peerId) ?? 'connecting'
		}));
		const changes = describeChanges(this.participants, participants);
		if (changes) this.announcement = changes;
		this.participants = participants;
		this.#adapt();
		this.#enforceVideoCap();
		this.#mesh?.setMembers(
			[...presences]
				.filter(([clientId, p]) => clientId !== awareness.clientID && p.peerId)
				.map(([, p]) => ({ peerId: p.peerId as string, dtls: p.dtls }))
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

/**
 * Whether outgoing video follows the mesh size. On unless `localStorage['confer-adaptation']` is
 * `off` (used by `npm run bench:mesh` to measure what adaptation saves).
 */
function adaptationEnabled(): boolean {
	try {
		return localStorage.getItem('confer-adaptation') !== 'off';
	} catch {
		return true;
	}
}
