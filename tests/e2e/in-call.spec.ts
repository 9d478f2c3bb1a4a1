// The in-call experience: hands, reactions, toasts, active speaker, layouts, presenting, devices,
// connection details and mesh adaptation, each as another participant sees it.
import { expect, test, type Page } from '@playwright/test';
import {
	formatViolations,
	seriousViolations,
	startRelay,
	type Participant,
	type ParticipantOptions
} from './support/index.js';
import {
	expectVideoColor,
	join,
	moreOption,
	newMeeting,
	recordPeerConnections,
	sendChat,
	startTurnRelay,
	tile,
	tileMenu,
	perTest
} from './app.js';

const { cleanup, person: launch } = perTest();

/** A participant whose RTCPeerConnections are recorded (`recordPeerConnections`). */
async function person(opts: ParticipantOptions): Promise<Participant> {
	const p = await launch(opts);
	await recordPeerConnections(p.page);
	return p;
}

/** Records the frequency (Hz) of every note the page's chimes start, in `window.chimes`. */
async function recordChimes(page: Page) {
	await page.addInitScript(() => {
		const notes: number[] = [];
		Object.assign(window, { chimes: notes });
		const start = OscillatorNode.prototype.start;
		OscillatorNode.prototype.start = function (this: OscillatorNode, when?: number) {
			notes.push(this.frequency.value);
			start.call(this, when);
		};
	});
}

/** The notes chimed so far (Hz), in order. */
const chimes = (page: Page) =>
	page.evaluate(() => (window as unknown as { chimes: number[] }).chimes);

/** A phone's screen in CSS pixels (an iPhone 14's). */
const PHONE = { width: 390, height: 844 };

const raiseHand = (page: Page) => page.getByRole('button', { name: 'Raise hand' });
const lowerHand = (page: Page) => page.getByRole('button', { name: 'Lower hand' });
/** A toast: a short-lived message in the call's status region. */
const toast = (page: Page, text: string) =>
	page.getByRole('status').getByText(text, { exact: true });

test('hands, reactions and the active speaker, as the other participant sees them', async () => {
	// Alice's microphone plays a tone; Bob's is silent.
	const alice = await person({ video: 'red', tone: 440 });
	const bob = await person({ video: 'blue', tone: 'silent' });
	await recordChimes(alice.page);
	const link = await newMeeting(alice.page);
	await join(alice.page, link, 'Alice');
	await expect(alice.page.getByRole('heading', { name: "You're the only one here" })).toBeVisible();
	await join(bob.page, link, 'Bob');
	await expect(alice.page.getByRole('heading', { name: "You're the only one here" })).toHaveCount(
		0
	);
	await expect(toast(alice.page, 'Bob joined')).toBeVisible();
	// A join chimes: two rising notes.
	await expect.poll(() => chimes(alice.page)).toEqual([659.25, 880]);
	await expectVideoColor(bob.page, 'Alice', 'red');

	// Active speaker: Alice's tile is highlighted everywhere, Bob's never.
	await expect(tile(bob.page, 'Alice')).toHaveAttribute('data-speaking', 'true');
	await expect(tile(alice.page, 'Alice (you)')).toHaveAttribute('data-speaking', 'true');
	await expect(tile(alice.page, 'Bob')).toHaveAttribute('data-speaking', 'false');
	await expect(tile(bob.page, 'Bob (you)')).toHaveAttribute('data-speaking', 'false');

	// Bob (silent) raises his hand: Alice sees it on the tile, first in the list, and hears of it.
	await raiseHand(bob.page).click();
	await expect(lowerHand(bob.page)).toBeVisible();
	await expect(toast(alice.page, 'Bob raised their hand')).toBeVisible();
	// A hand chimes: one high note.
	await expect.poll(() => chimes(alice.page)).toEqual([659.25, 880, 1046.5]);
	await expect(tile(alice.page, 'Bob').getByRole('img', { name: 'Hand raised' })).toBeVisible();
	await alice.page.getByRole('button', { name: 'Participants' }).click();
	const list = alice.page.getByRole('region', { name: 'Participants' }).getByRole('listitem');
	await expect(list.first()).toContainText('Bob');
	await expect(list.first().getByRole('img', { name: 'Hand raised' })).toBeVisible();
	await lowerHand(bob.page).click();
	await expect(raiseHand(bob.page)).toBeVisible();
	await expect(tile(alice.page, 'Bob').getByRole('img', { name: 'Hand raised' })).toHaveCount(0);
	// Toasts go away by themselves.
	await expect(toast(alice.page, 'Bob raised their hand')).toHaveCount(0, { timeout: 15_000 });
	// With sounds turned off in Settings, a hand shows but does not chime.
	await moreOption(alice.page, 'Settings');
	const settings = alice.page.getByRole('dialog', { name: 'Settings' });
	await settings
		.getByRole('checkbox', { name: 'Play a sound when someone joins or raises a hand' })
		.uncheck();
	await settings.getByRole('button', { name: 'Close' }).click();
	await raiseHand(bob.page).click();
	await expect(toast(alice.page, 'Bob raised their hand')).toBeVisible();
	await lowerHand(bob.page).click();
	expect(await chimes(alice.page)).toEqual([659.25, 880, 1046.5]);

	// Alice raises hers while talking: it goes down by itself after she has spoken a while.
	await raiseHand(alice.page).click();
	await expect(tile(bob.page, 'Alice').getByRole('img', { name: 'Hand raised' })).toBeVisible();
	await expect(tile(bob.page, 'Alice').getByRole('img', { name: 'Hand raised' })).toHaveCount(0, {
		timeout: 15_000
	});
	await expect(raiseHand(alice.page)).toBeVisible();
	await expect(toast(alice.page, 'Your hand was lowered because you are speaking')).toBeVisible();

	// A reaction shows over the sender's tile for everyone, and is not kept in the chat.
	await bob.page.getByRole('button', { name: 'Send a reaction' }).click();
	await bob.page.getByRole('button', { name: 'Thumbs up' }).click();
	const reaction = tile(alice.page, 'Bob').getByRole('img', { name: 'Thumbs up' });
	await expect(reaction).toBeVisible();
	await expect(reaction).toHaveCount(0, { timeout: 10_000 });
	await alice.page.getByRole('button', { name: 'Chat' }).click();
	await expect(alice.page.getByRole('log')).not.toContainText('Thumbs up');
	await alice.page.getByRole('button', { name: 'Chat' }).click();

	// A message while the chat is closed: a toast with its first line and a count on "Chat"; the
	// toast opens the chat, which clears the count.
	await sendChat(bob.page, 'Slides are up\nsecond line');
	const chatButton = alice.page.getByRole('button', { name: 'Chat' });
	await expect(chatButton).toHaveAccessibleName('Chat, 1 unread');
	await expect(chatButton).toContainText('1');
	await toast(alice.page, 'Bob: Slides are up').click();
	await expect(alice.page.getByRole('log')).toContainText('Slides are up');
	await expect(chatButton).toHaveAccessibleName('Chat');
	// The count is gone from the button.
	await expect(chatButton).not.toContainText(/\d/);

	await bob.page.getByRole('button', { name: 'Leave call' }).click();
	await expect(toast(alice.page, 'Bob left')).toBeVisible();
});

test('pinning and layouts change which tile is large', async () => {
	const alice = await person({ video: 'red', tone: 440 });
	const bob = await person({ video: 'blue', tone: 'silent' });
	const link = await newMeeting(alice.page);
	await join(alice.page, link, 'Alice');
	await join(bob.page, link, 'Bob');
	await expectVideoColor(bob.page, 'Alice', 'red');
	const large = (page: Page) => page.locator('figure[data-large="true"] figcaption');

	// Auto: a grid of equals.
	await expect(large(bob.page)).toHaveCount(0);
	// Pin: the pinned tile is large, for this person only.
	await tileMenu(bob.page, 'Bob (you)', 'Pin Bob (you)');
	await expect(large(bob.page)).toHaveText('Bob (you)');
	await expect(large(alice.page)).toHaveCount(0);
	await tileMenu(bob.page, 'Bob (you)', 'Unpin Bob (you)');
	await expect(large(bob.page)).toHaveCount(0);

	// Speaker: the one making sound (Alice) is large.
	await bob.page.getByRole('button', { name: 'Layout' }).click();
	await bob.page.getByRole('menuitemradio', { name: 'Speaker' }).click();
	await expect(large(bob.page)).toHaveText('Alice');

	// Auto again: a shared screen is shown large by itself.
	await bob.page.getByRole('button', { name: 'Layout' }).click();
	await bob.page.getByRole('menuitemradio', { name: 'Auto' }).click();
	await expect(large(bob.page)).toHaveCount(0);
	await alice.page.getByRole('button', { name: 'Share screen' }).click();
	await expect(large(bob.page)).toHaveText('Alice');

	// Grid: everyone equal even while sharing.
	await bob.page.getByRole('button', { name: 'Layout' }).click();
	await bob.page.getByRole('menuitemradio', { name: 'Grid' }).click();
	await expect(large(bob.page)).toHaveCount(0);

	// The presenter is told, and stops from there.
	await expect(alice.page.getByText("You're presenting")).toBeVisible();
	await alice.page.getByRole('button', { name: 'Stop presenting' }).click();
	await expect(alice.page.getByText("You're presenting")).toHaveCount(0);
	await expect(alice.page.getByRole('button', { name: 'Share screen' })).toHaveAttribute(
		'aria-pressed',
		'false'
	);
});

test('keyboard only: join, chat, the layout menu and the shortcuts; a long paste is cut, and said so', async () => {
	const { page } = await person({ video: 'red', tone: 440 });
	await newMeeting(page);
	await page.getByRole('textbox', { name: 'Your name' }).focus();
	await page.keyboard.type('Alice');
	await page.keyboard.press('Enter');
	// Entering the call puts the focus on the meeting's heading.
	await expect(page.getByRole('heading', { level: 1 })).toBeFocused();

	// Ctrl+Alt+C opens the chat with the focus in the message box.
	await page.keyboard.press('Control+Alt+KeyC');
	await expect(page.getByRole('textbox', { name: 'Message' })).toBeFocused();
	await page.keyboard.type('typed without a mouse');
	await page.keyboard.press('Enter');
	await expect(page.getByRole('log')).toContainText('typed without a mouse');
	// A paste longer than a message can be is cut, and the person is told.
	await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
	await page.evaluate((text) => navigator.clipboard.writeText(text), 'x'.repeat(4_100));
	await page.keyboard.press('Control+V');
	await expect(page.getByRole('textbox', { name: 'Message' })).toHaveValue('x'.repeat(4_000));
	await expect(page.getByText('The pasted text was cut to fit 4,000 characters.')).toBeVisible();
	await page.getByRole('textbox', { name: 'Message' }).clear();

	// The Layout menu: arrows, Home and End move (and wrap), Enter picks, Escape closes; the focus
	// goes back to the button each time.
	const layout = page.getByRole('button', { name: 'Layout' });
	const item = (name: string) => page.getByRole('menuitemradio', { name });
	await layout.focus();
	await page.keyboard.press('Enter');
	await expect(item('Auto')).toBeFocused();
	await page.keyboard.press('ArrowDown');
	await expect(item('Grid')).toBeFocused();
	await page.keyboard.press('End');
	await expect(item('Speaker')).toBeFocused();
	await page.keyboard.press('ArrowDown');
	await expect(item('Auto')).toBeFocused();
	await page.keyboard.press('ArrowUp');
	await page.keyboard.press('Enter');
	await expect(page.getByRole('menu', { name: 'Layout' })).toHaveCount(0);
	await expect(layout).toBeFocused();
	await page.keyboard.press('Enter');
	await expect(item('Speaker')).toBeFocused();
	await expect(item('Speaker')).toHaveAttribute('aria-checked', 'true');
	await page.keyboard.press('Escape');
	await expect(page.getByRole('menu', { name: 'Layout' })).toHaveCount(0);
	await expect(layout).toBeFocused();

	// Ctrl+Alt+H raises and lowers the hand.
	await page.keyboard.press('Control+Alt+KeyH');
	await expect(page.getByRole('button', { name: 'Lower hand' })).toBeVisible();
	await page.keyboard.press('Control+Alt+KeyH');
	await expect(page.getByRole('button', { name: 'Raise hand' })).toBeVisible();

	// The tile menu: Tab reaches its button; the menu opens on the first item, arrows move, Enter
	// pins, and the focus goes back to the button; Escape closes it the same way.
	const tileButton = page.getByRole('button', { name: 'More options for Alice (you)' });
	const tileItem = (name: string) =>
		page.getByRole('menu', { name: 'Options for Alice (you)' }).getByRole('menuitem', { name });
	await page.getByRole('heading', { level: 1 }).focus();
	for (let i = 0; i < 10 && !(await tileButton.evaluate((b) => b === document.activeElement)); i++)
		await page.keyboard.press('Tab');
	await expect(tileButton).toBeFocused();
	await page.keyboard.press('Enter');
	await expect(tileItem('Pin Alice (you)')).toBeFocused();
	await page.keyboard.press('ArrowDown');
	await expect(tileItem('Full screen')).toBeFocused();
	await page.keyboard.press('Home');
	await page.keyboard.press('Enter');
	await expect(page.locator('figure[data-large="true"] figcaption')).toHaveText('Alice (you)');
	await expect(tileButton).toBeFocused();
	await page.keyboard.press('Enter');
	await expect(tileItem('Unpin Alice (you)')).toBeFocused();
	await page.keyboard.press('Escape');
	await expect(page.getByRole('menu', { name: 'Options for Alice (you)' })).toHaveCount(0);
	await expect(tileButton).toBeFocused();

	// "?" lists the shortcuts; Escape closes the list.
	await page.keyboard.press('?');
	const shortcuts = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
	await expect(shortcuts).toContainText('Raise or lower your hand');
	await expect(shortcuts).toContainText('Ctrl+Alt+H');
	await page.keyboard.press('Escape');
	await expect(shortcuts).toHaveCount(0);
});

test('on a phone: one row of five controls, tiles that fill the screen, a tap that starts nothing, and the chat as a sheet', async () => {
	const alice = await person({ video: 'red', tone: 440, phone: true, viewport: PHONE });
	const bob = await person({ video: 'blue', tone: 660 });
	const { page } = alice;
	const link = await newMeeting(page);
	// The prejoin fits the phone: the preview at the top, the heading right below it.
	const preview = (await page.getByLabel('Your camera preview').boundingBox())!;
	const heading = (await page.getByRole('heading', { name: 'Ready to join?' }).boundingBox())!;
	expect(preview.y).toBeLessThan(40);
	expect(heading.y - (preview.y + preview.height)).toBeLessThan(40);
	await join(page, link, 'Alice');
	await join(bob.page, link, 'Bob');
	await expectVideoColor(page, 'Bob', 'blue');

	// One row of at most five controls, inside the screen.
	const controls = page.getByRole('toolbar', { name: 'Call controls' }).getByRole('button');
	const boxes = await controls.evaluateAll((buttons) =>
		buttons.map((b) => b.getBoundingClientRect().toJSON() as DOMRect)
	);
	expect(boxes.length).toBeLessThanOrEqual(5);
	expect(new Set(boxes.map((b) => Math.round(b.top))).size).toBe(1);
	for (const b of boxes) expect(b.right).toBeLessThanOrEqual(PHONE.width);
	await expect(
		page.getByRole('toolbar', { name: 'Call controls' }).getByRole('button', { name: 'Microphone' })
	).toBeVisible();

	// Two people: each tile is at least 300 px wide.
	for (const who of ['Alice (you)', 'Bob']) {
		expect((await tile(page, who).boundingBox())!.width).toBeGreaterThanOrEqual(300);
	}

	// A tap in the middle of a tile starts nothing: no picture-in-picture, no full screen, no menu.
	await tile(page, 'Bob').tap();
	await page.waitForTimeout(500);
	expect(
		await page.evaluate(() => [!!document.pictureInPictureElement, !!document.fullscreenElement])
	).toEqual([false, false]);
	await expect(page.getByRole('menu')).toHaveCount(0);

	// Chat: under "More options", a full-screen sheet that closes with "Close".
	await moreOption(page, 'Chat');
	const chat = page.getByRole('region', { name: 'Chat' });
	await expect(page.getByRole('textbox', { name: 'Message' })).toBeFocused();
	const sheet = (await chat.boundingBox())!;
	expect(sheet.width).toBeGreaterThanOrEqual(PHONE.width - 1);
	expect(sheet.height).toBeGreaterThanOrEqual(PHONE.height - 1);
	let violations = await seriousViolations(page);
	expect(violations, formatViolations(violations)).toEqual([]);
	await page.getByRole('button', { name: 'Close' }).tap();
	await expect(chat).toHaveCount(0);
	await expect(page.getByRole('button', { name: 'More options', exact: true })).toBeFocused();

	// The phone call view passes axe too, with the menu open.
	await page.getByRole('button', { name: 'More options', exact: true }).tap();
	await expect(page.getByRole('menu', { name: 'More options' })).toBeVisible();
	violations = await seriousViolations(page);
	expect(violations, formatViolations(violations)).toEqual([]);
});

test('switching camera and microphone in Settings keeps the call going', async () => {
	// Three fake devices, not two: Chromium's second fake camera (`fake_device_1`) delivers Y16 depth
	// frames that its video encoder never receives, even in a bare two-RTCPeerConnection page with
	// no app code, so the switch goes to `fake_device_2` (I420 via MJPEG), like a real second camera.
	const alice = await person({ deviceCount: 3 });
	const bob = await person({ video: 'blue', tone: 660 });
	const link = await newMeeting(alice.page);
	await join(alice.page, link, 'Alice');
	await join(bob.page, link, 'Bob');
	await expect.poll(() => framesDecoded(bob.page), { timeout: 30_000 }).toBeGreaterThan(0);

	await moreOption(alice.page, 'Settings');
	const dialog = alice.page.getByRole('dialog', { name: 'Settings' });
	const camera = dialog.getByRole('combobox', { name: 'Camera' });
	const microphone = dialog.getByRole('combobox', { name: 'Microphone' });
	await expect(camera.getByRole('option')).toHaveCount(3);
	const before = await sentDeviceIds(alice.page);
	const other = await camera.getByRole('option', { name: 'fake_device_2' }).getAttribute('value');
	expect(other).toBeTruthy();
	expect(other).not.toBe(before.video);
	await camera.selectOption(other!);
	await expect.poll(async () => (await sentDeviceIds(alice.page)).video).toBe(other);

	const mics = await microphone
		.getByRole('option')
		.evaluateAll((o) => o.map((e) => (e as HTMLOptionElement).value));
	const otherMic = mics.find((id) => id !== before.audio);
	expect(otherMic).toBeTruthy();
	await microphone.selectOption(otherMic!);
	await expect.poll(async () => (await sentDeviceIds(alice.page)).audio).toBe(otherMic);
	await dialog.getByRole('button', { name: 'Close' }).click();
	await expect(dialog).toHaveCount(0);

	// Same call, new camera: Bob's view of Alice keeps getting frames.
	const decoded = await framesDecoded(bob.page);
	await expect
		.poll(() => framesDecoded(bob.page), { timeout: 20_000 })
		.toBeGreaterThan(decoded + 30);
});

test('connection details show a relayed route through TURN', async () => {
	const relay = await startTurnRelay('relay');
	cleanup.push(relay.stop);
	const alice = await person({ video: 'red', tone: 440, baseURL: relay.url });
	const bob = await person({ video: 'blue', tone: 660, baseURL: relay.url });
	const link = await newMeeting(alice.page);
	await join(alice.page, link, 'Alice');
	await join(bob.page, link, 'Bob');
	await expectVideoColor(bob.page, 'Alice', 'red');

	await expect(
		tile(bob.page, 'Alice').getByRole('img', { name: /^Connection (good|fair|poor)$/ })
	).toBeVisible();
	await tileMenu(bob.page, 'Alice', 'Connection details for Alice');
	const dialog = bob.page.getByRole('dialog', { name: 'Connection details for Alice' });
	await expect(dialog).toContainText('relayed (TURN)');
	await expect(dialog).toContainText(/Round-trip time\s*\d+ ms/);
	await expect(dialog).toContainText(/Bitrate in\s*[\d,.]+ kbit\/s/);
	await expect(dialog).toContainText(/Resolution\s*\d+×\d+/);
	await bob.page.keyboard.press('Escape');
	await expect(dialog).toHaveCount(0);
});

test('with four people, each sender keeps video to each peer within the 4–6 person cap', async () => {
	// Four browsers encoding real video on a 2-core machine: give setup room.
	test.setTimeout(240_000);
	// Chromium's built-in fake camera (640×480, moving), so the encoder has real work to do. Small
	// pages: headless Chromium composites in software at a cost in proportion to the page's area,
	// and four 1280×800 pages of live video alone would take more than the machine's 2 cores.
	const small = { viewport: { width: 640, height: 400 } };
	const people = [
		await person(small),
		await person(small),
		await person(small),
		await person(small)
	];
	const names = ['Ann', 'Ben', 'Cai', 'Dee'];
	const link = await newMeeting(people[0]!.page);
	await join(people[0]!.page, link, names[0]!);
	await join(people[1]!.page, link, names[1]!);
	// Two people: up to 1.5 Mbit/s per peer.
	await expect.poll(() => videoCaps(people[0]!.page), { timeout: 60_000 }).toEqual([1_500_000]);
	await join(people[2]!.page, link, names[2]!);
	await join(people[3]!.page, link, names[3]!);
	for (const p of people) {
		await expect
			.poll(() => videoCaps(p.page), { timeout: 90_000 })
			.toEqual([500_000, 500_000, 500_000]);
	}
	await people[0]!.page.waitForTimeout(4_000);
	for (const p of people) {
		// On a saturated machine ICE consent can lapse for a moment; measure over a window in which
		// all three calls stay connected (the call links reconnect them).
		let sent: { kbps: number; height: number | null }[] = [];
		await expect
			.poll(async () => (sent = await outboundVideo(p.page, 3_000)).length, {
				timeout: 60_000
			})
			.toBe(3);
		// Heights of encodings that sent frames in the window: a paused one (the peer shows no tile
		// of ours) keeps the height of its last frame, encoded before the room grew.
		expect(sent.some(({ height }) => height !== null)).toBe(true);
		for (const { kbps, height } of sent) {
			expect(kbps).toBeLessThanOrEqual(500);
			if (height !== null) expect(height).toBeLessThanOrEqual(360);
		}
	}
});

type Pcs = { __pcs?: RTCPeerConnection[] };

/** Device ids of the tracks the page sends on its media call (the PeerJS connection). */
async function sentDeviceIds(page: Page): Promise<{ audio?: string; video?: string }> {
	return page.evaluate(() => {
		const result: { audio?: string; video?: string } = {};
		for (const pc of (window as unknown as Pcs).__pcs ?? []) {
			if (pc.connectionState !== 'connected') continue;
			for (const sender of pc.getSenders()) {
				const track = sender.track;
				if (track?.kind === 'audio' || track?.kind === 'video')
					result[track.kind] = track.getSettings().deviceId;
			}
		}
		return result;
	});
}

/** Video frames decoded so far on the page's media calls (getStats inbound-rtp `framesDecoded`). */
async function framesDecoded(page: Page): Promise<number> {
	return page.evaluate(async () => {
		let frames = 0;
		for (const pc of (window as unknown as Pcs).__pcs ?? []) {
			if (pc.connectionState !== 'connected') continue;
			(await pc.getStats()).forEach((s: Record<string, unknown>) => {
				if (s.type === 'inbound-rtp' && s.kind === 'video') frames += Number(s.framesDecoded ?? 0);
			});
		}
		return frames;
	});
}

/** `maxBitrate` of the video sender on each connected media call, in bit/s. */
async function videoCaps(page: Page): Promise<number[]> {
	return page.evaluate(() =>
		((window as unknown as Pcs).__pcs ?? [])
			.filter((pc) => pc.connectionState === 'connected')
			.flatMap((pc) => pc.getSenders().filter((s) => s.track?.kind === 'video'))
			.map((s) => s.getParameters().encodings[0]?.maxBitrate ?? 0)
	);
}

/**
 * What each connected media call sent over the next `ms`: video kbit/s, and the height of the last
 * frame encoded in that time (getStats outbound-rtp `frameHeight`), or null when it encoded none
 * (a paused encoding keeps the height of its last frame, however old).
 */
async function outboundVideo(
	page: Page,
	ms: number
): Promise<{ kbps: number; height: number | null }[]> {
	return page.evaluate(async (ms) => {
		const pcs = ((window as unknown as Pcs).__pcs ?? []).filter(
			(pc) => pc.connectionState === 'connected' && pc.getSenders().some((s) => s.track)
		);
		const sent = async (pc: RTCPeerConnection) => {
			let bytes = 0;
			let frames = 0;
			let height = 0;
			let at = 0;
			(await pc.getStats()).forEach((s: Record<string, unknown>) => {
				if (s.type === 'outbound-rtp' && s.kind === 'video') {
					bytes += Number(s.bytesSent);
					frames += Number(s.framesEncoded ?? 0);
					height = Math.max(height, Number(s.frameHeight ?? 0));
					at = Number(s.timestamp);
				}
			});
			return { bytes, frames, height, at };
		};
		const first = await Promise.all(pcs.map(sent));
		await new Promise((resolve) => setTimeout(resolve, ms));
		const second = await Promise.all(pcs.map(sent));
		return second.map((b, i) => ({
			kbps: ((b.bytes - first[i]!.bytes) * 8) / (b.at - first[i]!.at),
			height: b.frames > first[i]!.frames ? b.height : null
		}));
	}, ms);
}

test('joining a room that is full for video: told so, in with audio only', async () => {
	const relay = await startRelay({ ROOM_VIDEO_CAP: '1' });
	cleanup.push(() => relay.stop());
	const alice = await person({ video: 'red', tone: 440, baseURL: relay.url });
	const bob = await person({ video: 'blue', tone: 660, baseURL: relay.url });
	const link = await newMeeting(alice.page);
	await join(alice.page, link, 'Alice');
	await join(bob.page, link, 'Bob');

	await expect(bob.page.getByRole('status').filter({ hasText: 'full for video' })).toBeVisible();
	await expect(bob.page.getByRole('button', { name: 'Camera' })).toHaveAttribute(
		'aria-pressed',
		'false'
	);
	await expect(
		tile(alice.page, 'Bob').getByRole('img', { name: "Bob's camera is off" })
	).toBeVisible();
	await expectVideoColor(bob.page, 'Alice', 'red');
	// Bob still hears and is heard; turning the camera on is refused with the same explanation.
	await bob.page.getByRole('button', { name: 'Camera' }).click();
	await expect(bob.page.getByRole('button', { name: 'Camera' })).toHaveAttribute(
		'aria-pressed',
		'false'
	);
	await expect(tile(alice.page, 'Alice (you)')).toBeVisible();
	await expect(alice.page.getByRole('button', { name: 'Camera' })).toHaveAttribute(
		'aria-pressed',
		'true'
	);
});
