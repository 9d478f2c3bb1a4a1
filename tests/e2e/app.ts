// Driving Confer through its UI contract: the ARIA roles and accessible names of its controls.
import { expect, test, type Locator, type Page } from '@playwright/test';
import {
	dominantColor,
	launchParticipant,
	presentsFrames,
	startCoturn,
	startRelay,
	videoColor,
	type ColorName,
	type Participant,
	type ParticipantOptions
} from './support/index.js';

/**
 * Clean-up for the tests of one spec file; call it once at the top. Steps pushed onto `cleanup`
 * run after each test, last first; `person` launches a participant (its own Chromium process)
 * that is closed then.
 */
export function perTest() {
	const cleanup: (() => Promise<void>)[] = [];
	test.afterEach(async () => {
		for (const fn of cleanup.splice(0).reverse()) await fn();
	});
	async function person(opts: ParticipantOptions = {}): Promise<Participant> {
		const p = await launchParticipant(opts);
		cleanup.push(() => p.close());
		return p;
	}
	return { cleanup, person };
}

/** Home → "New meeting": returns the meeting link (with its secret) from the address bar. */
export async function newMeeting(page: Page): Promise<string> {
	await page.goto('/');
	await page.getByRole('button', { name: 'New meeting' }).click();
	await expect(page.getByRole('button', { name: 'Join now' })).toBeVisible();
	return page.url();
}

/** Opens `link` (unless already there), types the name and clicks "Join now". */
export async function join(page: Page, link: string, name: string): Promise<void> {
	if (page.url() !== link) await page.goto(link);
	const nameBox = page.getByRole('textbox', { name: 'Your name' });
	await nameBox.fill(name);
	await page.getByRole('button', { name: 'Join now' }).click();
	await expect(page.getByRole('toolbar', { name: 'Call controls' })).toBeVisible();
}

/** The tile of the participant named `name` (your own: "NAME (you)"). */
export function tile(page: Page, name: string): Locator {
	return page.getByRole('figure', { name, exact: true });
}

/**
 * Picks `item` in the menu of `name`'s tile ("More options for NAME"), as a person would.
 *
 * @param item a menu item's name: "Pin NAME", "Full screen", "Connection details for NAME"…
 */
export async function tileMenu(page: Page, name: string, item: string) {
	await tile(page, name)
		.getByRole('button', { name: `More options for ${name}` })
		.click();
	await page
		.getByRole('menu', { name: `Options for ${name}` })
		.getByRole('menuitem', { name: item })
		.click();
}

/** Picks `item` ("Settings", "Keyboard shortcuts"…) in the call's "More options" menu. */
export async function moreOption(page: Page, item: string) {
	await page.getByRole('button', { name: 'More options', exact: true }).click();
	await page
		.getByRole('menu', { name: 'More options' })
		.getByRole('menuitem', { name: item })
		.click();
}

/** Waits until the `<video>` in `name`'s tile shows frames of `color`. */
export async function expectVideoColor(page: Page, name: string, color: ColorName) {
	const video = tile(page, name).locator('video');
	await expect
		.poll(async () => dominantColor(await videoColor(video).catch(() => ({ r: 0, g: 0, b: 0 }))), {
			timeout: 30_000,
			message: `${name}'s video should be ${color}`
		})
		.toBe(color);
}

/** Names of the other participants whose tiles show live video on `page` now, sorted. */
export async function liveVideoFrom(page: Page): Promise<string[]> {
	const tiles = page.getByRole('figure');
	const names = (await tiles.evaluateAll((figures) =>
		figures.map((f) => f.querySelector('figcaption')?.textContent ?? '')
	)) as string[];
	const others = names.filter((name) => name !== '' && !name.endsWith(' (you)'));
	const live = await Promise.all(
		others.map((name) => presentsFrames(tile(page, name).locator('video')))
	);
	return others.filter((_, i) => live[i]).sort();
}

/** Opens the chat panel (if closed) and sends `text` with Enter. */
export async function sendChat(page: Page, text: string) {
	const chatButton = page.getByRole('button', { name: 'Chat' });
	if ((await chatButton.getAttribute('aria-expanded')) !== 'true') await chatButton.click();
	const box = page.getByRole('region', { name: 'Chat' }).getByRole('textbox', { name: 'Message' });
	await box.fill(text);
	await box.press('Enter');
	await expect(box).toHaveValue('');
}

/** The chat log (opening the chat panel if needed). */
export async function chatLog(page: Page): Promise<Locator> {
	const chatButton = page.getByRole('button', { name: 'Chat' });
	if ((await chatButton.getAttribute('aria-expanded')) !== 'true') await chatButton.click();
	return page.getByRole('region', { name: 'Chat' }).getByRole('log');
}

/** Test-side instrumentation: keeps every RTCPeerConnection the page creates in `window.__pcs`. */
export async function recordPeerConnections(page: Page) {
	await page.addInitScript(() => {
		const Native = window.RTCPeerConnection;
		const pcs: RTCPeerConnection[] = [];
		(window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = pcs;
		window.RTCPeerConnection = class extends Native {
			constructor(config?: RTCConfiguration) {
				super(config);
				pcs.push(this);
			}
		};
	});
}

/** `local:remote` candidate types of the selected pair of every connected RTCPeerConnection. */
export async function selectedCandidateTypes(page: Page): Promise<string[]> {
	return page.evaluate(async () => {
		const pcs = (window as unknown as { __pcs?: RTCPeerConnection[] }).__pcs ?? [];
		const types: string[] = [];
		for (const pc of pcs) {
			if (pc.connectionState !== 'connected') continue;
			const stats = [...(await pc.getStats()).values()] as Record<string, unknown>[];
			const pair = stats.find(
				(s) => s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded'
			);
			const local = stats.find((s) => s.id === pair?.localCandidateId);
			const remote = stats.find((s) => s.id === pair?.remoteCandidateId);
			types.push(`${String(local?.candidateType)}:${String(remote?.candidateType)}`);
		}
		return types;
	});
}

/**
 * A coturn and a second relay that hands out its TURN credentials (`policy` 'relay' forces every
 * connection through TURN). Returns the relay's URL and one function that stops both.
 */
export async function startTurnRelay(
	policy: 'all' | 'relay'
): Promise<{ url: string; stop: () => Promise<void> }> {
	const coturn = await startCoturn();
	try {
		const relay = await startRelay({
			TURN_URLS: coturn.url,
			TURN_SECRET: coturn.secret,
			ICE_TRANSPORT_POLICY: policy
		});
		return {
			url: relay.url,
			stop: async () => {
				await relay.stop();
				await coturn.stop();
			}
		};
	} catch (error) {
		await coturn.stop();
		throw error;
	}
}

/**
 * Test-side instrumentation for a timing to print (not to assert): from now on, notes in the page
 * when "Join now" is clicked and when each tile's `<video>` presents its first frame
 * (`requestVideoFrameCallback`), both on the page's clock. Read them with {@link firstFrames}.
 */
export async function watchFirstFrames(page: Page) {
	await page.evaluate(() => {
		const marks: Record<string, number> = {};
		(window as unknown as { __firstFrames: Record<string, number> }).__firstFrames = marks;
		addEventListener(
			'click',
			(event) => {
				const button = (event.target as Element | null)?.closest('button');
				if (button?.textContent?.trim() === 'Join now') marks.click ??= performance.now();
			},
			true
		);
		const watched = new WeakSet<HTMLVideoElement>();
		new MutationObserver(() => {
			for (const video of document.querySelectorAll<HTMLVideoElement>('figure video')) {
				if (watched.has(video)) continue;
				watched.add(video);
				const name = video.closest('figure')?.querySelector('figcaption')?.textContent?.trim();
				if (!name) continue;
				video.requestVideoFrameCallback(() => (marks[name] ??= performance.now()));
			}
		}).observe(document, { childList: true, subtree: true });
	});
}

/** Ms from the "Join now" click to the first frame of each named tile, from {@link watchFirstFrames}. */
export async function firstFrames(page: Page, names: string[]): Promise<Record<string, number>> {
	const marks = await page.evaluate(
		() => (window as unknown as { __firstFrames?: Record<string, number> }).__firstFrames ?? {}
	);
	const click = marks.click ?? NaN;
	return Object.fromEntries(names.map((name) => [name, Math.round((marks[name] ?? NaN) - click)]));
}
