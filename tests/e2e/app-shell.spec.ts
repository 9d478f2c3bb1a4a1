// The app as an installable, accessible product: offline shell, axe scans, TURN through coturn.
import { expect, test } from '@playwright/test';
import { formatViolations, seriousViolations } from './support/index.js';
import {
	expectVideoColor,
	join,
	newMeeting,
	recordPeerConnections,
	selectedCandidateTypes,
	sendChat,
	startTurnRelay,
	perTest
} from './app.js';

const { cleanup, person } = perTest();

test('after the service worker is ready, home opens offline and lists recent meetings', async () => {
	const alice = await person({ video: 'red', tone: 440 });
	const { page, context } = alice;
	const link = await newMeeting(page);
	await join(page, link, 'Alice');
	await sendChat(page, 'remember this');
	await page.getByRole('button', { name: 'Leave call' }).click();
	await page.getByRole('button', { name: 'Return to home' }).click();
	await page.evaluate(async () => {
		await navigator.serviceWorker.ready;
	});
	await page.reload();
	await expect.poll(() => page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);

	await context.setOffline(true);
	await page.reload();
	await expect(page.getByRole('button', { name: 'New meeting' })).toBeVisible();
	const code = new URL(link).pathname.slice(1);
	const recent = page.getByRole('region', { name: 'Recent meetings' });
	await expect(recent.getByRole('link', { name: code })).toBeVisible();

	// The meeting itself opens offline too, with its chat from this device.
	await recent.getByRole('link', { name: code }).click();
	await join(page, link, 'Alice');
	await page.getByRole('button', { name: 'Chat' }).click();
	await expect(page.getByRole('log')).toContainText('remember this');
});

test('axe finds no serious or critical violations on home, the 404 page, prejoin and call', async () => {
	const alice = await person({ video: 'red', tone: 440 });
	const bob = await person({ video: 'blue', tone: 660 });
	const { page } = alice;
	await page.goto('/');
	await expect(page.getByRole('button', { name: 'New meeting' })).toBeVisible();
	let violations = await seriousViolations(page);
	expect(violations, formatViolations(violations)).toEqual([]);

	// A wrong address: a friendly page, and the way home.
	await page.goto('/no/such/page');
	await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
	violations = await seriousViolations(page);
	expect(violations, formatViolations(violations)).toEqual([]);
	await page.getByRole('link', { name: 'Go to the home page' }).click();
	await expect(page.getByRole('button', { name: 'New meeting' })).toBeVisible();

	const link = await newMeeting(page);
	await expect(page.getByRole('textbox', { name: 'Your name' })).toBeVisible();
	violations = await seriousViolations(page);
	expect(violations, formatViolations(violations)).toEqual([]);

	await join(page, link, 'Alice');
	await join(bob.page, link, 'Bob');
	await expectVideoColor(page, 'Bob', 'blue');
	await sendChat(page, 'Hello https://example.org');
	violations = await seriousViolations(page);
	expect(violations, formatViolations(violations)).toEqual([]);
	await page.getByRole('button', { name: 'Participants' }).click();
	violations = await seriousViolations(page);
	expect(violations, formatViolations(violations)).toEqual([]);
});

test('a call with iceTransportPolicy "relay" connects through coturn with the relay’s TURN credentials', async () => {
	const relay = await startTurnRelay('relay');
	cleanup.push(relay.stop);

	const alice = await person({ video: 'red', tone: 440, baseURL: relay.url });
	const bob = await person({ video: 'blue', tone: 660, baseURL: relay.url });
	await recordPeerConnections(alice.page);
	await recordPeerConnections(bob.page);
	const link = await newMeeting(alice.page);
	await join(alice.page, link, 'Alice');
	await join(bob.page, link, 'Bob');
	await expectVideoColor(bob.page, 'Alice', 'red');
	await expectVideoColor(alice.page, 'Bob', 'blue');

	// Both connections of each page (y-webrtc's data channel for the room document and the PeerJS media
	// call) use a relayed pair on both ends (typ relay). coturn hands out relay candidates only for
	// credentials it accepts (tools.spec.ts shows wrong ones get none), so this proves the relay's
	// TURN REST credentials too.
	await expect
		.poll(() => selectedCandidateTypes(bob.page), { timeout: 20_000 })
		.toEqual(['relay:relay', 'relay:relay']);
	await expect
		.poll(() => selectedCandidateTypes(alice.page), { timeout: 20_000 })
		.toEqual(['relay:relay', 'relay:relay']);
});

test('a call whose DTLS certificate is not the one announced in the room is refused', async () => {
	const alice = await person({ video: 'red', tone: 440 });
	const bob = await person({ video: 'blue', tone: 660 });
	// Bob's media connections use a certificate other than the one his device announces in the
	// room's awareness: what anyone splicing themselves into the PeerJS signaling would present.
	await bob.page.addInitScript(() => {
		const Native = window.RTCPeerConnection;
		window.RTCPeerConnection = class extends Native {
			constructor(config?: RTCConfiguration) {
				super(config && { ...config, certificates: undefined });
			}
		};
	});
	const link = await newMeeting(alice.page);
	await join(alice.page, link, 'Alice');
	await join(bob.page, link, 'Bob');

	// Both are in the room (the encrypted room channel works), but no media flows between them.
	await expect(alice.page.getByRole('figure', { name: 'Bob', exact: true })).toBeVisible();
	await expect(
		alice.page.getByRole('status').filter({ hasText: 'did not come from the participant' })
	).toBeVisible();
	const bobAtAlice = alice.page.getByRole('figure', { name: 'Bob', exact: true }).locator('video');
	expect(
		await bobAtAlice.evaluate((v: HTMLVideoElement) => v.srcObject === null || v.videoWidth === 0)
	).toBe(true);
});
