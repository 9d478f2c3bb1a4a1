/**
 * Reminders of scheduled meetings while Confer is open in any tab (ARCHITECTURE.md, "Scheduling"):
 * 10 minutes before and at the start, a system notification (when allowed) whose click opens the
 * meeting, and a banner in the page. Each reminder fires once across all tabs: one tab, elected
 * with a Web Lock, gives them, and remembers each one given in `localStorage`.
 */
import type { Library } from '$lib/library/library';
import { nextOccurrence, type ScheduledMeeting } from './schedule';

/** How long before the start the first reminder comes (ms). */
export const REMIND_BEFORE_MS = 10 * 60_000;
/** `localStorage` key of the reminders already given (JSON array of ids). */
const FIRED_KEY = 'confer-reminded';
/** Ids kept at most: old ones are dropped first. */
const MAX_FIRED = 200;
const LOCK = 'confer-reminders';

/** One reminder: a meeting, which of its occurrences, and whether it is the early one. */
export type Reminder = {
	id: string;
	code: string;
	title: string;
	link: string;
	/** the occurrence's start, ms since the epoch */
	start: number;
	kind: 'soon' | 'now';
};

/**
 * The reminders of `meetings` due at `now` that have not passed: "soon" from 10 minutes before the
 * start until the start, "now" from the start until the end.
 */
export function dueReminders(meetings: ScheduledMeeting[], now: number): Reminder[] {
	const due: Reminder[] = [];
	for (const meeting of meetings) {
		if (!meeting.remind) continue;
		const occurrence = nextOccurrence(meeting, now);
		if (!occurrence) continue;
		const start = occurrence.start.getTime();
		const kind = now >= start ? 'now' : now >= start - REMIND_BEFORE_MS ? 'soon' : null;
		if (!kind) continue;
		const { code, title, link } = meeting;
		due.push({ id: `${code}@${start}:${kind}`, code, title, link, start, kind });
	}
	return due;
}

/** When the next reminder of `meetings` after `now` falls due (ms since the epoch), or null. */
export function nextReminderAt(meetings: ScheduledMeeting[], now: number): number | null {
	let next: number | null = null;
	for (const meeting of meetings) {
		if (!meeting.remind) continue;
		const occurrence = nextOccurrence(meeting, now);
		if (!occurrence) continue;
		const start = occurrence.start.getTime();
		for (const at of [start - REMIND_BEFORE_MS, start, occurrence.end.getTime()]) {
			if (at > now && (next === null || at < next)) next = at;
		}
	}
	return next;
}

function readFired(): string[] {
	try {
		const value: unknown = JSON.parse(localStorage.getItem(FIRED_KEY) ?? '[]');
		return Array.isArray(value) ? value.filter((id) => typeof id === 'string') : [];
	} catch {
		return [];
	}
}

/** Marks `id` as given; false when it already was. Only the tab holding the lock calls it. */
function claim(id: string): boolean {
	const fired = readFired();
	if (fired.includes(id)) return false;
	try {
		localStorage.setItem(FIRED_KEY, JSON.stringify([...fired, id].slice(-MAX_FIRED)));
	} catch {
		// Storage refused: reminders may come again after a reload.
	}
	return true;
}

/** The words of a reminder: "TITLE starts in 10 minutes", or "TITLE is starting now". */
export function reminderText(reminder: Reminder, now: number): string {
	const title = reminder.title || 'Your meeting';
	if (reminder.kind === 'now') return `${title} is starting now`;
	const minutes = Math.max(1, Math.round((reminder.start - now) / 60_000));
	return `${title} starts in ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`;
}

/** What the reminding tab tells the others. */
type ReminderMessage =
	{ type: 'banner'; reminder: Reminder; text: string } | { type: 'dismiss'; id: string };

/**
 * The reminders of one tab. One tab of the browser reminds: the one holding the Web Lock
 * `confer-reminders` (the first to ask; when it closes, the next takes over). It plans the timers,
 * shows the notification and tells every tab to show the banner, so that the person sees it in
 * whichever tab they are looking at, and dismissing it in one hides it in all.
 */
export class Reminders {
	/** The reminder shown in the banner; null when none. */
	banner = $state.raw<{ reminder: Reminder; text: string } | null>(null);

	#library: Library | null = null;
	#timer: ReturnType<typeof setTimeout> | undefined;
	#open: (reminder: Reminder) => void;
	#channel: BroadcastChannel | null = null;

	/** @param open opens a reminder's meeting (the notification's click and the banner's "Join") */
	constructor(open: (reminder: Reminder) => void) {
		this.#open = open;
	}

	/** Starts reminding of `library`'s scheduled meetings; returns the function that stops. */
	start(library: Library): () => void {
		this.#library = library;
		const channel = new BroadcastChannel(LOCK);
		this.#channel = channel;
		channel.onmessage = ({ data }: MessageEvent<ReminderMessage>) => {
			if (data.type === 'banner') this.banner = { reminder: data.reminder, text: data.text };
			else if (data.type === 'dismiss' && this.banner?.reminder.id === data.id) this.banner = null;
		};
		let stopPlanning = () => {};
		let release = () => {};
		const lead = () => {
			stopPlanning = library.onChange(() => this.#plan());
			this.#plan();
		};
		if (navigator.locks) {
			void navigator.locks
				.request(LOCK, () => {
					if (this.#library !== library) return;
					lead();
					return new Promise<void>((resolve) => (release = resolve));
				})
				.catch(() => undefined);
		} else {
			lead();
		}
		return () => {
			this.#library = null;
			stopPlanning();
			release();
			clearTimeout(this.#timer);
			channel.close();
			this.#channel = null;
		};
	}

	/** Opens the banner's meeting and hides the banner in every tab. */
	join() {
		const shown = this.banner;
		this.dismiss();
		if (shown) this.#open(shown.reminder);
	}

	/** Hides the banner in every tab. */
	dismiss() {
		const shown = this.banner;
		this.banner = null;
		if (shown) this.#channel?.postMessage({ type: 'dismiss', id: shown.reminder.id });
	}

	#plan() {
		clearTimeout(this.#timer);
		const library = this.#library;
		if (!library) return;
		const meetings = library.scheduled();
		const now = Date.now();
		for (const reminder of dueReminders(meetings, now)) this.#fire(reminder, now);
		const next = nextReminderAt(meetings, now);
		// Timers are clamped to about 24.8 days; a later reminder is planned again on the way.
		if (next !== null) {
			this.#timer = setTimeout(() => this.#plan(), Math.min(next - now, 2 ** 31 - 1));
		}
	}

	#fire(reminder: Reminder, now: number) {
		if (!claim(reminder.id)) return;
		const text = reminderText(reminder, now);
		this.banner = { reminder, text };
		this.#channel?.postMessage({ type: 'banner', reminder, text } satisfies ReminderMessage);
		if (typeof Notification === 'function' && Notification.permission === 'granted') {
			try {
				const notification = new Notification(text, {
					body: 'Click to join.',
					tag: reminder.id,
					icon: '/icons/icon-192.png'
				});
				notification.onclick = () => {
					window.focus();
					notification.close();
					this.dismiss();
					this.#open(reminder);
				};
			} catch {
				// Notifications from a page are refused on some platforms (Android): the banner stays.
			}
		}
	}
}
