// Several relays sharing rooms through a real Redis (Debian's redis-server): the same protocol
// tests run against one relay alone and against two and three relay processes, with clients spread
// across them; then what happens when a relay is killed and when Redis stops and comes back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	connect,
	delay,
	startRedis,
	startRelayProcess,
	type RelayProcess,
	type TestClient,
	type TestRedis
} from './helpers.js';

const LIMITS = {
	PEERJS_EXPIRE_TIMEOUT_MS: '600',
	PEERJS_ALIVE_TIMEOUT_MS: '1500',
	MAX_SUBSCRIBERS_PER_TOPIC: '3',
	KEEPALIVE_INTERVAL_MS: '1000'
};

let redis: TestRedis;
beforeAll(async () => {
	redis = await startRedis();
});
afterAll(() => redis.stop());

/** Starts `count` relays: alone without Redis when 1, else all on the test Redis. */
async function cluster(count: number): Promise<RelayProcess[]> {
	const env = count === 1 ? LIMITS : { ...LIMITS, REDIS_URL: redis.url };
	const relays = await Promise.all(Array.from({ length: count }, () => startRelayProcess(env)));
	if (count > 1) {
		for (const relay of relays) await backplane(relay, 'up');
	}
	return relays;
}

/** Waits until `/healthz` reports the backplane `state`. */
async function backplane(relay: RelayProcess, state: string, timeoutMs = 10_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const health = (await (await fetch(`${relay.http}/healthz`)).json()) as { backplane: string };
		if (health.backplane === state) return;
		if (Date.now() > deadline) throw new Error(`backplane ${health.backplane}, not ${state}`);
		await delay(50);
	}
}

const peerUrl = (relay: RelayProcess, id: string, token: string) =>
	`${relay.ws}/peerjs/peerjs?key=peerjs&id=${id}&token=${token}&version=1.5.5`;

/** Connects as PeerJS `id` to `relay` and waits for `OPEN`. */
async function peer(relay: RelayProcess, id: string, token = `tok${id}`): Promise<TestClient> {
	const client = await connect(peerUrl(relay, id, token));
	expect(await client.next()).toEqual({ type: 'OPEN' });
	return client;
}

/** A y-webrtc client on `relay` subscribed to `topic` (confirmed by a ping round trip). */
async function subscriber(relay: RelayProcess, topic: string): Promise<TestClient> {
	const client = await connect(`${relay.ws}/yjs`);
	client.send({ type: 'subscribe', topics: [topic] });
	client.send({ type: 'ping' });
	expect(await client.next()).toEqual({ type: 'pong' });
	return client;
}

describe.each([
	['one relay alone', 1],
	['two relays with Redis', 2],
	['three relays with Redis', 3]
])('%s', (_name, size) => {
	let relays: RelayProcess[];
	/** The relay for client number `i`: round robin, as a load balancer without stickiness. */
	const on = (i: number) => relays[i % relays.length] as RelayProcess;
	const last = () => relays[relays.length - 1] as RelayProcess;
	beforeAll(async () => {
		relays = await cluster(size);
	});
	afterAll(() => Promise.all(relays.map((relay) => relay.stop())));

	it('delivers a publish to every subscriber of the topic exactly once, with the count of all', async () => {
		const members = [];
		for (let i = 0; i < 3; i++) members.push(await subscriber(on(i), `room-${size}`));
		// Counts reach the other relays with their subscriptions.
		await delay(size > 1 ? 150 : 0);
		members[1]?.send({ type: 'publish', topic: `room-${size}`, data: { n: 1 } });
		for (const member of members) {
			expect(await member.next()).toEqual({
				type: 'publish',
				topic: `room-${size}`,
				data: { n: 1 },
				clients: 3
			});
		}
		for (const member of members) await member.expectSilence(150);
		await Promise.all(members.map((member) => member.close()));
	});

	it('keeps the room cap across relays', async () => {
		const members = [];
		for (let i = 0; i < 3; i++) members.push(await subscriber(on(i), `capped-${size}`));
		await delay(size > 1 ? 150 : 0);
		const extra = await subscriber(on(3), `capped-${size}`);
		members[0]?.send({ type: 'publish', topic: `capped-${size}`, data: 'hi' });
		for (const member of members) {
			expect(await member.next()).toMatchObject({ data: 'hi', clients: 3 });
		}
		await extra.expectSilence(150);
		await Promise.all([...members, extra].map((member) => member.close()));
	});

	it('routes OFFER, ANSWER and CANDIDATE between peers on different relays', async () => {
		const alice = await peer(relays[0] as RelayProcess, `alice${size}`);
		const bob = await peer(last(), `bob${size}`);
		alice.send({ type: 'OFFER', dst: `bob${size}`, payload: { sdp: 'o' } });
		expect(await bob.next()).toEqual({
			type: 'OFFER',
			src: `alice${size}`,
			dst: `bob${size}`,
			payload: { sdp: 'o' }
		});
		bob.send({ type: 'ANSWER', dst: `alice${size}`, payload: { sdp: 'a' } });
		bob.send({ type: 'CANDIDATE', dst: `alice${size}`, payload: { candidate: 'c' } });
		expect(await alice.next()).toMatchObject({ type: 'ANSWER', src: `bob${size}` });
		expect(await alice.next()).toMatchObject({ type: 'CANDIDATE', payload: { candidate: 'c' } });
		await Promise.all([alice.close(), bob.close()]);
	});

	it('answers ID-TAKEN on any relay, and re-attaches by token on another one', async () => {
		const first = await peer(relays[0] as RelayProcess, `carol${size}`, 'secret');
		const thief = await connect(peerUrl(last(), `carol${size}`, 'other'));
		expect(await thief.next()).toEqual({ type: 'ID-TAKEN', payload: { msg: 'ID is taken' } });
		expect((await thief.closed).code).toBe(1008);

		const again = await peer(last(), `carol${size}`, 'secret');
		// The older connection is let go, wherever it was.
		expect((await first.closed).code).toBe(1000);
		const dave = await peer(on(1), `dave${size}`);
		dave.send({ type: 'OFFER', dst: `carol${size}`, payload: { sdp: 'x' } });
		expect(await again.next()).toMatchObject({ type: 'OFFER', src: `dave${size}` });
		await Promise.all([again.close(), dave.close()]);
	});

	it('holds a message for a peer that is not there yet, wherever it arrives, then EXPIREs', async () => {
		const erin = await peer(relays[0] as RelayProcess, `erin${size}`);
		erin.send({ type: 'OFFER', dst: `frank${size}`, payload: { sdp: 'early' } });
		await delay(100);
		const frank = await peer(last(), `frank${size}`);
		expect(await frank.next()).toMatchObject({ type: 'OFFER', payload: { sdp: 'early' } });

		erin.send({ type: 'OFFER', dst: `nobody${size}`, payload: {} });
		expect(await erin.next(3000)).toEqual({
			type: 'EXPIRE',
			src: `nobody${size}`,
			dst: `erin${size}`
		});
		await Promise.all([erin.close(), frank.close()]);
	});
});

describe('failures', () => {
	it('a relay killed with SIGKILL: its clients move to another and go on; its ids are freed after the alive timeout', async () => {
		const [a, b] = await cluster(2);
		if (!a || !b) throw new Error('no cluster');
		try {
			const stay = await subscriber(a, 'survive');
			let moving = await subscriber(b, 'survive');
			const kept = await peer(a, 'keeper');
			let mover = await peer(b, 'mover', 'mine');
			await peer(b, 'orphan', 'gone');
			await b.kill();
			await moving.closed;
			await mover.closed;
			// They reconnect, through the load balancer, to the relay still there.
			moving = await subscriber(a, 'survive');
			mover = await peer(a, 'mover', 'mine');
			stay.send({ type: 'publish', topic: 'survive', data: 'on' });
			expect(await moving.next()).toMatchObject({ data: 'on' });
			expect(await stay.next()).toMatchObject({ data: 'on' });
			kept.send({ type: 'OFFER', dst: 'mover', payload: { sdp: 'again' } });
			expect(await mover.next()).toMatchObject({ type: 'OFFER', src: 'keeper' });
			// The dead relay's id stays taken until the alive timeout (1.5 s), then is free.
			const early = await connect(peerUrl(a, 'orphan', 'new'));
			expect(await early.next()).toEqual({ type: 'ID-TAKEN', payload: { msg: 'ID is taken' } });
			await delay(1_800);
			await (await peer(a, 'orphan', 'new')).close();
			await Promise.all([stay.close(), moving.close(), kept.close(), mover.close()]);
		} finally {
			await Promise.all([a.stop(), b.stop()]);
		}
	});

	it('Redis stopped: each relay serves its own clients, says so, and rejoins when Redis returns', async () => {
		const [a, b] = await cluster(2);
		if (!a || !b) throw new Error('no cluster');
		try {
			const here = await subscriber(a, 'outage');
			const there = await subscriber(b, 'outage');
			await redis.stop();
			await backplane(a, 'down');
			await backplane(b, 'down');
			const metrics = await (await fetch(`${a.http}/metrics`)).text();
			expect(metrics).toMatch(/^confer_relay_backplane_up 0$/m);
			// Alone, each relay still serves its own clients.
			const local = await subscriber(a, 'outage');
			here.send({ type: 'publish', topic: 'outage', data: 'alone' });
			expect(await here.next()).toMatchObject({ data: 'alone', clients: 2 });
			expect(await local.next()).toMatchObject({ data: 'alone' });
			await there.expectSilence(200);
			const alone = await peer(a, 'solo');

			await redis.start();
			await backplane(a, 'up');
			await backplane(b, 'up');
			await delay(300);
			there.send({ type: 'publish', topic: 'outage', data: 'together' });
			for (const member of [here, local, there]) {
				expect(await member.next()).toMatchObject({ data: 'together', clients: 3 });
			}
			// The id taken during the outage is known to the cluster again.
			const copy = await connect(peerUrl(b, 'solo', 'other'));
			expect(await copy.next()).toEqual({ type: 'ID-TAKEN', payload: { msg: 'ID is taken' } });
			expect(a.output().match(/Redis is unreachable/g)).toHaveLength(1);
			expect(a.output()).toContain('Redis is back');
			expect(await (await fetch(`${a.http}/metrics`)).text()).toMatch(
				/^confer_relay_backplane_messages_total\{direction="in"\} [1-9]/m
			);
			await Promise.all([here.close(), there.close(), local.close(), alone.close()]);
		} finally {
			await Promise.all([a.stop(), b.stop()]);
		}
	});
});
