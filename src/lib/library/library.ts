import type { IndexeddbPersistence } from 'y-indexeddb';
import * as Y from 'yjs';
import { isMeetingCode } from '$lib/room/link';
import { openPersistence } from '$lib/room/persistence';
import { randomId } from '$lib/room/random';
import { isRecord, MAX_NAME_LENGTH, readFinite, readId, readName } from '$lib/room/sanitize';
import { REPEATS, scheduleProblem, type ScheduledMeeting } from '$lib/schedule/schedule';
import { randomProfileColor } from './palette';

/** IndexedDB database of the person's own data (ARCHITECTURE.md, "Link and keys"). */
export const LIBRARY_DB_NAME = 'confer-library';

/** Most names remembered per meeting. */
export const MAX_NAMES_PER_MEETING = 100;

/** Who this person is to others: sent in awareness and chat. */
export type Profile = {
	/** random 128-bit id, 22 base64url characters, made on first open */
	id: string;
	/** display name, `''` until the person gives one */
	name: string;
	/** avatar colour `#rrggbb`, from PROFILE_COLORS */
	color: string;
};

/** Device preferences for the prejoin screen. */
export type Settings = {
	micOn: boolean;
	camOn: boolean;
	/** `MediaDeviceInfo.deviceId` of the chosen camera */
	cameraId?: string;
	/** `MediaDeviceInfo.deviceId` of the chosen microphone */
	micId?: string;
};

/** What the person's device remembers about one meeting. */
export type MeetingEntry = {
	/** meeting code, `abc-defg-hij` */
	code: string;
	/** the full link, secret included, to rejoin */
	link: string;
	/** `''` when the meeting has no title */
	title: string;
	/** ms since the epoch */
	firstJoinedAt: number;
	/** ms since the epoch */
	lastJoinedAt: number;
	/** time spent in the meeting over all sessions, ms */
	totalMs: number;
	/** display names seen, first seen first, at most {@link MAX_NAMES_PER_MEETING} */
	names: string[];
	/** chat messages in the room when last left */
	messageCount: number;
};

const DEFAULT_SETTINGS: Settings = { micOn: true, camOn: true };

function readStringArray(value: unknown): string[] | null {
	return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : null;
}

/** Reads a stored meeting entry; null if it is not one (written by an older or newer version). */
function readMeeting(value: unknown): MeetingEntry | null {
	if (!isRecord(value)) return null;
	const { code, link, title } = value;
	const firstJoinedAt = readFinite(value.firstJoinedAt);
	const lastJoinedAt = readFinite(value.lastJoinedAt);
	const totalMs = readFinite(value.totalMs);
	const messageCount = readFinite(value.messageCount);
	const names = readStringArray(value.names);
	if (typeof code !== 'string' || typeof link !== 'string' || typeof title !== 'string')
		return null;
	if (firstJoinedAt === null || lastJoinedAt === null || totalMs === null || messageCount === null)
		return null;
	if (names === null) return null;
	return {
		code,
		link,
		title,
		firstJoinedAt,
		lastJoinedAt,
		totalMs,
		names: [...names],
		messageCount
	};
}

/** Reads a stored scheduled meeting; null if it is not one. */
function readScheduled(value: unknown): ScheduledMeeting | null {
	if (!isRecord(value)) return null;
	const v = value as Partial<ScheduledMeeting>;
	const strings = [v.code, v.link, v.uid, v.title, v.description, v.date, v.time, v.timeZone];
	if (!strings.every((item) => typeof item === 'string')) return null;
	if (typeof v.remind !== 'boolean' || typeof v.cancelled !== 'boolean') return null;
	const sequence = readFinite(v.sequence);
	const durationMin = readFinite(v.durationMin);
	if (sequence === null || durationMin === null || !REPEATS.includes(v.repeat as never))
		return null;
	const entry = { ...(v as ScheduledMeeting), sequence, durationMin };
	return isMeetingCode(entry.code) && scheduleProblem(entry) === null ? entry : null;
}

/**
 * The person's own data, kept only on this device: profile, device settings and meeting history, in
 * one Yjs document saved by y-indexeddb in the IndexedDB database `confer-library`.
 *
 * y-indexeddb loads stored state once and does not follow writes from other tabs, so tabs exchange
 * their updates over a BroadcastChannel of the same name: the home page's list of meetings updates
 * when a meeting tab is left.
 *
 * Each meeting is one plain object in the `meetings` map, keyed by code, replaced as a whole on every
 * update. Only this person's tabs write it, and a nested Y.Map would not merge concurrent writes any
 * better (`totalMs` from two tabs would still be last-writer-wins), while a plain object is read and
 * validated in one step.
 */
export class Library {
	/** The underlying Yjs document. */
	readonly doc: Y.Doc;
	/** false when IndexedDB could not be opened: nothing is remembered after this page closes */
	readonly persistent: boolean;

	readonly #persistence: IndexeddbPersistence | null;
	readonly #channel: BroadcastChannel;
	readonly #profile: Y.Map<unknown>;
	readonly #settings: Y.Map<unknown>;
	readonly #meetings: Y.Map<unknown>;
	readonly #scheduled: Y.Map<unknown>;
	/** code → when this session joined it (ms since the epoch); in memory, per page */
	readonly #joinedAt = new Map<string, number>();

	private constructor(
		doc: Y.Doc,
		channel: BroadcastChannel,
		persistence: IndexeddbPersistence | null
	) {
		this.doc = doc;
		this.#channel = channel;
		this.#persistence = persistence;
		this.persistent = persistence !== null;
		this.#profile = doc.getMap('profile');
		this.#settings = doc.getMap('settings');
		this.#meetings = doc.getMap('meetings');
		this.#scheduled = doc.getMap('scheduled');
	}

	/**
	 * Opens the library: loads it from IndexedDB and creates the profile on first use (random id,
	 * empty name, random colour).
	 *
	 * @param name IndexedDB database and BroadcastChannel name (tests use their own)
	 */
	static async open(name: string = LIBRARY_DB_NAME): Promise<Library> {
		const doc = new Y.Doc();
		// Subscribed before loading, so that no other tab's update falls between load and subscribe.
		const channel = new BroadcastChannel(name);
		channel.onmessage = (event: MessageEvent<unknown>) => {
			if (event.data instanceof Uint8Array) Y.applyUpdate(doc, event.data, channel);
		};
		doc.on('update', (update: Uint8Array, origin: unknown) => {
			if (origin !== channel) channel.postMessage(update);
		});
		const library = new Library(doc, channel, await openPersistence(name, doc));
		library.#ensureProfile();
		return library;
	}

	#ensureProfile(): void {
		this.doc.transact(() => {
			if (readId(this.#profile.get('id')) === null) this.#profile.set('id', randomId());
			if (typeof this.#profile.get('name') !== 'string') this.#profile.set('name', '');
			if (!/^#[0-9a-f]{6}$/i.test(String(this.#profile.get('color')))) {
				this.#profile.set('color', randomProfileColor());
			}
		});
	}

	/** This person's profile. */
	get profile(): Profile {
		return {
			id: readId(this.#profile.get('id')) ?? '',
			name: readName(this.#profile.get('name')) ?? '',
			color: String(this.#profile.get('color'))
		};
	}

	/**
	 * Sets the display name; whitespace at the ends is removed, `''` clears it.
	 *
	 * @throws RangeError when longer than MAX_NAME_LENGTH (80) UTF-16 code units
	 */
	setName(name: string): void {
		const trimmed = name.trim();
		if (trimmed.length > MAX_NAME_LENGTH) {
			throw new RangeError(`A name can be at most ${MAX_NAME_LENGTH} characters long.`);
		}
		this.#profile.set('name', trimmed);
	}

	/** Device settings; microphone and camera default to on. */
	get settings(): Settings {
		const micOn = this.#settings.get('micOn');
		const camOn = this.#settings.get('camOn');
		const cameraId = this.#settings.get('cameraId');
		const micId = this.#settings.get('micId');
		return {
			micOn: typeof micOn === 'boolean' ? micOn : DEFAULT_SETTINGS.micOn,
			camOn: typeof camOn === 'boolean' ? camOn : DEFAULT_SETTINGS.camOn,
			...(typeof cameraId === 'string' ? { cameraId } : {}),
			...(typeof micId === 'string' ? { micId } : {})
		};
	}

	/** Replaces the device settings; an absent `cameraId` or `micId` is forgotten. */
	set settings(settings: Settings) {
		this.doc.transact(() => {
			this.#settings.set('micOn', settings.micOn);
			this.#settings.set('camOn', settings.camOn);
			for (const key of ['cameraId', 'micId'] as const) {
				const value = settings[key];
				if (value === undefined) this.#settings.delete(key);
				else this.#settings.set(key, value);
			}
		});
	}

	/**
	 * Records joining a meeting: creates its entry or updates `lastJoinedAt`, `link` and (when given
	 * and not empty) `title`, and remembers `now` as this session's join time for {@link recordLeave}.
	 *
	 * @param entry the meeting's code, full link (with secret) and optional title
	 * @param now ms since the epoch
	 * @returns the stored entry
	 * @throws TypeError when `entry.code` is not a meeting code
	 */
	recordJoin(
		entry: { code: string; link: string; title?: string },
		now: number = Date.now()
	): MeetingEntry {
		const { code, link, title } = entry;
		if (!isMeetingCode(code)) throw new TypeError(`"${code}" is not a meeting code.`);
		const previous = this.meeting(code);
		const next: MeetingEntry = previous
			? { ...previous, link, title: title?.trim() || previous.title, lastJoinedAt: now }
			: {
					code,
					link,
					title: title?.trim() ?? '',
					firstJoinedAt: now,
					lastJoinedAt: now,
					totalMs: 0,
					names: [],
					messageCount: 0
				};
		this.#meetings.set(code, next);
		this.#joinedAt.set(code, now);
		return next;
	}

	/**
	 * Records leaving a meeting: adds the time since this session's {@link recordJoin} to `totalMs`
	 * (nothing if this page did not join it, e.g. after a reload), merges the names seen and stores
	 * the room's message count and title.
	 *
	 * @param code meeting code
	 * @param seen from the room document: `namesSeen()`, `messages().length`, `title`
	 * @param now ms since the epoch
	 * @returns the stored entry, or null when the meeting was never joined on this device
	 */
	recordLeave(
		code: string,
		seen: { names: string[]; messageCount: number; title?: string },
		now: number = Date.now()
	): MeetingEntry | null {
		const previous = this.meeting(code);
		const joinedAt = this.#joinedAt.get(code);
		this.#joinedAt.delete(code);
		if (previous === null) return null;
		const names = [...new Set([...previous.names, ...seen.names.map((name) => name.trim())])]
			.filter((name) => name !== '')
			.slice(0, MAX_NAMES_PER_MEETING);
		const next: MeetingEntry = {
			...previous,
			title: seen.title?.trim() || previous.title,
			totalMs: previous.totalMs + (joinedAt === undefined ? 0 : Math.max(0, now - joinedAt)),
			names,
			messageCount: seen.messageCount
		};
		this.#meetings.set(code, next);
		return next;
	}

	/** Sets a meeting's title as its room document has it now (renamed in a call); '' keeps it. */
	setTitle(code: string, title: string): void {
		const previous = this.meeting(code);
		const trimmed = title.trim();
		if (previous && trimmed && trimmed !== previous.title) {
			this.#meetings.set(code, { ...previous, title: trimmed });
		}
	}

	/**
	 * Merges meeting entries from elsewhere (a backup) into this device's: first and last times
	 * widen, the larger total time and message count win, names are united. Merging the same
	 * entries again changes nothing.
	 *
	 * @returns how many entries were added or changed
	 */
	merge(entries: readonly MeetingEntry[]): number {
		let changed = 0;
		this.doc.transact(() => {
			for (const incoming of entries) {
				const entry = readMeeting(incoming);
				if (entry === null || !isMeetingCode(entry.code)) continue;
				const previous = this.meeting(entry.code);
				const next: MeetingEntry = previous
					? {
							...previous,
							title: previous.title || entry.title,
							firstJoinedAt: Math.min(previous.firstJoinedAt, entry.firstJoinedAt),
							lastJoinedAt: Math.max(previous.lastJoinedAt, entry.lastJoinedAt),
							link: previous.lastJoinedAt >= entry.lastJoinedAt ? previous.link : entry.link,
							totalMs: Math.max(previous.totalMs, entry.totalMs),
							messageCount: Math.max(previous.messageCount, entry.messageCount),
							names: [...new Set([...previous.names, ...entry.names])].slice(
								0,
								MAX_NAMES_PER_MEETING
							)
						}
					: entry;
				if (JSON.stringify(next) === JSON.stringify(previous)) continue;
				this.#meetings.set(entry.code, next);
				changed++;
			}
		});
		return changed;
	}

	/** Forgets one meeting (its entry only; the room document is deleted by the caller). */
	forget(code: string): void {
		this.#meetings.delete(code);
	}

	/** Forgets every meeting; the profile and settings stay. */
	forgetAll(): void {
		this.doc.transact(() => {
			for (const code of [...this.#meetings.keys()]) this.#meetings.delete(code);
		});
	}

	/** The entry of one meeting, or null when it was never joined on this device. */
	meeting(code: string): MeetingEntry | null {
		return readMeeting(this.#meetings.get(code));
	}

	/** All meetings joined on this device, most recently joined first. */
	meetings(): MeetingEntry[] {
		const entries: MeetingEntry[] = [];
		for (const value of this.#meetings.values()) {
			const entry = readMeeting(value);
			if (entry !== null) entries.push(entry);
		}
		return entries.sort((a, b) => b.lastJoinedAt - a.lastJoinedAt || (a.code < b.code ? -1 : 1));
	}

	/** Stores a scheduled meeting (new, or edited: the caller raises its `sequence`). */
	saveScheduled(meeting: ScheduledMeeting): void {
		if (readScheduled(meeting) === null) throw new TypeError('Not a valid scheduled meeting.');
		this.#scheduled.set(meeting.code, { ...meeting });
	}

	/** The scheduled meeting with `code`, cancelled ones included; null when there is none. */
	scheduledMeeting(code: string): ScheduledMeeting | null {
		return readScheduled(this.#scheduled.get(code));
	}

	/** Every scheduled meeting that is not cancelled, in no particular order. */
	scheduled(): ScheduledMeeting[] {
		const entries: ScheduledMeeting[] = [];
		for (const value of this.#scheduled.values()) {
			const entry = readScheduled(value);
			if (entry !== null && !entry.cancelled) entries.push(entry);
		}
		return entries;
	}

	/**
	 * Calls `cb` after every change to the library, from this tab or another.
	 *
	 * @returns a function that unsubscribes
	 */
	onChange(cb: () => void): () => void {
		const handler = (): void => cb();
		this.doc.on('update', handler);
		return () => this.doc.off('update', handler);
	}

	/** Closes the BroadcastChannel and the database (after pending writes) and destroys the document. */
	async destroy(): Promise<void> {
		this.#channel.close();
		await this.#persistence?.destroy();
		this.doc.destroy();
	}
}
