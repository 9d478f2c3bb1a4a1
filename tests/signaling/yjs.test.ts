import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, delay, startRelay, TestClient, until, type TestRelay } from './helpers.js';

describe('y-webrtc signaling at /yjs', () => {
	let relay: TestRelay;
	beforeAll(async () => {
		relay = await startRelay({ KEEPALIVE_INTERVAL_MS: '200' });
	});
	afterAll(() => relay.close());

	it('forwards a publish to every subscriber, the sender included, with the subscriber count', async () => {
		const url = `${relay.ws}/yjs`;
		const [a, b, c] = await Promise.all([connect(url), connect(url), connect(url)]);
		a.send({ type: 'subscribe', topics: ['room-1'] });
		b.send({ type: 'subscribe', topics: ['room-1', 'room-2'] });
		c.send({ type: 'subscribe', topics: ['room-2'] });
		await delay(50);
		const data = { type: 'announce', from: 'peer-a', nested: { list: [1, 'two'] } };
		a.send({ type: 'publish', topic: 'room-1', data });
		const expected = { type: 'publish', topic: 'room-1', data, clients: 2 };
		expect(await a.next()).toEqual(expected);
		expect(await b.next()).toEqual(expected);
		await c.expectSilence();
		await Promise.all([a, b, c].map((client) => client.close()));
	});

	it('overrides a clients value sent by the publisher and keeps the rest of the message', async () => {
		const client = await connect(`${relay.ws}/yjs`);
		client.send({ type: 'subscribe', topics: ['spoof'] });
		client.send('{"type":"publish","topic":"spoof","data":[1],"clients":99,"extra":"x"}  \n');
		expect(await client.next()).toEqual({
			type: 'publish',
			topic: 'spoof',
			data: [1],
			clients: 1,
			extra: 'x'
		});
		await client.close();
	});

	it('answers ping with pong', async () => {
		const client = await connect(`${relay.ws}/yjs`);
		client.send({ type: 'ping' });
		expect(await client.next()).toEqual({ type: 'pong' });
		await client.close();
	});

	it('forwards encrypted (string) data unchanged and counts messages in and out', async () => {
		const client = await connect(`${relay.ws}/yjs`);
		client.send({ type: 'subscribe', topics: ['enc'] });
		const sentBefore = relay.relay.stats.traffic.yjs.messagesOut;
		client.send({ type: 'publish', topic: 'enc', data: 'AAdBRVMtR0NN/0b3a1c=' });
		expect(await client.next()).toEqual({
			type: 'publish',
			topic: 'enc',
			data: 'AAdBRVMtR0NN/0b3a1c=',
			clients: 1
		});
		expect(relay.relay.stats.traffic.yjs.messagesOut).toBe(sentBefore + 1);
		await client.close();
	});

	it('stops delivering after unsubscribe and forgets empty topics', async () => {
		const before = relay.relay.gauges().topics;
		const a = await connect(`${relay.ws}/yjs`);
		const b = await connect(`${relay.ws}/yjs`);
		a.send({ type: 'subscribe', topics: ['t-unsub'] });
		b.send({ type: 'subscribe', topics: ['t-unsub', 't-close'] });
		await until(() => relay.relay.gauges().topics === before + 2);
		b.send({ type: 'unsubscribe', topics: ['t-unsub'] });
		await delay(30);
		a.send({ type: 'publish', topic: 't-unsub', data: 1 });
		expect(await a.next()).toMatchObject({ clients: 1 });
		await b.expectSilence(100);
		a.send({ type: 'unsubscribe', topics: ['t-unsub'] });
		await until(() => relay.relay.gauges().topics === before + 1);
		b.close();
		await until(() => relay.relay.gauges().topics === before);
		await a.close();
	});

	it('ignores publishes to topics without subscribers and non-string topics in subscribe', async () => {
		const client = await connect(`${relay.ws}/yjs`);
		client.send({ type: 'publish', topic: 'nobody-here', data: 1 });
		client.send({ type: 'subscribe', topics: [42, null, { a: 1 }, 'ok-topic'] });
		await delay(30);
		client.send({ type: 'publish', topic: 'ok-topic', data: 2 });
		expect(await client.next()).toMatchObject({ topic: 'ok-topic', clients: 1 });
		expect(client.socket.readyState).toBe(client.socket.OPEN);
		await client.close();
	});

	it('treats prototype-pollution names as ordinary topics and keys', async () => {
		const client = await connect(`${relay.ws}/yjs`);
		client.send({ type: 'subscribe', topics: ['__proto__', 'constructor', 'hasOwnProperty'] });
		await delay(30);
		const text = '{"type":"publish","topic":"__proto__","data":{"__proto__":{"polluted":true}}}';
		client.send(text);
		const message = (await client.next()) as Record<string, unknown>;
		expect(message.topic).toBe('__proto__');
		expect(JSON.stringify(message.data)).toBe('{"__proto__":{"polluted":true}}');
		expect(({} as Record<string, unknown>).polluted).toBeUndefined();
		client.send({ type: 'publish', topic: 'constructor', data: 'x' });
		expect(await client.next()).toMatchObject({ topic: 'constructor', clients: 1 });
		await client.close();
	});

	it('drops a connection that stops answering WebSocket pings', async () => {
		const dead = new TestClient(`${relay.ws}/yjs`, { autoPong: false });
		await dead.opened();
		const alive = await connect(`${relay.ws}/yjs`);
		const started = Date.now();
		await dead.closed;
		expect(Date.now() - started).toBeLessThan(1500);
		expect(alive.socket.readyState).toBe(alive.socket.OPEN);
		expect(relay.relay.stats.rejections('yjs', 'keepalive_timeout')).toBeGreaterThan(0);
		await alive.close();
	});
});
