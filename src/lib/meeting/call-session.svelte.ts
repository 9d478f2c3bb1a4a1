import { captureProfile } from '$lib/media/adaptation';
import type { LocalMedia } from '$lib/media/local-media.svelte';
import { MeshError, type Mesh, type MeshMember } from '$lib/media/mesh';
import { ReceiveSilence } from '$lib/media/receive-silence';
import type { ConnectionStats } from '$lib/media/stats';
import { toHello } from '$lib/room/hello';
import { readPresence, type Presence } from '$lib/room/presence';
import type { RoomSync } from '$lib/room/room-sync';
import { CallMonitor, SELF } from './call-monitor';
import type { LocalPresence } from './local-presence';
import type { Notices } from './notices.svelte';
import {
	describeChanges,
	toParticipants,
	type Announcement,
	type CallState,
	type Participant
} from './participants';
import { mustStepBack } from './video-cap';

/** A raised hand goes down once its owner has spoken this long without a pause since raising it (ms). */
export const HAND_AUTO_LOWER_MS = 3_000;

/**
 * A participant whose media and data connections have both been down this long is shown as gone
 * (ms). Chromium reports a connection `disconnected` a few seconds after the other side stops
 * answering ICE consent checks (RFC 7675), so a crashed browser disappears within about 10 s,
 * not after y-protocols' 30 s awareness timeout.
 */
export const GONE_AFTER_MS = 2_000;

/**
 * A call over which nothing at all arrived for this long counts as down at once, before ICE
 * notices (ms): see {@link ReceiveSilence}. With statistics every 2 s (`STATS_INTERVAL_MS` in
 * call-monitor.ts) that is two samples in a row with nothing new, so a crashed browser is shown as
 * gone 4–6 s after it died.
 */
export const SILENT_AFTER_MS = 3_500;

/** The relay must be unreachable this long before the person is told (ms): blips pass unseen. */
const RELAY_GRACE_MS = 2_000;

/**
 * A member known only from its hello, or whose awareness timed out without its calls ever
 * connecting, is forgotten after this long (ms). One whose calls connected stays until both its
 * connections are down ({@link GONE_AFTER_MS}).
 */
const FORGET_AFTER_MS = 60_000;

/** How often liveness and hellos are re-checked (ms). */
const TICK_MS = 1_000;

/** Options of a {@link CallSession}. */
export interface CallSessionOptions {
	sync: RoomSync;
	local: LocalMedia;
	presence: LocalPresence;
	notices: Notices;
	/** The room's video cap (`/config.json` `room.videoCap`); Infinity until known. */
	videoCap: () => number;
	/** Whether outgoing video follows the mesh size (off only to measure what it saves). */
	adapt: boolean;
}

/**
 * The call as the person takes part in it: who is in it, their media and connection states,
 * who speaks, statistics, mesh adaptation and the room's video cap. Owns the {@link CallMonitor}
 * and drives the {@link Mesh} (members from awareness and hellos, hellos answered and sent).
 * Everything the UI sees is keyed by participant id.
 */
export class CallSession {
	participants = $state.raw<Participant[]>([]);
	/** Participant ids of the people making sound now. */
	speaking = $state.raw<ReadonlySet<number>>(new Set());
	/** The most recent active speaker (for the Speaker layout), or null. */
	lastSpeaker = $state<number | null>(null);
	/** Connection statistics per participant id, refreshed every few seconds. */
	stats = $state.raw<ReadonlyMap<number, ConnectionStats>>(new Map());
	/** The latest joins, leaves and hands, for an `aria-live` region. */
	announcement = $state.raw<Announcement[]>([]);
	/**
	 * What to tell the person about the relay (room signaling and registration for calls): `up`,
	 * nothing to say; `lost`, it went away (calls already connected go on, newcomers cannot reach
	 * us); `waiting`, it has not answered since the meeting opened. Said only after it has been
	 * unreachable for a couple of seconds.
	 */
	relay = $state<'waiting' | 'up' | 'lost'>('up');

	#options: CallSessionOptions;
	#sync: RoomSync;
	#mesh: Mesh | null = null;
	#monitor: CallMonitor | null = null;
	#presences = new Map<number, Presence>();
	/** The awareness clock of each participant's latest state (y-protocols `meta`). */
	#clocks = new Map<number, number>();
	/** Participants whose awareness timed out, and since when (ms since the epoch). */
	#lingering = new Map<number, { presence: Presence; since: number }>();
	#streams = new Map<string, MediaStream>();
	#hellos = new Map<string, { dtls: string; at: number }>();
	/** Participants ever seen connected, when both their connections went down, and the gone. */
	#seenUp = new Set<number>();
	#downSince = new Map<number, number>();
	#departed = new Set<number>();
	#silence = new ReceiveSilence();
	#adaptedFor = '';
	/** Adaptation runs in order ({@link #applyAdaptation}); the number of the newest. */
	#adapting: Promise<void> = Promise.resolve();
	#adaptRuns = 0;
	#relayTimer: ReturnType<typeof setTimeout> | null = null;
	#livenessTimer: ReturnType<typeof setTimeout> | null = null;
	#tick: ReturnType<typeof setInterval>;
	#cleanup: (() => void)[] = [];
	#destroyed = false;

	constructor(options: CallSessionOptions) {
		this.#options = options;
		const sync = (this.#sync = options.sync);
		const awareness = sync.awareness;
		const onAwareness = (
			{ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
			origin: unknown
		) => {
			this.#linger(removed, origin);
			for (const id of [...added, ...updated]) {
				const clock = awareness.meta.get(id)?.clock;
				if (clock !== undefined) this.#clocks.set(id, clock);
			}
			this.#refresh();
		};
		const onStatus = () => {
			this.#updateRelay();
			if (sync.connected) void this.#sayHello(null);
		};
		const onSignal = (message: Record<string, unknown>) => this.#onSignal(message);
		const onLink = () => this.#checkLiveness();
		awareness.on('change', onAwareness);
		sync.on('status', onStatus);
		sync.on('signal', onSignal);
		sync.on('link', onLink);
		this.#cleanup.push(
			() => awareness.off('change', onAwareness),
			() => sync.off('status', onStatus),
			() => sync.off('signal', onSignal),
			() => sync.off('link', onLink)
		);
		this.#tick = setInterval(() => {
			this.#checkLiveness();
			this.#updateMembers();
		}, TICK_MS);
		this.#refresh();
		this.#updateRelay();
	}

	/**
	 * Takes over the mesh once the relay is known (it may already be registered from the prejoin
	 * screen): calls members, answers hellos, measures and adapts.
	 */
	attach(mesh: Mesh) {
		if (this.#destroyed || this.#mesh) return;
		this.#mesh = mesh;
		const { local, presence, notices } = this.#options;
		const monitor = (this.#monitor = new CallMonitor(mesh, { adapt: this.#options.adapt }));
		monitor.listen(SELF, new MediaStream([local.audioTrack]));
		this.#cleanup.push(
			local.onTrackChange(async (kind, track) => {
				if (kind === 'audio') monitor.listen(SELF, new MediaStream([track]));
				await mesh.replaceTrack(kind, track);
				if (kind === 'video') this.#adapt(true);
			}),
			() => monitor.destroy()
		);
		mesh.on('open', (peerId) => {
			presence.setEndpoints({ peerId });
			void this.#sayHello(null);
		});
		mesh.on('registered', () => this.#updateRelay());
		mesh.on('stream', (peerId, stream) => {
			this.#streams.set(peerId, stream);
			monitor.listen(peerId, stream);
			this.#refresh();
		});
		mesh.on('state', (_peerId, state) => {
			this.#checkLiveness();
			this.#refresh();
			if (state === 'connected') this.#adapt(true);
		});
		mesh.on('ended', (peerId) => {
			this.#streams.delete(peerId);
			this.#silence.forget(peerId);
			monitor.forget(peerId);
			this.#refresh();
		});
		mesh.on('refused', () => notices.add('call-refused'));
		mesh.on('nudge', (peerId) => void this.#sayHello(peerId));
		monitor.on('stats', (stats) => this.#onStats(stats));
		monitor.on('speakers', (speaking, last) => this.#onSpeakers(speaking, last));
		mesh.start().catch((error: unknown) => {
			if (error instanceof MeshError) notices.add(error.code);
		});
		if (mesh.registered) presence.setEndpoints({ peerId: mesh.identity.id });
		this.#updateRelay();
		this.#updateMembers();
		void this.#sayHello(null);
	}

	/** Whether the participant's video is on screen here (senders pause video nobody sees). */
	setTileVisible(participantId: number, visible: boolean) {
		const peerId = this.participants.find((p) => p.id === participantId)?.peerId;
		if (peerId) this.#options.presence.setTileVisible(peerId, visible);
	}

	/** Tries the relay again now (the browser came back online). */
	reconnectNow() {
		this.#sync.reconnectNow();
		this.#mesh?.reconnectNow();
	}

	/** Stops listening and measuring. The mesh is the meeting's to destroy. */
	destroy() {
		if (this.#destroyed) return;
		this.#destroyed = true;
		clearInterval(this.#tick);
		if (this.#relayTimer) clearTimeout(this.#relayTimer);
		if (this.#livenessTimer) clearTimeout(this.#livenessTimer);
		for (const fn of this.#cleanup.splice(0)) fn();
		this.#mesh = null;
		this.#monitor = null;
		this.#streams.clear();
	}

	/**
	 * y-protocols drops a participant whose awareness was not renewed for 30 s, here or on any
	 * peer (y-webrtc passes such removals on to everyone, with the participant's last clock). On a
	 * starved machine that happens while their calls are fine: they stay until the liveness check
	 * finds both connections down (or, if none ever connected, for {@link FORGET_AFTER_MS}).
	 * Someone who leaves removes their own state with a new clock, and goes at once.
	 */
	#linger(removed: number[], origin: unknown) {
		const now = Date.now();
		const meta = this.#sync.awareness.meta;
		for (const id of removed) {
			const presence = this.#presences.get(id);
			const left = origin !== 'timeout' && meta.get(id)?.clock !== this.#clocks.get(id);
			this.#clocks.delete(id);
			if (presence && !left) this.#lingering.set(id, { presence, since: now });
		}
	}

	/**
	 * How long the participant's media call has received nothing while it is (or was just)
	 * connected (ms); 0 when there is no such call.
	 */
	#silentFor(p: Presence): number {
		const state = p.peerId ? this.#mesh?.link(p.peerId)?.state : undefined;
		if (!p.peerId || (state !== 'connected' && state !== 'reconnecting')) return 0;
		return this.#silence.silentFor(p.peerId);
	}

	/** Whether the media call or the data connection to a participant is up now. */
	#connectionUp(p: Presence): boolean {
		const media = p.peerId ? this.#mesh?.link(p.peerId)?.state === 'connected' : false;
		return media || (p.syncId ? this.#sync.dataLinkUp(p.syncId) === true : false);
	}

	/** Rebuilds the participants from awareness and the calls; re-applies what depends on them. */
	#refresh() {
		if (this.#destroyed) return;
		const awareness = this.#sync.awareness;
		this.#presences = readPresence(awareness);
		const now = Date.now();
		for (const [id, { presence, since }] of [...this.#lingering]) {
			const forgotten = !this.#seenUp.has(id) && now - since > FORGET_AFTER_MS;
			if (this.#presences.has(id) || this.#departed.has(id) || forgotten) {
				this.#lingering.delete(id);
			} else {
				this.#presences.set(id, presence);
			}
		}
		for (const id of [...this.#seenUp]) {
			if (!this.#presences.has(id)) this.#forget(id);
		}
		const participants = toParticipants(this.#presences, awareness.clientID, (peerId) => ({
			stream: this.#streams.get(peerId) ?? null,
			connection: this.#callState(peerId)
		})).filter((p) => !this.#departed.has(p.id));
		const changes = describeChanges(this.participants, participants);
		if (changes.length > 0) this.announcement = changes;
		this.participants = participants;
		this.#adapt();
		this.#enforceVideoCap();
		this.#updateMembers();
	}

	#callState(peerId: string): CallState {
		const link = this.#mesh?.link(peerId);
		if (link?.state === 'connected') return 'connected';
		return link?.everConnected ? 'reconnecting' : 'connecting';
	}

	/**
	 * The mesh's members: everyone in awareness with a PeerJS id (the gone too: should they come
	 * back, their call does), plus members known so far only from a recent hello.
	 */
	#updateMembers() {
		const mesh = this.#mesh;
		if (!mesh || this.#destroyed) return;
		const selfId = this.#sync.awareness.clientID;
		const members = new Map<string, MeshMember>();
		for (const [id, p] of this.#presences) {
			if (id !== selfId && p.peerId) members.set(p.peerId, { peerId: p.peerId, dtls: p.dtls });
		}
		const now = Date.now();
		for (const [peerId, hello] of [...this.#hellos]) {
			const connected = mesh.link(peerId)?.state === 'connected';
			if (members.has(peerId) || (!connected && now - hello.at > FORGET_AFTER_MS)) {
				this.#hellos.delete(peerId);
			} else {
				members.set(peerId, { peerId, dtls: hello.dtls });
			}
		}
		mesh.setMembers(members.values());
	}

	/** A hello from a member: call it at once (or let it call us), and answer an announcement. */
	#onSignal(message: Record<string, unknown>) {
		const hello = toHello(message);
		const mesh = this.#mesh;
		if (!hello || !mesh || hello.peerId === mesh.identity.id) return;
		if (hello.to !== null && hello.to !== mesh.identity.id) return;
		this.#hellos.set(hello.peerId, { dtls: hello.dtls, at: Date.now() });
		this.#updateMembers();
		mesh.poke(hello.peerId);
		if (hello.to === null) void this.#sayHello(hello.peerId);
	}

	/** Publishes our hello: to everyone (`to` null) or in answer to one member. */
	async #sayHello(to: string | null) {
		const mesh = this.#mesh;
		const dtls = this.#presences.get(this.#sync.awareness.clientID)?.dtls;
		if (!mesh?.registered || !dtls || this.#destroyed) return;
		await this.#sync.publish({ type: 'confer/hello', peerId: mesh.identity.id, dtls, to });
	}

	#updateRelay() {
		const up = () => this.#sync.connected && (this.#mesh?.registered ?? false);
		if (up()) {
			if (this.#relayTimer) clearTimeout(this.#relayTimer);
			this.#relayTimer = null;
			this.relay = 'up';
			return;
		}
		if (this.relay !== 'up' || this.#relayTimer || this.#destroyed) return;
		this.#relayTimer = setTimeout(() => {
			this.#relayTimer = null;
			if (!up() && !this.#destroyed) this.relay = this.#sync.everConnected ? 'lost' : 'waiting';
		}, RELAY_GRACE_MS);
	}

	/**
	 * Marks as gone the participants whose media call and data connection have both been down for
	 * {@link GONE_AFTER_MS} after having been up, or whose call received nothing for
	 * {@link SILENT_AFTER_MS}; brings them back when either comes up again.
	 * Nobody is marked gone while the relay is unreachable too, or when everyone else went down at
	 * once: then the problem is more likely ours (`navigator.onLine` cannot tell: it is false on a
	 * network without a default route, and stays true on a Wi-Fi without internet).
	 */
	#checkLiveness() {
		if (this.#destroyed) return;
		const now = Date.now();
		const selfId = this.#sync.awareness.clientID;
		const down: number[] = [];
		let others = 0;
		let changed = false;
		for (const [id, p] of this.#presences) {
			if (id === selfId) continue;
			others++;
			// Silence outweighs a data connection that still looks up: ICE notices later.
			const silentMs = this.#silentFor(p);
			const silent = silentMs >= SILENT_AFTER_MS;
			if (!silent && this.#connectionUp(p)) {
				this.#seenUp.add(id);
				this.#downSince.delete(id);
				changed = this.#departed.delete(id) || changed;
			} else if (this.#seenUp.has(id)) {
				down.push(id);
				const since = this.#downSince.get(id) ?? now;
				this.#downSince.set(id, silent ? Math.min(since, now - silentMs) : since);
			}
		}
		const cutOff = !this.#sync.connected || (others >= 2 && down.length === others);
		let due = Infinity;
		for (const id of down) {
			if (this.#departed.has(id)) continue;
			const since = this.#downSince.get(id) ?? now;
			if (cutOff) continue;
			if (now - since >= GONE_AFTER_MS) {
				this.#departed.add(id);
				changed = true;
			} else {
				due = Math.min(due, since + GONE_AFTER_MS - now);
			}
		}
		if (this.#livenessTimer) clearTimeout(this.#livenessTimer);
		this.#livenessTimer = Number.isFinite(due)
			? setTimeout(() => this.#checkLiveness(), due)
			: null;
		if (changed) this.#refresh();
	}

	#forget(id: number) {
		this.#seenUp.delete(id);
		this.#downSince.delete(id);
		this.#departed.delete(id);
	}

	#onStats(byPeer: Map<string, ConnectionStats>) {
		const now = performance.now();
		for (const [peerId, s] of byPeer) {
			if (s.activity) this.#silence.observe(peerId, s.activity, now);
		}
		this.#checkLiveness();
		// The camera's size can change underneath the encodings (a capture profile applied while
		// they were set, a device switch): set them again; senders already right are left alone.
		this.#adapt(true);
		const stats = new Map<number, ConnectionStats>();
		for (const p of this.participants) {
			const s = p.peerId ? byPeer.get(p.peerId) : undefined;
			if (s) stats.set(p.id, s);
		}
		this.stats = stats;
	}

	/** Maps the monitor's peer ids to participants; lowers a raised hand once its owner talks a while. */
	#onSpeakers(speaking: Set<string>, last: string | null) {
		const idOf = (key: string) =>
			key === SELF
				? this.#sync.awareness.clientID
				: this.participants.find((p) => p.peerId === key)?.id;
		const ids = [...speaking].map(idOf).filter((id): id is number => id !== undefined);
		if (ids.length !== this.speaking.size || ids.some((id) => !this.speaking.has(id))) {
			this.speaking = new Set(ids);
		}
		if (last !== null && last !== SELF) {
			const id = idOf(last) ?? this.lastSpeaker;
			if (id !== this.lastSpeaker) this.lastSpeaker = id;
		}
		const { presence } = this.#options;
		const raisedAt = presence.hand;
		if (raisedAt === null) return;
		const spokenMs = Math.min(this.#monitor?.speakingForMs(SELF) ?? 0, Date.now() - raisedAt);
		if (spokenMs >= HAND_AUTO_LOWER_MS) {
			presence.setHand(false);
			this.announcement = [{ kind: 'hand-auto-lowered' }];
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
		void this.#applyAdaptation(this.participants.length, paused);
	}

	/**
	 * The camera's capture first (encodings scale from its size), then every call's encoding. One
	 * at a time, and only the newest: were an older run to finish after a newer one, the camera
	 * would end at the old size while the encodings were scaled for the new one (720p sent as 540p
	 * in a room of four).
	 */
	#applyAdaptation(people: number, paused: ReadonlySet<string>) {
		const run = ++this.#adaptRuns;
		this.#adapting = this.#adapting
			.then(async () => {
				const monitor = this.#monitor;
				if (!monitor || run !== this.#adaptRuns) return;
				if (this.#options.adapt) await this.#options.local.setCapture(captureProfile(people));
				if (this.#monitor === monitor && run === this.#adaptRuns) {
					await monitor.adapt(people, paused);
				}
			})
			.catch(() => undefined);
	}

	/** Past the room's video cap, the newest to send video turns it off and is told why. */
	#enforceVideoCap() {
		const { local, notices, videoCap } = this.#options;
		if (!mustStepBack(this.participants, videoCap())) return;
		if (local.sharing) local.stopScreenShare();
		if (local.camOn) void local.setCamera(false);
		notices.add('video-full-joined', String(videoCap()));
	}
}
