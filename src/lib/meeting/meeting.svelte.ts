import { deviceFiles } from '$lib/files/device';
import { FileShare } from '$lib/files/file-share.svelte';
import type { FileRef } from '$lib/files/manifest';
import { meetingDoc, messageDocs } from '$lib/history/history';
import { HistorySearch } from '$lib/history/search-client';
import { requestPersistence } from '$lib/history/storage';
import { Library } from '$lib/library/library';
import { certificateFingerprint, loadCertificate } from '$lib/media/certificate';
import { LocalMedia } from '$lib/media/local-media.svelte';
import { Mesh, newPeerIdentity, type PeerIdentity } from '$lib/media/mesh';
import type { ResolvedRelay } from '$lib/relay/config';
import { RelayConnection } from '$lib/relay/relay-connection.svelte';
import { formatLink } from '$lib/room/link';
import type { RecordSource } from '$lib/recording/compositor';
import type { MeetingRecorder } from '$lib/recording/recorder';
import { readPresence, type Reaction } from '$lib/room/presence';
import {
	MAX_MESSAGE_LENGTH,
	MAX_TITLE_LENGTH,
	type ChatMessage,
	type RoomDoc
} from '$lib/room/room-doc';
import { RoomSync } from '$lib/room/room-sync';
import type { Schedule } from '$lib/schedule/schedule';
import { CallSession } from './call-session.svelte';
import { LocalPresence } from './local-presence';
import { Notices } from './notices.svelte';
import { Cancelled, Scope } from './scope';
import { videoFull } from './video-cap';

export type { Participant } from './participants';

/** Where the person is in the meeting's life. */
export type Phase = 'prejoin' | 'joining' | 'in-call' | 'left';

/** Why joining failed (the room could not be opened); `ui/messages.ts` says it in words. */
export type JoinError = 'storage' | 'already-open' | 'other';

/** What the prejoin screen keeps ready, so that joining only has to announce the person. */
interface Prepared {
	library: Library;
	sync: RoomSync;
	certificate: RTCCertificate;
}

/**
 * One meeting as the person experiences it: prejoin → in call → left. Keeps the phase and ties
 * together the parts that own the state:
 *
 * - {@link LocalMedia}: the person's devices and what is sent;
 * - {@link RoomSync}: the room document, its providers and awareness;
 * - {@link RelayConnection}: the relay's config, retried until it answers;
 * - {@link Mesh}: registration at the relay and the calls;
 * - {@link LocalPresence}: this device's awareness state;
 * - {@link CallSession}: participants, streams, speakers, statistics.
 *
 * The prejoin screen already opens the room and registers at the relay, so "Join now" only
 * announces the person. Every step checks, after each wait, whether the meeting was left in the
 * meantime, and releases what it opened.
 */
export class Meeting {
	readonly code: string;
	readonly secret: string;
	readonly link: string;
	readonly local = new LocalMedia();
	readonly notices = new Notices();

	phase = $state<Phase>('prejoin');
	name = $state('');
	messages = $state.raw<ChatMessage[]>([]);
	/** The meeting's title (from the room document), or its code. */
	title = $state('');
	/**
	 * When the meeting is scheduled, and its title: from the invitation link, or from this
	 * device's Upcoming list; null when it was not scheduled.
	 */
	schedule = $state.raw<Schedule | null>(null);
	/** Why the last attempt to join failed; null when it did not. */
	error = $state<JoinError | null>(null);
	/** The relay's config and whether it answers (the prejoin screen says when it does not). */
	relay = $state.raw<RelayConnection | null>(null);
	/** The call, while in it. */
	call = $state.raw<CallSession | null>(null);
	/** Files shared in the chat, while in the call. */
	files = $state.raw<FileShare | null>(null);
	/** This device's recording of the meeting: off, starting, on, paused, or being saved. */
	recording = $state<'off' | 'starting' | 'on' | 'paused' | 'saving'>('off');
	/** The chosen audio output device ('' = system default). */
	speakerId = $state('');
	/**
	 * Names of the other people in the call, for the prejoin screen: from the room's awareness,
	 * which reaches only members (encrypted with the room key), one name per person.
	 */
	present = $state.raw<string[]>([]);

	#scope = new Scope();
	#prepared: Promise<Prepared> | null = null;
	#library: Library | null = null;
	#sync: RoomSync | null = null;
	#mesh: Mesh | null = null;
	#presence: LocalPresence | null = null;
	#cleanup: (() => void)[] = [];
	#recorder: MeetingRecorder | null = null;
	#closing: Promise<void> = Promise.resolve();

	/** @param schedule what the invitation link says of the meeting's time and title */
	constructor(code: string, secret: string, origin: string, schedule: Schedule | null = null) {
		this.code = code;
		this.secret = secret;
		this.link = formatLink(origin, code, secret);
		this.title = code;
		this.schedule = schedule;
	}

	/**
	 * Prepares the prejoin screen: the person's profile and devices, the relay's config, the room
	 * (its stored chat, then the network) and registration for calls. Safe to call again; resolves
	 * once the devices answered.
	 */
	async prepare() {
		const scope = this.#scope;
		this.#prepared ??= this.#prepareRoom(scope);
		this.#prepared.catch(() => undefined);
		const library = await this.#prepared.then((p) => p.library).catch(() => null);
		if (scope.closed) return;
		const settings = library?.settings;
		this.name ||= library?.profile.name ?? '';
		await this.local.start({
			micOn: settings?.micOn ?? true,
			camOn: settings?.camOn ?? true,
			micId: settings?.micId,
			cameraId: settings?.cameraId
		});
		if (scope.closed) return;
		this.local.watchLevel();
	}

	async #prepareRoom(scope: Scope): Promise<Prepared> {
		const relay = scope.own(new RelayConnection(), (r) => r.destroy());
		this.relay = relay;
		const [library, sync, certificate] = await Promise.all([
			this.#library ?? Library.open(),
			RoomSync.open({ code: this.code, secret: this.secret }),
			loadCertificate()
		]);
		this.#library = library;
		this.schedule = library.scheduledMeeting(this.code) ?? this.schedule;
		scope.own(sync, (s) => s.destroy());
		this.#sync = sync;
		const room = sync.room;
		const showRoom = () => {
			this.messages = room.messages();
			this.title = room.title || this.code;
			this.#record(room);
		};
		this.#cleanup.push(room.onChange(showRoom));
		showRoom();
		const awareness = sync.awareness;
		const showPresent = () => {
			const people = new Map<string, string>();
			for (const [clientID, p] of readPresence(awareness)) {
				if (clientID !== awareness.clientID) people.set(p.user.id, p.user.name);
			}
			this.present = [...people.values()];
		};
		awareness.on('change', showPresent);
		this.#cleanup.push(() => awareness.off('change', showPresent));
		showPresent();
		void relay.ready().then((config) => this.#goOnline(scope, sync, certificate, config));
		return { library, sync, certificate };
	}

	/** The relay answered: register for calls and sync the room through it. */
	async #goOnline(scope: Scope, sync: RoomSync, certificate: RTCCertificate, relay: ResolvedRelay) {
		if (scope.closed) return;
		const mesh = new Mesh({
			relay,
			certificate,
			identity: peerIdentity(this.code),
			outgoing: () => this.local.outgoing
		});
		this.#mesh = mesh;
		mesh.on('open', () => storeIdentity(this.code, mesh.identity));
		mesh.start().catch(() => undefined);
		this.call?.attach(mesh);
		this.files?.attach(mesh);
		try {
			await sync.connect({
				signalingUrl: relay.yjsUrl,
				iceServers: relay.config.iceServers,
				iceTransportPolicy: relay.config.iceTransportPolicy
			});
		} catch {
			// Only another open copy of this meeting in the tab refuses; joining reports it.
			return;
		}
		const syncId = sync.syncId;
		if (syncId && !scope.closed) this.#presence?.setEndpoints({ syncId });
	}

	/**
	 * Joins: announces the person in the room's presence and starts the call. Without the relay
	 * the person is in with the chat from this device, and the call connects by itself as soon as
	 * the relay answers.
	 */
	async join() {
		if (this.phase !== 'prejoin') return;
		this.phase = 'joining';
		this.error = null;
		const scope = this.#scope;
		try {
			this.#prepared ??= this.#prepareRoom(scope);
			const prepared = await this.#prepared;
			scope.check();
			this.#enter(prepared);
		} catch (error) {
			if (error instanceof Cancelled || scope.closed) return;
			await this.#teardown();
			this.phase = 'prejoin';
			this.error = joinError(error);
			await this.prepare();
		}
	}

	#enter({ library, sync, certificate }: Prepared) {
		const name = this.name.trim() || 'Guest';
		this.name = name;
		library.setName(name);
		library.settings = {
			micOn: this.local.micOn,
			camOn: this.local.camOn,
			micId: this.local.micId,
			cameraId: this.local.cameraId
		};
		const profile = library.profile;
		const mesh = this.#mesh;
		const presence = new LocalPresence(sync.awareness, {
			user: { id: profile.id, name, color: profile.color },
			peerId: mesh?.registered ? mesh.identity.id : null,
			syncId: sync.syncId,
			dtls: certificateFingerprint(certificate),
			media: this.local.sending,
			joinedAt: Date.now(),
			hand: null,
			reaction: null,
			notViewing: [],
			files: [],
			recording: null
		});
		this.#presence = presence;
		this.#cleanup.push(this.local.onSendingChange((media) => presence.setSending(media)));
		const call = new CallSession({
			sync,
			local: this.local,
			presence,
			notices: this.notices,
			videoCap: () => this.relay?.config?.config.room.videoCap ?? Infinity,
			adapt: adaptationEnabled()
		});
		this.call = call;
		if (mesh) call.attach(mesh);
		const files = new FileShare({
			code: this.code,
			room: sync.room,
			awareness: sync.awareness,
			presence,
			device: deviceFiles()
		});
		this.files = files;
		if (mesh) files.attach(mesh);
		const online = () => call.reconnectNow();
		addEventListener('online', online);
		this.#cleanup.push(() => removeEventListener('online', online));

		sync.room.initMeta();
		// A scheduled meeting's title reaches everyone through the room document.
		if (!sync.room.title && this.schedule?.title) sync.room.title = this.schedule.title;
		sync.room.recordAttendance(profile.id, name, 'join');
		library.recordJoin({ code: this.code, link: this.link, title: sync.room.title || undefined });
		this.#record(sync.room);
		void requestPersistence();
		this.local.stopLevel();
		this.phase = 'in-call';
	}

	/** Messages already offered to the history search by this page. */
	#indexed = new Set<string>();
	#indexedTitle: string | null = null;

	/**
	 * Keeps the history in step with the room, for a meeting this device has joined: new messages
	 * (typed here or synced from a peer) go to the search, a new title to the search and the library.
	 */
	#record(room: RoomDoc) {
		const library = this.#library;
		if (!library?.meeting(this.code)) return;
		const search = HistorySearch.shared();
		const fresh = this.messages.filter((m) => !this.#indexed.has(m.id));
		for (const m of fresh) this.#indexed.add(m.id);
		if (fresh.length > 0) search.add(messageDocs(this.code, fresh));
		if (room.title !== this.#indexedTitle) {
			this.#indexedTitle = room.title;
			library.setTitle(this.code, room.title);
			search.add([meetingDoc(this.code, room.title, room.namesSeen())]);
		}
	}

	/**
	 * Renames the meeting for everyone in it (the room document's `meta.title`); '' removes the
	 * title, and the code shows instead.
	 *
	 * @throws RangeError when longer than MAX_TITLE_LENGTH (200) characters
	 */
	rename(title: string): void {
		const room = this.#sync?.room;
		if (!room) return;
		if (title.trim().length > MAX_TITLE_LENGTH) {
			throw new RangeError(`A meeting title can be at most ${MAX_TITLE_LENGTH} characters long.`);
		}
		room.title = title;
	}

	/**
	 * Sends a chat message, with files prepared by `files.prepare`: one message per file, the
	 * text going with the first.
	 *
	 * @returns false (with a notice when the text is too long) when it was not sent
	 */
	send(text: string, attached: readonly FileRef[] = []): boolean {
		const room = this.#sync?.room;
		const profile = this.#library?.profile;
		if (!room || !profile || (text.trim() === '' && attached.length === 0)) return false;
		if (text.trim().length > MAX_MESSAGE_LENGTH) {
			this.notices.add('message-too-long', String(MAX_MESSAGE_LENGTH));
			return false;
		}
		const author = { id: profile.id, name: this.name };
		if (attached.length === 0) room.sendMessage(author, text);
		attached.forEach((file, i) => {
			void this.files?.posted(file);
			room.sendMessage(author, i === 0 ? text : '', Date.now(), file);
		});
		return true;
	}

	/**
	 * Starts recording the meeting on this device; everyone sees and hears that it is recorded.
	 * Recording needs no network: it stays here, listed with the meeting.
	 *
	 * @returns false (with a notice saying why) when it could not start
	 */
	async startRecording(): Promise<boolean> {
		if (this.recording !== 'off' || this.phase !== 'in-call') return false;
		this.recording = 'starting';
		const { MeetingRecorder, RecordingError } = await import('$lib/recording/recorder');
		try {
			this.#recorder = await MeetingRecorder.start({
				code: this.code,
				title: this.#sync?.room.title ?? '',
				sources: () => this.#recordSources(),
				audio: () => this.#recordAudio(),
				onProblem: (problem) => {
					this.notices.add(problem === 'space' ? 'recording-space-stopped' : 'recording-failed');
					void this.stopRecording();
				}
			});
		} catch (error) {
			this.recording = 'off';
			const reason = error instanceof RecordingError ? error.reason : 'failed';
			this.notices.add(
				reason === 'space'
					? 'recording-no-space'
					: reason === 'unsupported'
						? 'recording-unsupported'
						: 'recording-failed'
			);
			return false;
		}
		if (this.phase !== 'in-call') {
			void this.#recorder.stop();
			this.#recorder = null;
			return false;
		}
		this.recording = 'on';
		this.#presence?.setRecording({ since: this.#recorder.meta.startedAt, paused: false });
		return true;
	}

	/** Pauses or resumes the recording (everyone sees it paused). */
	setRecordingPaused(paused: boolean): void {
		const recorder = this.#recorder;
		if (!recorder || (this.recording !== 'on' && this.recording !== 'paused')) return;
		if (paused) recorder.pause();
		else recorder.resume();
		this.recording = paused ? 'paused' : 'on';
		this.#presence?.setRecording({ since: recorder.meta.startedAt, paused });
	}

	/** Stops the recording and saves it on this device (it is then listed with the meeting). */
	async stopRecording(): Promise<void> {
		const recorder = this.#recorder;
		if (!recorder) return;
		this.#recorder = null;
		this.#presence?.setRecording(null);
		this.recording = 'saving';
		await recorder.stop();
		this.recording = 'off';
	}

	/** Who the recording shows: everyone in the call, as the tiles show them. */
	#recordSources(): RecordSource[] {
		return (this.call?.participants ?? []).map((p) => ({
			key: p.id,
			name: p.self ? this.name : p.name,
			color: p.color,
			stream: p.self ? (this.local.screen ?? this.local.camera) : p.stream,
			cam: p.media.cam,
			screen: p.media.screen
		}));
	}

	/** What the recording hears: everyone else's audio and this person's microphone. */
	#recordAudio(): MediaStreamTrack[] {
		const tracks = this.local.outgoing.getAudioTracks();
		for (const p of this.call?.participants ?? []) {
			if (!p.self && p.stream) tracks.push(...p.stream.getAudioTracks());
		}
		return tracks;
	}

	/** Mutes or unmutes the microphone (presence follows). */
	async toggleMic() {
		await this.local.setMic(!this.local.micOn);
	}

	/** Turns the camera off or on (presence follows), unless the room is full for video. */
	async toggleCamera() {
		if (!this.local.camOn && this.videoFull) {
			this.notices.add('video-full', String(this.relay?.config?.config.room.videoCap ?? ''));
			return;
		}
		await this.local.setCamera(!this.local.camOn);
	}

	/** Starts or stops sharing the screen (presence follows). */
	async toggleScreenShare() {
		if (this.local.sharing) this.local.stopScreenShare();
		else await this.local.startScreenShare();
	}

	/** Whether the room's video cap is reached by others, so this person cannot turn video on. */
	get videoFull(): boolean {
		const cap = this.relay?.config?.config.room.videoCap ?? Infinity;
		return videoFull(this.call?.participants ?? [], cap);
	}

	/** Whether the person's hand is raised. */
	get handRaised(): boolean {
		return this.call?.participants.find((p) => p.self)?.hand != null;
	}

	/** Raises or lowers the person's hand. */
	setHand(raised: boolean) {
		this.#presence?.setHand(raised);
	}

	/** Shows a reaction over the person's tile for everyone, for a few seconds. */
	react(name: Reaction) {
		this.#presence?.react(name);
	}

	/**
	 * Leaves: the person disappears from everyone's view at once, every track and connection
	 * stops, attendance and the meeting are recorded, and the "left" screen shows.
	 */
	leave() {
		if (this.phase !== 'in-call' && this.phase !== 'joining') return;
		const sync = this.#sync;
		const library = this.#library;
		if (sync && library && this.#presence) {
			sync.room.recordAttendance(library.profile.id, this.name, 'leave');
			const names = sync.room.namesSeen();
			library.recordLeave(this.code, {
				names,
				messageCount: sync.room.messages().length,
				title: sync.room.title || undefined
			});
			HistorySearch.shared().add([meetingDoc(this.code, sync.room.title, names)]);
		}
		this.#closing = this.#teardown();
		this.phase = 'left';
	}

	/** Back to the prejoin screen after leaving, and straight into the call. */
	async rejoin() {
		await this.#closing;
		this.phase = 'prejoin';
		await this.prepare();
		await this.join();
	}

	/** Releases everything (the page is going away). */
	destroy() {
		if (this.phase === 'in-call' || this.phase === 'joining') this.leave();
		else this.#closing = this.#teardown();
		void this.#closing.then(() => {
			this.#library?.destroy();
			this.local.dispose();
		});
	}

	/**
	 * Ends the current cycle. The order matters to the others: presence goes first (they see the
	 * person leave at once), then the calls, the devices and the providers.
	 */
	async #teardown() {
		this.#scope.close();
		this.#scope = new Scope();
		// Saved as it stops; if the page goes away first, the next start recovers it.
		if (this.#recorder) void this.stopRecording();
		this.#presence?.leave();
		this.#presence = null;
		this.call?.destroy();
		this.call = null;
		this.files?.destroy();
		this.files = null;
		for (const fn of this.#cleanup.splice(0)) fn();
		this.#mesh?.destroy();
		this.#mesh = null;
		this.local.stop();
		this.notices.clear();
		this.relay?.destroy();
		const sync = this.#sync;
		this.#sync = null;
		this.#prepared = null;
		await sync?.destroy();
	}
}

/** A join failure as a code: the room could not be opened from this device. */
function joinError(error: unknown): JoinError {
	if (error instanceof Error && /already open/.test(error.message)) return 'already-open';
	if (error instanceof DOMException) return 'storage';
	return 'other';
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
	storeIdentity(code, identity);
	return identity;
}

function storeIdentity(code: string, identity: PeerIdentity) {
	try {
		sessionStorage.setItem(identityKey(code), JSON.stringify(identity));
	} catch {
		// Storage full or disabled: a reload then takes a new identity.
	}
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
