// Scheduling a meeting: the Upcoming list, an invitation calendars understand, a reminder at the
// right time (Playwright's clock moves the page's time), and the title everyone in the room sees.
import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import ICAL from 'ical.js';
import { join, perTest } from './app.js';

const { person } = perTest();

test('schedule a meeting 15 minutes ahead: Upcoming, the calendar file, the reminder, and the title in the call', async () => {
	const alice = await person({ video: 'red', tone: 440 });
	const bob = await person({ video: 'blue', tone: 660 });
	const { page, context } = alice;
	// Notifications allowed, and every one made recorded (the browser shows none when headless).
	await context.addInitScript(() => {
		const made: { title: string; body?: string }[] = [];
		class RecordedNotification {
			static permission: NotificationPermission = 'granted';
			static requestPermission = () => Promise.resolve('granted' as const);
			onclick: (() => void) | null = null;
			constructor(title: string, options?: NotificationOptions) {
				made.push({ title, body: options?.body });
			}
			close() {}
		}
		Object.assign(window, { Notification: RecordedNotification, madeNotifications: made });
	});
	await page.clock.install();
	await page.goto('/');

	// The form, with a start 15 minutes from the page's now.
	await page.getByRole('button', { name: 'Schedule a meeting' }).click();
	const dialog = page.getByRole('dialog', { name: 'Schedule a meeting' });
	const start = await page.evaluate(() => {
		const at = new Date(Date.now() + 15 * 60_000);
		const pad = (n: number) => String(n).padStart(2, '0');
		return {
			date: `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`,
			time: `${pad(at.getHours())}:${pad(at.getMinutes())}`,
			ms: at.getTime() - at.getSeconds() * 1000 - at.getMilliseconds()
		};
	});
	const title = 'Design review, part 1; bring notes';
	await dialog.getByRole('textbox', { name: 'Title' }).fill(title);
	await dialog.getByLabel('Date').fill(start.date);
	await dialog.getByLabel('Start time').fill(start.time);
	await dialog.getByRole('combobox', { name: 'Duration' }).selectOption({ label: '30 min' });
	await expect(dialog.getByRole('combobox', { name: 'Repeats' })).toHaveValue('none');
	await dialog.getByRole('textbox', { name: 'Description' }).fill('Agenda: the new layout');
	await expect(dialog.getByRole('checkbox', { name: 'Remind me' })).toBeChecked();
	await dialog.getByRole('button', { name: 'Schedule' }).click();

	// The invitation: a calendar file with the link and its key.
	const scheduled = page.getByRole('dialog', { name: 'Meeting scheduled' });
	const downloading = page.waitForEvent('download');
	await scheduled.getByRole('button', { name: 'Add to calendar' }).click();
	const file = await downloading;
	expect(file.suggestedFilename()).toMatch(/\.ics$/);
	const text = await readFile((await file.path())!, 'utf8');
	const vevent = new ICAL.Component(ICAL.parse(text)).getFirstSubcomponent('vevent')!;
	const event = new ICAL.Event(vevent);
	expect(event.summary).toBe(title);
	const link = String(vevent.getFirstPropertyValue('url'));
	expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[a-z]{3}-[a-z]{4}-[a-z]{3}#k=[\w-]{22}&/);
	expect(event.description).toContain(link);
	expect(event.description).toContain('Agenda: the new layout');
	expect(vevent.getFirstSubcomponent('valarm')).not.toBeNull();
	// The start as the person typed it, in their time zone (UTC on this machine; other zones are
	// covered by the unit tests).
	expect(event.startDate.toJSDate().getTime()).toBe(start.ms);
	expect(event.endDate.toJSDate().getTime()).toBe(start.ms + 30 * 60_000);
	await scheduled.getByRole('button', { name: 'Done' }).click();

	// The Upcoming list.
	const upcoming = page.getByRole('list', { name: 'Upcoming' });
	const entry = upcoming.getByRole('listitem').filter({ hasText: title });
	await expect(entry).toContainText(/Today, .* · in 1[45] min/);

	// A second tab of Confer: reminders come once, whichever tab gives them.
	const otherTab = await context.newPage();
	await otherTab.goto('/');
	await expect(otherTab.getByRole('list', { name: 'Upcoming' })).toContainText(title);
	const notifications = async () => {
		const titles = await Promise.all(
			[page, otherTab].map((tab) =>
				tab.evaluate(() =>
					(window as unknown as { madeNotifications: { title: string }[] }).madeNotifications.map(
						(n) => n.title
					)
				)
			)
		);
		return titles.flat();
	};

	// 10 minutes before: one notification, and the banner in both tabs.
	await page.clock.fastForward('05:30');
	await expect
		.poll(notifications)
		.toEqual([expect.stringMatching(new RegExp(`^${title} starts in (9|10) minutes$`))]);
	const banners = (text: RegExp) =>
		Promise.all(
			[page, otherTab].map((tab) => tab.getByRole('alert').filter({ hasText: text }).count())
		).then((counts) => counts.reduce((a, b) => a + b, 0));
	await expect.poll(() => banners(/starts in (9|10) minutes/)).toBe(2);

	// At the start time: "starting now", once (sorted: the tabs may have given one each).
	await page.clock.fastForward('10:00');
	await expect
		.poll(async () => (await notifications()).sort())
		.toEqual([`${title} is starting now`, expect.stringMatching(/starts in (9|10) minutes$/)]);
	await expect.poll(() => banners(/is starting now/)).toBe(2);
	const tab = page;
	const banner = tab.getByRole('alert').filter({ hasText: 'is starting now' });

	// Its "Join" opens the meeting's prejoin screen, and the other tab's banner goes.
	await banner.getByRole('button', { name: 'Join' }).click();
	await expect(otherTab.getByRole('alert').filter({ hasText: 'is starting now' })).toHaveCount(0);
	await expect(tab.getByRole('button', { name: 'Join now' })).toBeVisible();
	expect(tab.url()).toBe(link);
	await expect(tab.getByText(title)).toBeVisible();
	await join(tab, link, 'Alice');

	// Bob, with only the invitation link (and his own clock, on which the meeting has not started
	// yet), sees the title and the start time, joins, and sees the title in the call.
	await bob.page.goto(link);
	await expect(bob.page.getByText(title)).toBeVisible();
	await expect(
		bob.page.getByRole('status').filter({ hasText: /^Starts at .* \(in 1[45] min\)$/ })
	).toBeVisible();
	await join(bob.page, link, 'Bob');
	await expect(bob.page.getByRole('heading', { level: 1 })).toHaveText(title);
	await expect(tab.getByRole('heading', { level: 1 })).toHaveText(title);
});

test('edit re-issues the invitation with the same UID and a higher SEQUENCE; cancel offers METHOD:CANCEL', async () => {
	const alice = await person({ video: 'red', tone: 440 });
	const { page } = alice;
	await page.goto('/');
	await page.getByRole('button', { name: 'Schedule a meeting' }).click();
	const dialog = page.getByRole('dialog', { name: 'Schedule a meeting' });
	await dialog.getByRole('textbox', { name: 'Title' }).fill('Standup');
	await dialog.getByRole('combobox', { name: 'Repeats' }).selectOption({ label: 'Every weekday' });
	await dialog.getByRole('checkbox', { name: 'Remind me' }).uncheck();
	await dialog.getByRole('button', { name: 'Schedule' }).click();
	await page
		.getByRole('dialog', { name: 'Meeting scheduled' })
		.getByRole('button', { name: 'Done' })
		.click();

	const entry = page.getByRole('list', { name: 'Upcoming' }).getByRole('listitem');
	await expect(entry).toContainText('every weekday');
	const calendarOf = async (button: string, scope = entry) => {
		const downloading = page.waitForEvent('download');
		await scope.getByRole('button', { name: button }).click();
		const text = await readFile((await (await downloading).path())!, 'utf8');
		const calendar = new ICAL.Component(ICAL.parse(text));
		return { calendar, vevent: calendar.getFirstSubcomponent('vevent')! };
	};
	const first = await calendarOf('Add to calendar');
	expect((first.vevent.getFirstPropertyValue('rrule') as ICAL.Recur).parts.BYDAY).toEqual([
		'MO',
		'TU',
		'WE',
		'TH',
		'FR'
	]);

	await entry.getByRole('button', { name: 'Edit' }).click();
	const edit = page.getByRole('dialog', { name: 'Edit meeting' });
	await edit.getByRole('textbox', { name: 'Title' }).fill('Daily standup');
	await edit.getByRole('button', { name: 'Save changes' }).click();
	const edited = await calendarOf(
		'Add to calendar',
		page.getByRole('dialog', { name: 'Meeting scheduled' })
	);
	expect(edited.vevent.getFirstPropertyValue('uid')).toBe(
		first.vevent.getFirstPropertyValue('uid')
	);
	expect(edited.vevent.getFirstPropertyValue('sequence')).toBe(1);
	expect(edited.vevent.getFirstPropertyValue('summary')).toBe('Daily standup');
	await page
		.getByRole('dialog', { name: 'Meeting scheduled' })
		.getByRole('button', { name: 'Done' })
		.click();

	await entry.getByRole('button', { name: 'Cancel meeting' }).click();
	const confirm = page.getByRole('dialog', { name: 'Cancel Daily standup?' });
	const cancellation = await calendarOf('Download cancellation', confirm);
	expect(cancellation.calendar.getFirstPropertyValue('method')).toBe('CANCEL');
	expect(cancellation.vevent.getFirstPropertyValue('uid')).toBe(
		first.vevent.getFirstPropertyValue('uid')
	);
	expect(cancellation.vevent.getFirstPropertyValue('sequence')).toBe(2);
	await confirm.getByRole('button', { name: 'Cancel meeting' }).click();
	await expect(page.getByRole('list', { name: 'Upcoming' })).toHaveCount(0);
});
