import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, delay, startRelay, TestClient, type TestRelay } from './helpers.js';

describe('PeerJS server protocol at /peerjs', () => {
	let relay: TestRelay;
	let socketUrl: (id: string, token: string, key?: string) => string;
	beforeAll(async () => {
		relay = await startRelay({
			PEERJS_EXPIRE_TIMEOUT_MS: '300',
			PEERJS_ALIVE_TIMEOUT_MS: '600',
			PEERJS_CONCURRENT_LIMIT: '20'
		});
		socketUrl = (id, token, key = 'peerjs') =>
			`${relay.ws}/peerjs/peerjs?key=${key}&id=${id}&token=${token}&version=1.5.5`;
	});
	afterAll(() => relay.close());

	/** Connects as `id` and waits for `OPEN`. */
	async function join(id: string, token = `tok${id}`): Promise<TestClient> {
		const client = await connect(socketUrl(id, token));
		expect(await client.next()).toEqual({ type: 'OPEN' });
		return client;
	}

	it('serves the banner and fresh ids as the PeerJS client requests them', async () => {
		const banner = await fetch(`${relay.http}/peerjs/`);
		expect(banner.status).toBe(200);
		expect(await banner.json()).toMatchObject({ name: 'PeerJS Server' });
		const ids = new Set<string>();
		for (let i = 0; i < 5; i++) {
			const response = await fetch(
				`${relay.http}/peerjs/peerjs/id?ts=${Date.now()}0.123&version=1.5.5`
			);
			expect(response.status).toBe(200);
			const id = await response.text();
			expect(id).toMatch(/^[A-Za-z0-9]+(?:[ _-][A-Za-z0-9]+)*$/);
			ids.add(id);
		}
		expect(ids.size).toBe(5);
	});

	it.each([
		['id', (url: string) => url.replace(/&id=[^&]*/, '')],
		['token', (url: string) => url.replace(/&token=[^&]*/, '')],
		['key', (url: string) => url.replace(/key=[^&]*&/, '')]
	])('answers ERROR and closes when %s is missing', async (_name, strip) => {
		const client = await connect(strip(socketUrl('missing1', 'tok')));
		expect(await client.next()).toEqual({
			type: 'ERROR',
			payload: { msg: 'No id, token, or key supplied to websocket server' }
		});
		expect((await client.closed).code).toBe(1008);
	});

	it('answers ERROR for a wrong key and for an id the client would not accept', async () => {
		const wrongKey = await connect(socketUrl('abc', 'tok', 'other'));
		expect(await wrongKey.next()).toEqual({
			type: 'ERROR',
			payload: { msg: 'Invalid key provided' }
		});
		await wrongKey.closed;
		const badId = await connect(socketUrl('-bad%20id-', 'tok'));
		expect(await badId.next()).toMatchObject({ type: 'ERROR' });
		await badId.closed;
		expect(relay.relay.stats.rejections('peerjs', 'invalid_key')).toBe(1);
		expect(relay.relay.stats.rejections('peerjs', 'invalid_id')).toBe(1);
	});

	it('answers ID-TAKEN for another token and re-attaches the same token', async () => {
		const first = await join('taken1', 'secret');
		const thief = await connect(socketUrl('taken1', 'guess'));
		expect(await thief.next()).toEqual({ type: 'ID-TAKEN', payload: { msg: 'ID is taken' } });
		await thief.closed;
		const again = await join('taken1', 'secret');
		expect((await first.closed).code).toBe(1000);
		const other = await join('taken1peer');
		other.send({ type: 'OFFER', dst: 'taken1', payload: { sdp: 'v=0', type: 'media' } });
		expect(await again.next()).toMatchObject({ type: 'OFFER', src: 'taken1peer' });
		await Promise.all([again.close(), other.close()]);
	});

	it('routes OFFER, ANSWER and CANDIDATE with src set by the relay', async () => {
		const alice = await join('alice');
		const bob = await join('bob');
		const payload = { sdp: 'v=0', type: 'media', connectionId: 'mc_1', browser: 'node' };
		alice.send({ type: 'OFFER', src: 'mallory', dst: 'bob', payload });
		expect(await bob.next()).toEqual({ type: 'OFFER', src: 'alice', dst: 'bob', payload });
		bob.send({ type: 'ANSWER', dst: 'alice', payload: { sdp: 'v=0', type: 'media' } });
		expect(await alice.next()).toMatchObject({ type: 'ANSWER', src: 'bob', dst: 'alice' });
		bob.send({ type: 'CANDIDATE', dst: 'alice', payload: { candidate: {}, connectionId: 'mc_1' } });
		expect(await alice.next()).toMatchObject({ type: 'CANDIDATE', src: 'bob' });
		alice.send({ type: 'HEARTBEAT' });
		alice.send({ type: 'LEAVE', dst: 'bob' });
		expect(await bob.next()).toEqual({ type: 'LEAVE', src: 'alice', dst: 'bob' });
		await alice.expectSilence(100);
		await Promise.all([alice.close(), bob.close()]);
	});

	it('ignores messages without a valid dst or payload', async () => {
		const carol = await join('carol');
		const dave = await join('dave');
		carol.send({ type: 'OFFER', dst: 'dave' });
		carol.send({ type: 'OFFER', dst: 'dave', payload: 'not an object' });
		carol.send({ type: 'OFFER', dst: 42, payload: {} });
		carol.send({ type: 'NOPE', dst: 'dave', payload: {} });
		carol.send([1, 2, 3]);
		await dave.expectSilence(150);
		expect(carol.socket.readyState).toBe(carol.socket.OPEN);
		await Promise.all([carol.close(), dave.close()]);
	});

	it('queues messages for an absent peer and delivers them after OPEN', async () => {
		const sender = await join('early');
		sender.send({ type: 'OFFER', dst: 'late', payload: { n: 1 } });
		sender.send({ type: 'CANDIDATE', dst: 'late', payload: { n: 2 } });
		await delay(50);
		const late = await connect(socketUrl('late', 'toklate'));
		expect(await late.next()).toEqual({ type: 'OPEN' });
		expect(await late.next()).toMatchObject({ type: 'OFFER', src: 'early', payload: { n: 1 } });
		expect(await late.next()).toMatchObject({ type: 'CANDIDATE', src: 'early', payload: { n: 2 } });
		await sender.expectSilence(400);
		await Promise.all([sender.close(), late.close()]);
	});

	it('answers EXPIRE once when queued messages wait longer than the expire timeout', async () => {
		const sender = await join('lonely');
		const started = Date.now();
		sender.send({ type: 'OFFER', dst: 'ghost', payload: {} });
		sender.send({ type: 'CANDIDATE', dst: 'ghost', payload: {} });
		expect(await sender.next()).toEqual({ type: 'EXPIRE', src: 'ghost', dst: 'lonely' });
		expect(Date.now() - started).toBeGreaterThanOrEqual(250);
		await sender.expectSilence(100);
		expect(relay.relay.gauges().queuedMessages).toBe(0);
		await sender.close();
	});

	it('removes a peer on LEAVE without dst', async () => {
		const leaver = await join('leaver');
		leaver.send({ type: 'LEAVE' });
		expect((await leaver.closed).code).toBe(1000);
		await join('leaver', 'a-new-token').then((client) => client.close());
	});

	it('drops a client that sends nothing for the alive timeout, keeps one that heartbeats', async () => {
		const silent = await join('silent');
		const chatty = await join('chatty');
		const timer = setInterval(() => chatty.send({ type: 'HEARTBEAT' }), 100);
		await silent.closed;
		clearInterval(timer);
		expect(chatty.socket.readyState).toBe(chatty.socket.OPEN);
		await chatty.close();
	});

	it('closes on binary (1003) and malformed JSON (1007)', async () => {
		const binary = await join('binary');
		binary.send(Buffer.from([1, 2, 3]));
		expect((await binary.closed).code).toBe(1003);
		const garbage = await join('garbage');
		garbage.send('garbage');
		expect((await garbage.closed).code).toBe(1007);
		expect(relay.relay.stats.rejections('peerjs', 'malformed_json')).toBe(1);
	});

	it('answers ERROR when the concurrent limit is reached', async () => {
		const clients: TestClient[] = [];
		while (relay.relay.gauges().peers < 20) clients.push(await join(`full${clients.length}`));
		const refused = await connect(socketUrl('onetoomany', 'tok'));
		expect(await refused.next()).toEqual({
			type: 'ERROR',
			payload: { msg: 'Server has reached its concurrent user limit' }
		});
		expect((await refused.closed).code).toBe(1013);
		await Promise.all(clients.map((client) => client.close()));
	});
});
