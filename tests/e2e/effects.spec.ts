// Background blur and replacement, on the device: what the other participant receives loses the
// camera's sharp background with "Blur" and shows an uploaded image with "Replace background"; the
// model comes from Confer's own origin and keeps working offline.
import { expect, test, type BrowserContext, type Locator, type Page } from '@playwright/test';
import { expectVideoColor, join, moreOption, newMeeting, perTest, tile } from './app.js';
import {
	dominantColor,
	mediaFile,
	presentsFrames,
	videoColor,
	videoSharpness
} from './support/index.js';

const { person } = perTest();

/** The "Background" group, on the prejoin screen or in Settings. */
function backgroundGroup(scope: Page | Locator): Locator {
	return scope.getByRole('group', { name: 'Background' });
}

/** Picks `option` in the group and waits until the model is ready (or was already). */
async function pick(group: Locator, option: string) {
	await group.getByRole('radio', { name: option, exact: true }).check();
	await expect(group.getByText('Preparing background effects…')).toHaveCount(0, {
		timeout: 60_000
	});
	await expect(group.getByRole('radio', { name: option, exact: true })).toBeChecked();
}

/** Every URL the context requests, pages, workers and service worker included. */
function recordRequests(context: BrowserContext): string[] {
	const urls: string[] = [];
	context.on('request', (request) => urls.push(request.url()));
	return urls;
}

/** Requests that left `origin` (data: and blob: URLs never leave the device). */
function offOrigin(urls: string[], origin: string): string[] {
	return urls.filter((url) => !/^(?:data|blob):/.test(url) && new URL(url).origin !== origin);
}

test('"Blur" takes the sharp background out of what the other person receives; an uploaded image replaces it', async () => {
	const alice = await person({ video: 'checkerboard', tone: 440 });
	const bob = await person({ video: 'red', tone: 660 });
	const requests = recordRequests(alice.context);
	const link = await newMeeting(alice.page);
	await join(alice.page, link, 'Alice');
	await join(bob.page, link, 'Bob');
	const aliceOnBob = tile(bob.page, 'Alice').locator('video');

	// The sharp checkerboard, as Bob receives it with no effect (the encoder needs a moment to
	// reach a bitrate that keeps its edges).
	let sharp = 0;
	await expect
		.poll(async () => (sharp = await videoSharpness(aliceOnBob).catch(() => 0)), {
			timeout: 30_000
		})
		.toBeGreaterThan(1_000);

	await moreOption(alice.page, 'Settings');
	const settings = alice.page.getByRole('dialog', { name: 'Settings' });
	const group = backgroundGroup(settings);
	await pick(group, 'Blur');
	await expect
		.poll(async () => videoSharpness(aliceOnBob).catch(() => Infinity), { timeout: 30_000 })
		.toBeLessThan(sharp * 0.1);
	// Blurred, not frozen or black: frames keep coming, and they are the checkerboard's grey.
	expect(await presentsFrames(aliceOnBob)).toBe(true);
	expect(dominantColor(await videoColor(aliceOnBob))).toBe('other');
	// Alice's own tile shows the effect too.
	await expect
		.poll(async () => videoSharpness(tile(alice.page, 'Alice (you)').locator('video')))
		.toBeLessThan(sharp * 0.1);

	await pick(group, 'Replace background');
	await expect(group.getByRole('radio', { name: 'Sunset' })).toBeChecked();
	await group.getByLabel('Upload an image').setInputFiles(mediaFile('green.png'));
	await expect(group.getByRole('radio', { name: 'Your image' })).toBeChecked();
	await expectVideoColor(bob.page, 'Alice', 'green');
	await group.getByRole('button', { name: 'Remove your image' }).click();
	await expect(group.getByRole('radio', { name: 'Your image' })).toHaveCount(0);
	await expect(group.getByRole('radio', { name: 'Sunset' })).toBeChecked();
	await expect
		.poll(async () => dominantColor(await videoColor(aliceOnBob)), { timeout: 30_000 })
		.not.toBe('green');

	// Turning the effect off sends the camera itself again, in the same call.
	await pick(group, 'None');
	await expect
		.poll(async () => videoSharpness(aliceOnBob).catch(() => 0), { timeout: 30_000 })
		.toBeGreaterThan(sharp * 0.3);

	// Turning the camera off and on again keeps the effect and the call.
	await pick(group, 'Blur');
	await settings.getByRole('button', { name: 'Close' }).click();
	const camera = alice.page.getByRole('button', { name: 'Camera', exact: true });
	await camera.click();
	await expect(camera).toHaveAttribute('aria-pressed', 'false');
	await camera.click();
	await expect(camera).toHaveAttribute('aria-pressed', 'true');
	await expect
		.poll(async () => videoSharpness(aliceOnBob).catch(() => Infinity), { timeout: 30_000 })
		.toBeLessThan(sharp * 0.1);

	const origin = new URL(link).origin;
	expect(requests.some((url) => url.includes('/mediapipe/'))).toBe(true);
	expect(offOrigin(requests, origin)).toEqual([]);
});

test('the chosen effect is remembered and works offline once the model was used', async () => {
	const alice = await person({ video: 'checkerboard', tone: 440 });
	const { page, context } = alice;
	const requests = recordRequests(context);
	await page.goto('/');
	await page.evaluate(async () => {
		await navigator.serviceWorker.ready;
	});
	await page.reload();
	await expect.poll(() => page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
	const link = await newMeeting(page);
	const preview = page.getByLabel('Your camera preview');
	const sharp = await videoSharpness(preview);
	expect(sharp).toBeGreaterThan(1_000);
	await pick(backgroundGroup(page), 'Blur');
	await expect
		.poll(async () => videoSharpness(preview), { timeout: 30_000 })
		.toBeLessThan(sharp * 0.1);

	// Offline, the page and the model come from the service worker's caches.
	await context.setOffline(true);
	await page.reload();
	await expect(page.getByRole('button', { name: 'Join now' })).toBeVisible();
	await expect(
		backgroundGroup(page).getByRole('radio', { name: 'Blur', exact: true })
	).toBeChecked();
	await expect
		.poll(async () => videoSharpness(preview).catch(() => Infinity), { timeout: 30_000 })
		.toBeLessThan(sharp * 0.1);
	await pick(backgroundGroup(page), 'Replace background');
	await expect(backgroundGroup(page).getByRole('radio', { name: 'Sunset' })).toBeChecked();
	await expect(page.getByText(/downloaded the first time|could not start/)).toHaveCount(0);

	expect(offOrigin(requests, new URL(link).origin)).toEqual([]);
});

test('without WebGL the options are disabled and say why; the camera still works', async () => {
	const alice = await person({ video: 'checkerboard', tone: 440, extraArgs: ['--disable-webgl'] });
	const { page } = alice;
	await newMeeting(page);
	const group = backgroundGroup(page);
	await expect(group).toContainText('Background effects need WebGL');
	await expect(group.getByRole('radio', { name: 'Blur', exact: true })).toBeDisabled();
	await expect(group.getByRole('radio', { name: 'None' })).toBeChecked();
	expect(await videoSharpness(page.getByLabel('Your camera preview'))).toBeGreaterThan(1_000);
});
