/**
 * What a scheduled meeting's invitation says: an iCalendar file (RFC 5545) that every calendar
 * reads, made with ical-generator (https://sebbo2002.github.io/ical-generator/), its time zone
 * described by a VTIMEZONE from timezones-ical-library; and a plain-text invitation to paste.
 */
import ical, {
	ICalAlarmType,
	ICalCalendarMethod,
	ICalEventRepeatingFreq,
	ICalEventStatus,
	ICalWeekday
} from 'ical-generator';
import { tzlib_get_ical_block } from 'timezones-ical-library';
import { firstOccurrence, nextOccurrence, type ScheduledMeeting } from './schedule';

/** The reminder in the calendar: 10 minutes before (seconds, as ical-generator takes it). */
const ALARM_BEFORE_S = 10 * 60;

const WEEKDAYS = [
	ICalWeekday.SU,
	ICalWeekday.MO,
	ICalWeekday.TU,
	ICalWeekday.WE,
	ICalWeekday.TH,
	ICalWeekday.FR,
	ICalWeekday.SA
];

/**
 * The meeting as an iCalendar file: one VEVENT with the meeting's UID and SEQUENCE, its start and
 * end in the organiser's time zone (with that zone's VTIMEZONE), an RRULE when it repeats, the link
 * in URL and DESCRIPTION, and a display alarm 10 minutes before.
 * @param cancel a cancellation (METHOD:CANCEL, STATUS:CANCELLED) instead of an invitation
 * @returns the file's text, lines ending in CRLF
 */
export function calendarFile(meeting: ScheduledMeeting, { cancel = false } = {}): string {
	const { start, end } = firstOccurrence(meeting);
	const calendar = ical({
		prodId: { company: 'Confer', product: 'Confer', language: 'EN' },
		method: cancel ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.PUBLISH,
		timezone: {
			name: meeting.timeZone,
			generator: (zone) => {
				const block = tzlib_get_ical_block(zone);
				return Array.isArray(block) ? (block[0] ?? null) : null;
			}
		}
	});
	const description = [meeting.description.trim(), `Join: ${meeting.link}`]
		.filter(Boolean)
		.join('\n\n');
	calendar.createEvent({
		id: meeting.uid,
		sequence: meeting.sequence,
		start,
		end,
		timezone: meeting.timeZone,
		summary: meeting.title || 'Confer meeting',
		description,
		url: meeting.link,
		status: cancel ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
		repeating:
			meeting.repeat === 'weekly'
				? { freq: ICalEventRepeatingFreq.WEEKLY, byDay: [WEEKDAYS[start.getDay()]!] }
				: meeting.repeat === 'weekdays'
					? {
							freq: ICalEventRepeatingFreq.WEEKLY,
							byDay: [
								ICalWeekday.MO,
								ICalWeekday.TU,
								ICalWeekday.WE,
								ICalWeekday.TH,
								ICalWeekday.FR
							]
						}
					: null,
		alarms: cancel ? [] : [{ type: ICalAlarmType.display, trigger: ALARM_BEFORE_S }]
	});
	return calendar.toString();
}

/** A file name for the meeting's calendar file: its title made safe, or its code. */
export function calendarFileName(meeting: ScheduledMeeting, { cancel = false } = {}): string {
	const base =
		meeting.title
			.replace(/[^\p{L}\p{N} _-]+/gu, '')
			.trim()
			.replace(/\s+/g, '-')
			.slice(0, 60) || meeting.code;
	return `${base}${cancel ? '-cancelled' : ''}.ics`;
}

/**
 * The plain-text invitation: title, the time in the organiser's time zone with the zone named
 * (e.g. "Tuesday, 1 December 2026, 15:00–15:30 Central European Standard Time (Europe/Berlin)"),
 * how it repeats, and the link.
 * @param now ms since the epoch: a repeating meeting shows its next occurrence
 * @param locale BCP 47 tag for dates and times (default: the browser's)
 */
export function invitationText(meeting: ScheduledMeeting, now: number, locale?: string): string {
	const occurrence = nextOccurrence(meeting, now) ?? firstOccurrence(meeting);
	const zone = meeting.timeZone;
	const day = new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeZone: zone }).format(
		occurrence.start
	);
	const time = new Intl.DateTimeFormat(locale, { timeStyle: 'short', timeZone: zone });
	const zoneName =
		new Intl.DateTimeFormat(locale, { timeZone: zone, timeZoneName: 'long' })
			.formatToParts(occurrence.start)
			.find((part) => part.type === 'timeZoneName')?.value ?? zone;
	const weekday = new Intl.DateTimeFormat(locale, { weekday: 'long', timeZone: zone }).format(
		occurrence.start
	);
	const repeats =
		meeting.repeat === 'weekly'
			? `Every week on ${weekday}`
			: meeting.repeat === 'weekdays'
				? 'Every weekday (Monday to Friday)'
				: null;
	return [
		meeting.title || 'Confer meeting',
		`${day}, ${time.format(occurrence.start)}–${time.format(occurrence.end)} ${zoneName} (${zone})`,
		repeats,
		meeting.description.trim() || null,
		`Join: ${meeting.link}`
	]
		.filter((line) => line !== null)
		.join('\n');
}
