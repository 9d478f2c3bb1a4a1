// Two relay processes sharing one Redis: two people, each on a different relay (as a load balancer
// without sticky sessions would place them), meet as if there were one.
import { expect, test } from '@playwright/test';
import { chatLog, expectVideoColor, join, newMeeting, perTest, sendChat, tile } from './app.js';
import { peakFrequency, startRedis, startRelay } from './support/index.js';

const { cleanup, person } = perTest();

test('two people on two relays sharing one Redis see and hear each other and chat', async () => {
	const redis = await startRedis();
	cleanup.push(() => redis.stop());
	const relays = [];
	for (let i = 0; i < 2; i++) {
		const relay = await startRelay({ REDIS_URL: redis.url });
		cleanup.push(() => relay.stop());
		relays.push(relay);
	}
	const [relayA, relayB] = relays as [(typeof relays)[0], (typeof relays)[0]];
	for (const relay of relays) {
		await expect
			.poll(
				async () =>
					((await (await fetch(`${relay.url}/healthz`)).json()) as { backplane: string }).backplane
			)
			.toBe('up');
	}

	const alice = await person({ video: 'red', tone: 440, baseURL: relayA.url });
	const bob = await person({ video: 'blue', tone: 660, baseURL: relayB.url });
	const link = await newMeeting(alice.page);
	await join(alice.page, link, 'Alice');
	// The same meeting, through the other relay.
	const bobLink = link.replace(relayA.url, relayB.url);
	expect(bobLink).not.toBe(link);
	await join(bob.page, bobLink, 'Bob');

	await expectVideoColor(bob.page, 'Alice', 'red');
	await expectVideoColor(alice.page, 'Bob', 'blue');
	await expect
		.poll(() => peakFrequency(bob.page, tile(bob.page, 'Alice').locator('video')), {
			timeout: 20_000
		})
		.toBeCloseTo(440, -1);
	await expect
		.poll(() => peakFrequency(alice.page, tile(alice.page, 'Bob').locator('video')), {
			timeout: 20_000
		})
		.toBeCloseTo(660, -1);
	await sendChat(alice.page, 'Hello from relay A');
	await expect(await chatLog(bob.page)).toContainText('Hello from relay A');
	await sendChat(bob.page, 'Hello from relay B');
	await expect(await chatLog(alice.page)).toContainText('Hello from relay B');

	// The signaling went through Redis, both ways.
	for (const relay of relays) {
		const metrics = await (await fetch(`${relay.url}/metrics`)).text();
		const received = /^confer_relay_backplane_messages_total\{direction="in"\} (\d+)/m.exec(
			metrics
		);
		expect(Number(received?.[1])).toBeGreaterThan(0);
	}
});
