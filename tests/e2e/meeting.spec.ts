// The meeting core end to end: real browsers (one process each, own fake camera and microphone),
// real WebRTC over loopback, the relay from the build.
import { expect, test } from '@playwright/test';
import {
	dominantColor,
	launchParticipant,
	peakFrequency,
	videoColor,
	type Participant
} from './support/index.js';
import {
	chatLog,
	expectVideoColor,
	join,
	newMeeting,
	sendChat,
	startTurnRelay,
	tile
} from './app.js';

const people: Participant[] = [];
const stops: (() => Promise<void>)[] = [];
test.afterEach(async () => {
	await Promise.all(people.splice(0).map((p) => p.close()));
	for (const stop of stops.splice(0)) await stop();
});

async function person(video: 'red' | 'green' | 'blue' | 'yellow', tone: 440 | 660 | 880 | 1100) {
	const p = await launchParticipant({ video, tone });
	people.push(p);
	return p;
}

/** Peak frequency (Hz) heard from `name`'s tile, or null when silent. */
async function heard(p: Participant, name: string): Promise<number | null> {
	return peakFrequency(p.page, tile(p.page, name).locator('video'));
}

test('two people meet by link: video, sound, chat, mute, camera, screen share', async () => {
	const alice = await person('red', 440);
	const bob = await person('blue', 660);

	const link = await newMeeting(alice.page);
	expect(link).toMatch(/\/[a-z]{3}-[a-z]{4}-[a-z]{3}#k=[A-Za-z0-9_-]{22}$/);
	await join(alice.page, link, 'Alice');
	await join(bob.page, link, 'Bob');

	// Each sees and hears the other.
	await expect(tile(alice.page, 'Alice (you)')).toBeVisible();
	await expectVideoColor(alice.page, 'Bob', 'blue');
	await expectVideoColor(bob.page, 'Alice', 'red');
	await expect.poll(() => heard(bob, 'Alice'), { timeout: 20_000 }).toBeCloseTo(440, -1);
	await expect.poll(() => heard(alice, 'Bob'), { timeout: 20_000 }).toBeCloseTo(660, -1);

	// Chat both ways; markup is shown as text.
	await sendChat(alice.page, 'Hello Bob, see https://example.org/notes');
	const markup = '<b>bold?</b> <img src=x onerror="document.title=1">';
	await sendChat(bob.page, markup);
	const bobLog = await chatLog(bob.page);
	const aliceLog = await chatLog(alice.page);
	await expect(bobLog).toContainText('Hello Bob, see https://example.org/notes');
	await expect(aliceLog).toContainText(markup);
	await expect(aliceLog.locator('b, img')).toHaveCount(0);
	const link1 = bobLog.getByRole('link', { name: 'https://example.org/notes' });
	await expect(link1).toHaveAttribute('rel', 'noopener noreferrer');

	// Mute stops the tone at the peer, and the peer sees the muted mark.
	await alice.page.getByRole('button', { name: 'Microphone' }).click();
	await expect(alice.page.getByRole('button', { name: 'Microphone' })).toHaveAttribute(
		'aria-pressed',
		'false'
	);
	await expect(tile(bob.page, 'Alice').getByRole('img', { name: 'Microphone off' })).toBeVisible();
	await expect.poll(() => heard(bob, 'Alice'), { timeout: 20_000 }).toBeNull();
	await alice.page.keyboard.press('Control+d');
	await expect.poll(() => heard(bob, 'Alice'), { timeout: 20_000 }).toBeCloseTo(440, -1);

	// Camera off shows the avatar at the peer; on again brings the video back.
	await alice.page.getByRole('button', { name: 'Camera' }).click();
	await expect(
		tile(bob.page, 'Alice').getByRole('img', { name: "Alice's camera is off" })
	).toBeVisible();
	await alice.page.keyboard.press('Control+e');
	await expect(tile(bob.page, 'Alice').getByRole('img', { name: /camera is off/ })).toHaveCount(0);
	await expectVideoColor(bob.page, 'Alice', 'red');

	// Screen share replaces the camera at the peer; the browser's "Stop sharing" restores it.
	await alice.page.getByRole('button', { name: 'Share screen' }).click();
	await expect(alice.page.getByRole('button', { name: 'Share screen' })).toHaveAttribute(
		'aria-pressed',
		'true'
	);
	// A shared screen is shown large at the peer.
	const largeAtBob = bob.page.locator('figure[data-large="true"] figcaption');
	await expect(largeAtBob).toHaveText('Alice');
	const aliceAtBob = tile(bob.page, 'Alice').locator('video');
	await expect
		.poll(async () => dominantColor(await videoColor(aliceAtBob)), { timeout: 30_000 })
		.not.toBe('red');
	await expect
		.poll(() => aliceAtBob.evaluate((v: HTMLVideoElement) => v.videoWidth / v.videoHeight), {
			timeout: 30_000
		})
		.toBeCloseTo(16 / 9, 1);
	// What the browser does when its own "Stop sharing" bar is used: the capture track ends.
	await tile(alice.page, 'Alice (you)')
		.locator('video')
		.evaluate((v: HTMLVideoElement) => {
			const track = (v.srcObject as MediaStream).getVideoTracks()[0]!;
			track.stop();
			track.dispatchEvent(new Event('ended'));
		});
	await expect(alice.page.getByRole('button', { name: 'Share screen' })).toHaveAttribute(
		'aria-pressed',
		'false'
	);
	// Presence follows the browser's own control: the peer no longer shows Alice large.
	await expect(largeAtBob).toHaveCount(0);
	await expectVideoColor(bob.page, 'Alice', 'red');
});

test('a late joiner gets the whole chat and both videos; leaving and rejoining', async () => {
	// Carol's browser is open before the call starts, as a person's would be: starting a browser
	// while two others are in a video call is test setup, not what this test measures.
	const alice = await person('red', 440);
	const bob = await person('blue', 660);
	const carol = await person('green', 880);

	const link = await newMeeting(alice.page);
	await join(alice.page, link, 'Alice');
	await join(bob.page, link, 'Bob');
	await expectVideoColor(alice.page, 'Bob', 'blue');
	await sendChat(alice.page, 'Hello Bob, see https://example.org/notes');
	const markup = '<b>bold?</b> <img src=x onerror="document.title=1">';
	await sendChat(bob.page, markup);
	await expect(await chatLog(alice.page)).toContainText(markup);

	// A third person joins late. Before joining, she sees who is there; then the whole chat and
	// both videos arrive.
	await carol.page.goto(link);
	await expect(carol.page.getByRole('status').filter({ hasText: 'in this call' })).toHaveText(
		/^(Alice and Bob|Bob and Alice) are in this call$/
	);
	await join(carol.page, link, 'Carol');
	const carolLog = await chatLog(carol.page);
	await expect(carolLog).toContainText('Hello Bob, see https://example.org/notes');
	await expect(carolLog).toContainText(markup);
	await expectVideoColor(carol.page, 'Alice', 'red');
	await expectVideoColor(carol.page, 'Bob', 'blue');
	await expectVideoColor(alice.page, 'Carol', 'green');
	await expect.poll(() => heard(carol, 'Bob'), { timeout: 20_000 }).toBeCloseTo(660, -1);

	// Participants list shows everyone with their microphone and camera state.
	await carol.page.getByRole('button', { name: 'Participants' }).click();
	const list = carol.page.getByRole('region', { name: 'Participants' });
	await expect(list.getByRole('listitem')).toHaveCount(3);
	await expect(list).toContainText('Carol (you)');

	// Leaving removes the tile everywhere else and shows the left screen.
	await bob.page.getByRole('button', { name: 'Leave call' }).click();
	await expect(bob.page.getByRole('heading', { name: 'You left the meeting' })).toBeVisible();
	await expect(bob.page.getByRole('button', { name: 'Rejoin' })).toBeVisible();
	await expect(tile(alice.page, 'Bob')).toHaveCount(0);
	await expect(tile(carol.page, 'Bob')).toHaveCount(0);
	const stillLive = await bob.page.evaluate(() =>
		[...document.querySelectorAll('video')].some((v) =>
			(v.srcObject as MediaStream | null)?.getTracks().some((t) => t.readyState === 'live')
		)
	);
	expect(stillLive).toBe(false);

	// Rejoin brings Bob straight back into the call.
	await bob.page.getByRole('button', { name: 'Rejoin' }).click();
	await expectVideoColor(bob.page, 'Alice', 'red');
	await expectVideoColor(alice.page, 'Bob', 'blue');
});

test('alone: the chat survives a reload, and the home page lists the meeting', async () => {
	const alice = await person('yellow', 1100);
	const link = await newMeeting(alice.page);
	await join(alice.page, link, 'Alice');
	for (const text of ['first note', 'second note', 'third note']) await sendChat(alice.page, text);

	await alice.page.reload();
	await join(alice.page, link, 'Alice');
	const log = await chatLog(alice.page);
	await expect(log.getByRole('listitem')).toHaveText([/first note/, /second note/, /third note/]);

	await alice.page.getByRole('button', { name: 'Leave call' }).click();
	await alice.page.getByRole('button', { name: 'Return to home' }).click();
	const code = new URL(link).pathname.slice(1);
	const recent = alice.page.getByRole('region', { name: 'Recent meetings' });
	await expect(recent.getByRole('link', { name: code })).toBeVisible();
	await expect(recent).toContainText('3 messages');
});

test('a link without its key says so and offers a new meeting', async () => {
	const alice = await person('red', 440);
	await alice.page.goto('/');
	await alice.page
		.getByRole('textbox', { name: 'Meeting link' })
		.fill('http://x.test/abc-defg-hij');
	await alice.page.getByRole('button', { name: 'Join' }).click();
	await expect(alice.page.getByRole('alert')).toContainText('missing its key');

	await alice.page.goto('/abc-defg-hij');
	await expect(alice.page.getByRole('alert')).toContainText('missing its key');
	await alice.page.getByRole('button', { name: 'New meeting' }).click();
	await expect(alice.page.getByRole('button', { name: 'Join now' })).toBeVisible();
});

test('camera and microphone blocked: the person is told how to fix it and can still join and chat', async () => {
	// Without media permission Chromium hides host candidates behind mDNS names, which nothing
	// resolves in the loopback namespace; as in a real deployment, TURN gives the path.
	const relay = await startTurnRelay('all');
	stops.push(relay.stop);
	const blocked = await launchParticipant({
		extraArgs: ['--use-fake-ui-for-media-stream=deny'],
		baseURL: relay.url
	});
	people.push(blocked);
	await blocked.context.clearPermissions();
	const bob = await launchParticipant({ video: 'blue', tone: 660, baseURL: relay.url });
	people.push(bob);

	const link = await newMeeting(blocked.page);
	const alert = blocked.page.getByRole('alert');
	await expect(alert).toContainText('Camera and microphone are blocked for this site.');
	await expect(alert).toContainText('site settings');
	// The pickers say "blocked", not "No camera found".
	await expect(blocked.page.getByRole('combobox', { name: 'Choose camera' })).toContainText(
		'Camera blocked'
	);
	await expect(blocked.page.getByRole('combobox', { name: 'Choose microphone' })).toContainText(
		'Microphone blocked'
	);
	await expect(blocked.page.getByRole('button', { name: 'Camera' })).toHaveAttribute(
		'aria-pressed',
		'false'
	);
	await join(blocked.page, link, 'Dana');
	await join(bob.page, link, 'Bob');
	await expect(
		tile(bob.page, 'Dana').getByRole('img', { name: "Dana's camera is off" })
	).toBeVisible();
	await expect(tile(bob.page, 'Dana').getByRole('img', { name: 'Microphone off' })).toBeVisible();
	await expectVideoColor(blocked.page, 'Bob', 'blue');
	await sendChat(blocked.page, 'No camera here, but I can type');
	await expect(await chatLog(bob.page)).toContainText('No camera here, but I can type');

	// In the call, pressing "Camera" says again why it stays off, until dismissed.
	await blocked.page.getByRole('button', { name: 'Camera' }).click();
	const problem = blocked.page.getByRole('alert').filter({ hasText: 'site settings' });
	await expect(problem).toContainText(/Camera (and microphone )?(is|are) blocked for this site\./);
	await expect(blocked.page.getByRole('button', { name: 'Camera' })).toHaveAttribute(
		'aria-pressed',
		'false'
	);
	await problem.getByRole('button', { name: 'Dismiss' }).click();
	await expect(problem).toHaveCount(0);
});
