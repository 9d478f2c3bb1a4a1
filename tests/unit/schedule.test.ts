import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { calendarFile, invitationText } from '$lib/schedule/invitation';
import { dueReminders, nextReminderAt, reminderText } from '$lib/schedule/reminders.svelte';
import {
	nextOccurrence,
	parseScheduleFragment,
	scheduleFragment,
	scheduleProblem,
	type ScheduledMeeting
} from '$lib/schedule/schedule';

const LINK = 'https://confer.example/abc-defg-hij#k=AAAAAAAAAAAAAAAAAAAAAA';

function meeting(overrides: Partial<ScheduledMeeting> = {}): ScheduledMeeting {
	return {
		code: 'abc-defg-hij',
		link: LINK,
		uid: 'abc-defg-hij@confer',
		sequence: 0,
		title: 'Weekly sync',
		description: '',
		date: '2026-12-01',
		time: '15:00',
		timeZone: 'Europe/Berlin',
		durationMin: 30,
		repeat: 'none',
		remind: true,
		cancelled: false,
		...overrides
	};
}

/** The VEVENT of an iCalendar text, parsed by ical.js, and the calendar. */
function parse(text: string) {
	const calendar = new ICAL.Component(ICAL.parse(text));
	for (const zone of calendar.getAllSubcomponents('vtimezone')) {
		ICAL.TimezoneService.register(new ICAL.Timezone(zone));
	}
	const vevent = calendar.getFirstSubcomponent('vevent');
	if (!vevent) throw new Error('no VEVENT');
	return { calendar, vevent, event: new ICAL.Event(vevent) };
}

describe('iCalendar invitation', () => {
	it('holds the UID, the times with their zone, the link, the summary and an alarm 10 minutes before', () => {
		const { calendar, vevent, event } = parse(calendarFile(meeting({ sequence: 2 })));
		expect(calendar.getFirstPropertyValue('method')).toBe('PUBLISH');
		expect(event.uid).toBe('abc-defg-hij@confer');
		expect(vevent.getFirstPropertyValue('sequence')).toBe(2);
		expect(event.summary).toBe('Weekly sync');
		const start = vevent.getFirstProperty('dtstart')!;
		expect(start.getParameter('tzid')).toBe('Europe/Berlin');
		expect(event.startDate.toString()).toBe('2026-12-01T15:00:00');
		// 15:00 in Berlin in winter is 14:00 UTC.
		expect(event.startDate.toJSDate().toISOString()).toBe('2026-12-01T14:00:00.000Z');
		expect(event.endDate.toJSDate().toISOString()).toBe('2026-12-01T14:30:00.000Z');
		expect(vevent.getFirstPropertyValue('url')).toBe(LINK);
		expect(event.description).toContain(LINK);
		expect(vevent.getFirstPropertyValue('rrule')).toBeNull();
		const alarm = vevent.getFirstSubcomponent('valarm')!;
		expect(alarm.getFirstPropertyValue('action')).toBe('DISPLAY');
		expect(String(alarm.getFirstPropertyValue('trigger'))).toBe('-PT10M');
		expect(calendar.getFirstSubcomponent('vtimezone')?.getFirstPropertyValue('tzid')).toBe(
			'Europe/Berlin'
		);
	});

	it('repeats every week on its day, or every weekday, and keeps local time across DST', () => {
		const weekly = parse(calendarFile(meeting({ repeat: 'weekly' })));
		const rule = weekly.vevent.getFirstPropertyValue('rrule') as ICAL.Recur;
		expect(rule.freq).toBe('WEEKLY');
		expect(rule.parts.BYDAY).toEqual(['TU']);
		// Expanded by ical.js: 15:00 Berlin stays 15:00 after the switch to summer time (29 March).
		const iterator = weekly.event.iterator();
		const starts: string[] = [];
		for (let next = iterator.next(); next && starts.length < 20; next = iterator.next()) {
			starts.push(next.toJSDate().toISOString());
		}
		expect(starts).toContain('2027-03-23T14:00:00.000Z');
		expect(starts).toContain('2027-03-30T13:00:00.000Z');

		const weekdays = parse(calendarFile(meeting({ repeat: 'weekdays' })));
		const weekdayRule = weekdays.vevent.getFirstPropertyValue('rrule') as ICAL.Recur;
		expect(weekdayRule.parts.BYDAY).toEqual(['MO', 'TU', 'WE', 'TH', 'FR']);
	});

	it('escapes commas, semicolons and newlines in the title and description', () => {
		const title = 'Plan; budget, Q1\nand Q2';
		const text = calendarFile(meeting({ title, description: 'Bring: notes; ideas, more' }));
		expect(text).toContain('SUMMARY:Plan\\; budget\\, Q1\\nand Q2');
		const { event } = parse(text);
		expect(event.summary).toBe(title);
		expect(event.description).toContain('Bring: notes; ideas, more');
		expect(text.split('\r\n').every((line) => new TextEncoder().encode(line).length <= 75)).toBe(
			true
		);
	});

	it('cancels with the same UID, a higher SEQUENCE and METHOD:CANCEL', () => {
		const { calendar, vevent, event } = parse(
			calendarFile(meeting({ sequence: 3 }), { cancel: true })
		);
		expect(calendar.getFirstPropertyValue('method')).toBe('CANCEL');
		expect(event.uid).toBe('abc-defg-hij@confer');
		expect(vevent.getFirstPropertyValue('status')).toBe('CANCELLED');
		expect(vevent.getFirstPropertyValue('sequence')).toBe(3);
	});
});

describe('plain-text invitation', () => {
	it('names the time in the organiser’s zone, the zone, the repeat and the link', () => {
		const text = invitationText(
			meeting({ repeat: 'weekly' }),
			Date.parse('2026-11-30T12:00:00Z'),
			'en-GB'
		);
		expect(text.split('\n')).toEqual([
			'Weekly sync',
			'Tuesday, 1 December 2026, 15:00–15:30 Central European Standard Time (Europe/Berlin)',
			'Every week on Tuesday',
			`Join: ${LINK}`
		]);
	});
});

describe('next occurrence', () => {
	const at = (iso: string) => Date.parse(iso);
	const iso = (o: ReturnType<typeof nextOccurrence>) => o?.start.toISOString() ?? null;

	it('is the meeting itself until it ends, then none when it does not repeat', () => {
		const m = meeting();
		expect(iso(nextOccurrence(m, at('2026-11-30T12:00:00Z')))).toBe(
			'2026-12-01T15:00:00.000+01:00'
		);
		expect(nextOccurrence(m, at('2026-12-01T14:20:00Z'))).not.toBeNull();
		expect(nextOccurrence(m, at('2026-12-01T14:30:00Z'))).toBeNull();
	});

	it('comes every week on the same day at the same local time, across DST both ways', () => {
		const m = meeting({ repeat: 'weekly', date: '2027-03-23' });
		// After the spring change (28 March 2027 in Berlin), 15:00 is 13:00 UTC.
		expect(nextOccurrence(m, at('2027-03-24T00:00:00Z'))?.start.getTime()).toBe(
			at('2027-03-30T13:00:00Z')
		);
		const autumn = meeting({ repeat: 'weekly', date: '2027-10-26' });
		expect(nextOccurrence(autumn, at('2027-10-27T00:00:00Z'))?.start.getTime()).toBe(
			at('2027-11-02T14:00:00Z')
		);
		// New York changes on other days: 09:00 there stays 09:00.
		const ny = meeting({
			repeat: 'weekly',
			date: '2027-03-09',
			time: '09:00',
			timeZone: 'America/New_York'
		});
		expect(nextOccurrence(ny, at('2027-03-10T00:00:00Z'))?.start.getTime()).toBe(
			at('2027-03-16T13:00:00Z')
		);
	});

	it('skips weekends for "Every weekday" and counts one still going on', () => {
		const m = meeting({ repeat: 'weekdays', date: '2026-12-04' }); // a Friday
		// Friday 15:10 Berlin: the Friday one is still on.
		expect(nextOccurrence(m, at('2026-12-04T14:10:00Z'))?.start.getTime()).toBe(
			at('2026-12-04T14:00:00Z')
		);
		// Saturday: next is Monday.
		expect(nextOccurrence(m, at('2026-12-05T10:00:00Z'))?.start.getTime()).toBe(
			at('2026-12-07T14:00:00Z')
		);
		// Never before the first one.
		expect(nextOccurrence(m, at('2026-12-01T10:00:00Z'))?.start.getTime()).toBe(
			at('2026-12-04T14:00:00Z')
		);
	});
});

describe('invitation link', () => {
	it('carries the schedule in the fragment and reads it back; a damaged one is ignored', () => {
		const m = meeting({ title: 'Café & co', repeat: 'weekdays' });
		const fragment = `#k=AAAAAAAAAAAAAAAAAAAAAA&${scheduleFragment(m)}`;
		expect(parseScheduleFragment(fragment)).toEqual({
			title: 'Café & co',
			date: '2026-12-01',
			time: '15:00',
			timeZone: 'Europe/Berlin',
			durationMin: 30,
			repeat: 'weekdays'
		});
		expect(parseScheduleFragment('#k=AAAAAAAAAAAAAAAAAAAAAA')).toBeNull();
		expect(parseScheduleFragment('#k=x&s=2026-12-01T25:00&z=Europe/Berlin&d=30')).toBeNull();
		expect(parseScheduleFragment('#k=x&s=2026-12-01T15:00&z=Mars/Olympus&d=30')).toBeNull();
		expect(scheduleProblem({ ...m, durationMin: 0 })).toMatch(/5 minutes/);
	});
});

describe('reminders', () => {
	const start = Date.parse('2026-12-01T14:00:00Z');
	const m = meeting();

	it('come 10 minutes before and at the start, each once, and only for meetings that ask', () => {
		expect(dueReminders([m], start - 11 * 60_000)).toEqual([]);
		expect(nextReminderAt([m], start - 11 * 60_000)).toBe(start - 10 * 60_000);
		const soon = dueReminders([m], start - 10 * 60_000);
		expect(soon.map((r) => [r.kind, r.id])).toEqual([['soon', `abc-defg-hij@${start}:soon`]]);
		expect(reminderText(soon[0]!, start - 10 * 60_000)).toBe('Weekly sync starts in 10 minutes');
		expect(nextReminderAt([m], start - 10 * 60_000)).toBe(start);
		const now = dueReminders([m], start);
		expect(now.map((r) => r.kind)).toEqual(['now']);
		expect(reminderText(now[0]!, start)).toBe('Weekly sync is starting now');
		expect(dueReminders([{ ...m, remind: false }], start)).toEqual([]);
		expect(dueReminders([m], start + 30 * 60_000)).toEqual([]);
	});

	it('of a repeating meeting, name each occurrence apart', () => {
		const weekly = meeting({ repeat: 'weekly' });
		const next = start + 7 * 86_400_000;
		expect(dueReminders([weekly], next - 60_000).map((r) => r.id)).toEqual([
			`abc-defg-hij@${next}:soon`
		]);
	});
});
