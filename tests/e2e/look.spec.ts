// How the call looks on a laptop and on a phone, in light and dark: checked by axe, and pictured.
// `npm run screenshots` writes the pictures the README shows into tests/screenshots/; otherwise
// they go with the test's results.
import { expect, test } from '@playwright/test';
import { formatViolations, launchParticipant, seriousViolations } from './support/index.js';
import { expectVideoColor, join, newMeeting, sendChat, perTest } from './app.js';

const { cleanup } = perTest();
const SIZES = {
	laptop: { width: 1280, height: 800 },
	phone: { width: 390, height: 844 }
};

test('the call on a laptop and on a phone, light and dark, passes axe', async () => {
	const testInfo = test.info();
	const people = [];
	for (const video of ['red', 'blue', 'green'] as const) {
		const p = await launchParticipant({ video, tone: 'silent' });
		cleanup.push(() => p.close());
		people.push(p);
	}
	const [alice, bob, carol] = people as [
		(typeof people)[0],
		(typeof people)[0],
		(typeof people)[0]
	];
	const link = await newMeeting(alice.page);
	await join(alice.page, link, 'Alice');
	await join(bob.page, link, 'Bob');
	await join(carol.page, link, 'Carol');
	await expectVideoColor(alice.page, 'Carol', 'green');
	await sendChat(bob.page, 'The slides are at www.example.org/slides');
	await sendChat(carol.page, 'Thanks! I will go through them after the call');
	await bob.page.getByRole('button', { name: 'Raise hand' }).click();
	const { page } = alice;
	await expect(page.getByRole('status').getByText('Bob raised their hand')).toBeVisible();

	const picture = async (name: string) => {
		const dir = process.env.SCREENSHOTS_DIR;
		await page.screenshot({ path: dir ? `${dir}/${name}` : testInfo.outputPath(name) });
	};
	for (const [size, viewport] of Object.entries(SIZES)) {
		for (const colorScheme of ['light', 'dark'] as const) {
			await page.setViewportSize(viewport);
			await page.emulateMedia({ colorScheme });
			const chat = page.getByRole('region', { name: 'Chat' });
			// The laptop picture shows the chat beside the videos; the phone picture, the videos.
			if (size === 'laptop' && (await chat.count()) === 0) {
				await page.getByRole('button', { name: 'Chat' }).click();
			}
			await expect(chat).toHaveCount(size === 'laptop' ? 1 : 0);
			await expect(page.getByRole('toolbar', { name: 'Call controls' })).toBeVisible();
			const violations = await seriousViolations(page);
			expect(violations, `${size}, ${colorScheme}: ${formatViolations(violations)}`).toEqual([]);
			await picture(`call-${size}-${colorScheme}.png`);
			if (size === 'laptop') {
				await page.getByRole('button', { name: 'Close' }).click();
			} else {
				// On the phone, the chat is a sheet of its own.
				await page.getByRole('button', { name: 'More options', exact: true }).click();
				await page.getByRole('menuitem', { name: 'Chat' }).click();
				await expect(chat).toBeVisible();
				const sheet = await seriousViolations(page);
				expect(sheet, `chat sheet, ${colorScheme}: ${formatViolations(sheet)}`).toEqual([]);
				await picture(`chat-${size}-${colorScheme}.png`);
				await page.getByRole('button', { name: 'Close' }).click();
			}
		}
	}
});
