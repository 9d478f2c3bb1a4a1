// Your meetings, on your device: the Meetings page, search, the detail view, rename, export,
// backup and restore, delete — offline included.
import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { formatViolations, seriousViolations } from './support/index.js';
import { join, newMeeting, perTest, sendChat } from './app.js';

const { person } = perTest();

/** A meeting of one, with `messages` said in it, left again. Returns its code. */
async function meetingWith(page: Page, title: string, messages: string[]): Promise<string> {
	const link = await newMeeting(page);
	await join(page, link, 'Alice');
	await page.getByRole('button', { name: 'Rename meeting' }).click();
	await page.getByRole('textbox', { name: 'Meeting title' }).fill(title);
	await page.getByRole('button', { name: 'Save' }).click();
	await expect(page.getByRole('heading', { level: 1 })).toHaveText(title);
	for (const text of messages) await sendChat(page, text);
	await page.getByRole('button', { name: 'Leave call' }).click();
	return new URL(link).pathname.slice(1);
}

const searchBox = (page: Page) =>
	page.getByRole('searchbox', { name: 'Search meetings and messages' });

test('search finds what was said in each meeting, and a result opens the message; export and delete', async () => {
	const { page } = await person({ video: 'red', tone: 'silent' });
	await meetingWith(page, 'Budget review', ['The invoice for Müller is late']);
	await meetingWith(page, 'Design sync', ['New mockups are in the shared folder']);

	await page.goto('/');
	await page.getByRole('link', { name: 'All meetings' }).click();
	await expect(page.getByRole('heading', { name: 'Meetings', level: 1 })).toBeVisible();
	const list = page.getByRole('list', { name: 'All meetings' });
	await expect(list.getByRole('link')).toHaveCount(2);
	// Newest first.
	await expect(list.getByRole('link').first()).toContainText('Design sync');
	let violations = await seriousViolations(page);
	expect(violations, formatViolations(violations)).toEqual([]);

	// Diacritics-insensitive, by prefix, as you type.
	await searchBox(page).fill('mull');
	const results = page.getByRole('region', { name: /result/ });
	await expect(results.getByRole('link')).toHaveCount(1);
	await expect(results.getByRole('link')).toContainText('Budget review');
	await expect(results.locator('mark')).toHaveText('Müller');
	await searchBox(page).fill('mockup');
	await expect(results.getByRole('link')).toHaveCount(1);
	await expect(results.getByRole('link')).toContainText('Design sync');

	// The result opens the meeting's detail view at the message, highlighted.
	await results.getByRole('link').click();
	await expect(page.getByRole('heading', { name: 'Design sync', level: 1 })).toBeVisible();
	const message = page.locator('li[aria-current="true"]');
	await expect(message).toContainText('New mockups are in the shared folder');
	await expect(message).toBeFocused();
	await expect(page.getByRole('region', { name: 'Attendance' })).toContainText('Alice joined');
	violations = await seriousViolations(page);
	expect(violations, formatViolations(violations)).toEqual([]);

	// Export: a Markdown transcript with the messages.
	await page.getByRole('button', { name: 'Export' }).click();
	const downloading = page.waitForEvent('download');
	await page.getByRole('button', { name: 'Markdown (to read)' }).click();
	const file = await downloading;
	expect(file.suggestedFilename()).toMatch(/^confer-design-sync-\d{4}-\d\d-\d\d\.md$/);
	const markdown = await readFile((await file.path())!, 'utf8');
	expect(markdown).toContain('# Design sync');
	expect(markdown).toContain('> New mockups are in the shared folder');

	// Delete: gone from the list and from search.
	await page.getByRole('button', { name: 'Delete from this device' }).click();
	await expect(page.getByRole('dialog', { name: 'Delete this meeting?' })).toContainText(
		'1 message'
	);
	await page.getByRole('button', { name: 'Delete', exact: true }).click();
	await expect(page.getByRole('heading', { name: 'Meetings', level: 1 })).toBeVisible();
	await expect(list.getByRole('link')).toHaveCount(1);
	await searchBox(page).fill('mockup');
	await expect(page.getByRole('heading', { name: 'No results' })).toBeVisible();
});

test('a rename is seen by the other participant and kept in both histories', async () => {
	const alice = await person({ video: 'red', tone: 'silent' });
	const bob = await person({ video: 'blue', tone: 'silent' });
	const link = await newMeeting(alice.page);
	await join(alice.page, link, 'Alice');
	await join(bob.page, link, 'Bob');
	await alice.page.getByRole('button', { name: 'Rename meeting' }).click();
	await alice.page.getByRole('textbox', { name: 'Meeting title' }).fill('Quarterly planning');
	await alice.page.getByRole('button', { name: 'Save' }).click();
	await expect(bob.page.getByRole('heading', { level: 1 })).toHaveText('Quarterly planning');
	await bob.page.getByRole('button', { name: 'Leave call' }).click();
	await bob.page.goto('/meetings');
	await expect(bob.page.getByRole('list', { name: 'All meetings' })).toContainText(
		'Quarterly planning'
	);
	await searchBox(bob.page).fill('quarterly');
	await expect(bob.page.getByRole('region', { name: /result/ }).getByRole('link')).toHaveCount(1);
});

test('backup, delete everything, restore: chats and search come back; the pages work offline', async () => {
	const { page, context } = await person({ video: 'red', tone: 'silent' });
	await meetingWith(page, 'Offsite', ['Bring hiking boots']);
	await page.goto('/meetings');
	await page.evaluate(async () => {
		await navigator.serviceWorker.ready;
	});
	await page.reload();
	await expect.poll(() => page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);

	// Offline: the Meetings page, search and the detail view.
	await context.setOffline(true);
	await page.reload();
	await expect(page.getByRole('list', { name: 'All meetings' })).toContainText('Offsite');
	await searchBox(page).fill('hiking');
	await page
		.getByRole('region', { name: /result/ })
		.getByRole('link')
		.click();
	await expect(page.locator('li[aria-current="true"]')).toContainText('Bring hiking boots');
	await page.getByRole('link', { name: 'All meetings' }).click();
	await context.setOffline(false);

	const downloading = page.waitForEvent('download');
	await page.getByRole('button', { name: 'Download backup' }).click();
	const backup = (await (await downloading).path())!;

	await page.getByRole('button', { name: 'Delete everything' }).click();
	const confirm = page.getByRole('dialog', { name: 'Delete everything?' });
	const deleteAll = confirm.getByRole('button', { name: 'Delete everything' });
	// The stronger confirmation: nothing happens until the person ticks that they understand.
	await expect(deleteAll).toBeDisabled();
	await confirm
		.getByRole('checkbox', { name: /every meeting on this device will be gone/ })
		.check();
	await deleteAll.click();
	await expect(page.getByRole('status').filter({ hasText: 'deleted' })).toBeVisible();
	await expect(page.getByRole('list', { name: 'All meetings' }).getByRole('link')).toHaveCount(0);
	await searchBox(page).fill('hiking');
	await expect(page.getByRole('heading', { name: 'No results' })).toBeVisible();
	await searchBox(page).fill('');

	// A damaged file is refused in words, and changes nothing.
	await page.locator('input[type="file"]').setInputFiles({
		name: 'broken.json',
		mimeType: 'application/json',
		buffer: Buffer.from('{"format":"confer-backup","version":1,"meetings":[')
	});
	await expect(page.getByRole('status').filter({ hasText: 'damaged' })).toBeVisible();

	await page.locator('input[type="file"]').setInputFiles(backup);
	await expect(page.getByRole('status').filter({ hasText: 'Restored 1 meeting' })).toBeVisible();
	await expect(page.getByRole('list', { name: 'All meetings' })).toContainText('Offsite');
	await searchBox(page).fill('boots');
	await page
		.getByRole('region', { name: /result/ })
		.getByRole('link')
		.click();
	await expect(page.locator('li[aria-current="true"]')).toContainText('Bring hiking boots');
});
