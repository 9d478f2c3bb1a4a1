/**
 * Meetings scheduled ahead (ARCHITECTURE.md, "Scheduling"): a start given as a wall-clock date and
 * time in the organiser's time zone (an IANA name), so that a weekly 15:00 stays at 15:00 across
 * daylight-saving changes, as RFC 5545 §3.3.5 ("local time with time zone reference") has it.
 * Pure, so it is tested without a browser; instants are computed with `@date-fns/tz`.
 */
import { TZDate } from '@date-fns/tz';

/** How a meeting repeats: never, every week on its first day, or every Monday to Friday. */
export type Repeat = 'none' | 'weekly' | 'weekdays';

export const REPEATS: readonly Repeat[] = ['none', 'weekly', 'weekdays'];

/** When a scheduled meeting happens, and what to call it: what an invitation link carries. */
export type Schedule = {
	title: string;
	/** first occurrence's date, `YYYY-MM-DD`, in {@link timeZone} */
	date: string;
	/** start time, `HH:MM` (24-hour), in {@link timeZone} */
	time: string;
	/** the organiser's IANA time zone, e.g. `Europe/Berlin` */
	timeZone: string;
	/** minutes, 5 … 1440 */
	durationMin: number;
	repeat: Repeat;
};

/** A meeting the person scheduled, as the library keeps it. */
export type ScheduledMeeting = Schedule & {
	/** meeting code, `abc-defg-hij` */
	code: string;
	/** the invitation link: the meeting link with its key, and the schedule */
	link: string;
	description: string;
	/** remind with a notification and a banner, 10 minutes before and at the start */
	remind: boolean;
	/** iCalendar UID (RFC 5545 §3.8.4.7): the same for every version of the invitation */
	uid: string;
	/** iCalendar SEQUENCE (RFC 5545 §3.8.7.4): raised by each edit */
	sequence: number;
	cancelled: boolean;
};

/** One occurrence: its start and end instants, as dates in the meeting's time zone. */
export type Occurrence = { start: TZDate; end: TZDate };

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Minutes a meeting may last. */
export const MIN_DURATION = 5;
export const MAX_DURATION = 24 * 60;

/** Whether `timeZone` is an IANA time zone this browser knows. */
export function isTimeZone(timeZone: string): boolean {
	try {
		new Intl.DateTimeFormat('en', { timeZone });
		return true;
	} catch {
		return false;
	}
}

/**
 * Checks a schedule's fields.
 * @returns the first problem in words for the person filling the form, or null when it is valid
 */
export function scheduleProblem(s: Schedule): string | null {
	if (!DATE.test(s.date) || Number.isNaN(Date.parse(`${s.date}T00:00:00Z`))) return 'Pick a date.';
	if (!TIME.test(s.time)) return 'Pick a start time.';
	if (!isTimeZone(s.timeZone)) return 'This time zone is unknown.';
	if (
		!Number.isInteger(s.durationMin) ||
		s.durationMin < MIN_DURATION ||
		s.durationMin > MAX_DURATION
	)
		return 'A meeting lasts from 5 minutes to 24 hours.';
	if (!REPEATS.includes(s.repeat)) return 'Pick how the meeting repeats.';
	if (s.title.length > 200) return 'A title can be at most 200 characters long.';
	return null;
}

/** The instant `time` starts on the wall date `y-m-d` in `timeZone` (m is 1-based). */
function wallTime(y: number, m: number, d: number, time: string, timeZone: string): TZDate {
	const [hours, minutes] = time.split(':').map(Number) as [number, number];
	return new TZDate(y, m - 1, d, hours, minutes, timeZone);
}

/** The first occurrence of `s`. */
export function firstOccurrence(s: Schedule): Occurrence {
	const [, y, m, d] = DATE.exec(s.date)!.map(Number) as [number, number, number, number];
	const start = wallTime(y, m, d, s.time, s.timeZone);
	return { start, end: new TZDate(start.getTime() + s.durationMin * 60_000, s.timeZone) };
}

/**
 * The occurrence of `s` going on at `now` or the next one after it; null when a meeting that does
 * not repeat is over. Occurrences fall on the wall-clock time in the meeting's time zone, whatever
 * its UTC offset that day.
 * @param now ms since the epoch
 */
export function nextOccurrence(s: Schedule, now: number): Occurrence | null {
	const first = firstOccurrence(s);
	if (s.repeat === 'none') return first.end.getTime() > now ? first : null;
	if (first.end.getTime() > now) return first;
	const weekday = first.start.getDay();
	// Candidate days from the day before today (in the meeting's zone), so that an occurrence
	// still going on at `now` counts; a week and a day always hold the next one.
	const today = new TZDate(now, s.timeZone);
	for (let offset = -1; offset <= 8; offset++) {
		const day = new Date(Date.UTC(today.getFullYear(), today.getMonth(), today.getDate() + offset));
		const dow = day.getUTCDay();
		const fits = s.repeat === 'weekly' ? dow === weekday : dow >= 1 && dow <= 5;
		if (!fits) continue;
		const start = wallTime(
			day.getUTCFullYear(),
			day.getUTCMonth() + 1,
			day.getUTCDate(),
			s.time,
			s.timeZone
		);
		if (start.getTime() < first.start.getTime()) continue;
		const end = new TZDate(start.getTime() + s.durationMin * 60_000, s.timeZone);
		if (end.getTime() > now) return { start, end };
	}
	return null;
}

/** Fragment parameters of an invitation link, after `k` (the key). */
const PARAMS = { title: 't', start: 's', timeZone: 'z', duration: 'd', repeat: 'r' } as const;

/**
 * The schedule as fragment parameters to append to a meeting link (`&t=…&s=…`): an invitee's
 * device learns the title and time from the link itself, before anyone is in the meeting. The
 * fragment never reaches a server (RFC 3986 §3.5).
 */
export function scheduleFragment(s: Schedule): string {
	const params = new URLSearchParams();
	if (s.title) params.set(PARAMS.title, s.title);
	params.set(PARAMS.start, `${s.date}T${s.time}`);
	params.set(PARAMS.timeZone, s.timeZone);
	params.set(PARAMS.duration, String(s.durationMin));
	if (s.repeat !== 'none') params.set(PARAMS.repeat, s.repeat);
	return params.toString();
}

/**
 * Reads the schedule from an invitation link's fragment (`#k=…&t=…&s=…`).
 * @returns the schedule, or null when the fragment has none or a malformed one
 */
export function parseScheduleFragment(hash: string): Schedule | null {
	const params = new URLSearchParams(hash.replace(/^#/, ''));
	const start = params.get(PARAMS.start);
	if (!start) return null;
	const [date = '', time = ''] = start.split('T');
	const schedule: Schedule = {
		title: (params.get(PARAMS.title) ?? '').trim().slice(0, 200),
		date,
		time,
		timeZone: params.get(PARAMS.timeZone) ?? '',
		durationMin: Number(params.get(PARAMS.duration) ?? 60),
		repeat: (params.get(PARAMS.repeat) ?? 'none') as Repeat
	};
	return scheduleProblem(schedule) === null ? schedule : null;
}
