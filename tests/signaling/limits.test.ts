import { connect as netConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	connect,
	delay,
	refusedStatus,
	startRelay,
	until,
	type TestClient,
	type TestRelay
} from './helpers.js';

describe('origins', () => {
	let relay: TestRelay;
	beforeAll(async () => {
		relay = await startRelay();
	});
	afterAll(() => relay.close());

	it('allows no Origin, the own origin and localhost origins by default', async () => {
		const own = relay.http.replace('127.0.0.1', 'localhost');
		for (const origin of [
			undefined,
			relay.http,
			'http://localhost:5173',
			'https://localhost',
			'http://127.0.0.1:4173',
			'http://[::1]:8080'
		]) {
			const client = await connect(`${relay.ws}/yjs`, origin ? { origin } : {});
			await client.close();
		}
		const viaName = await connect(`${own.replace('http', 'ws')}/yjs`, { origin: own });
		await viaName.close();
	});

	it('refuses other origins with 403 before the upgrade and counts them', async () => {
		for (const origin of ['https://evil.example', 'null', 'http://localhost.evil.example']) {
			expect(await refusedStatus(`${relay.ws}/yjs`, { origin })).toBe(403);
		}
		expect(
			await refusedStatus(`${relay.ws}/peerjs/peerjs?key=peerjs&id=a&token=b`, {
				origin: 'https://evil.example'
			})
		).toBe(403);
		expect(relay.relay.stats.rejections('yjs', 'origin')).toBe(3);
		expect(relay.relay.stats.rejections('peerjs', 'origin')).toBe(1);
		const metrics = await (await fetch(`${relay.http}/metrics`)).text();
		expect(metrics).toContain('confer_relay_rejections_total{protocol="yjs",reason="origin"} 3');
	});

	it('replaces the localhost default with ALLOWED_ORIGINS and allows CORS for allowed pages', async () => {
		const custom = await startRelay({ ALLOWED_ORIGINS: 'https://meet.example.org' });
		try {
			await (await connect(`${custom.ws}/yjs`, { origin: 'https://meet.example.org' })).close();
			await (await connect(`${custom.ws}/yjs`, { origin: custom.http })).close();
			expect(await refusedStatus(`${custom.ws}/yjs`, { origin: 'http://localhost:5173' })).toBe(
				403
			);
			const allowed = await fetch(`${custom.http}/config.json`, {
				headers: { origin: 'https://meet.example.org' }
			});
			expect(allowed.headers.get('access-control-allow-origin')).toBe('https://meet.example.org');
			const other = await fetch(`${custom.http}/config.json`, {
				headers: { origin: 'https://evil.example' }
			});
			expect(other.headers.get('access-control-allow-origin')).toBeNull();
		} finally {
			await custom.close();
		}
	});

	it('refuses unknown WebSocket paths with 404', async () => {
		expect(await refusedStatus(`${relay.ws}/nope`)).toBe(404);
	});
});

describe('connection limits', () => {
	it('limits connections per IP and in total', async () => {
		const relay = await startRelay({ MAX_CONNECTIONS_PER_IP: '3', MAX_CONNECTIONS: '4' });
		try {
			const clients = await Promise.all([1, 2, 3].map(() => connect(`${relay.ws}/yjs`)));
			expect(await refusedStatus(`${relay.ws}/yjs`)).toBe(429);
			await clients[0]?.close();
			await until(() => relay.relay.gauges().connections.yjs === 2);
			clients[0] = await connect(`${relay.ws}/peerjs/peerjs?key=peerjs&id=x&token=y`);
			expect(relay.relay.stats.rejections('yjs', 'connections_per_ip')).toBe(1);
		} finally {
			await relay.close();
		}
		const total = await startRelay({ MAX_CONNECTIONS: '2' });
		try {
			const clients = await Promise.all([1, 2].map(() => connect(`${total.ws}/yjs`)));
			expect(await refusedStatus(`${total.ws}/yjs`)).toBe(503);
			expect(total.relay.stats.rejections('yjs', 'connections_total')).toBe(1);
			await Promise.all(clients.map((client) => client.close()));
		} finally {
			await total.close();
		}
	});

	it('counts X-Forwarded-For addresses separately only with TRUST_PROXY', async () => {
		const relay = await startRelay({ MAX_CONNECTIONS_PER_IP: '1', TRUST_PROXY: '1' });
		try {
			const a = await connect(`${relay.ws}/yjs`, { headers: { 'x-forwarded-for': '203.0.113.1' } });
			const b = await connect(`${relay.ws}/yjs`, {
				headers: { 'x-forwarded-for': '198.51.100.7, 203.0.113.2' }
			});
			expect(
				await refusedStatus(`${relay.ws}/yjs`, { headers: { 'x-forwarded-for': '203.0.113.2' } })
			).toBe(429);
			await Promise.all([a.close(), b.close()]);
		} finally {
			await relay.close();
		}
	});
});

describe('message limits', () => {
	let relay: TestRelay;
	beforeAll(async () => {
		relay = await startRelay({ MAX_TOPICS_PER_CONNECTION: '4', MAX_SUBSCRIBERS_PER_TOPIC: '3' });
	});
	afterAll(() => relay.close());

	it('closes with 1009 on frames over 64 KiB and accepts 64 KiB', async () => {
		const client = await connect(`${relay.ws}/yjs`);
		client.send({ type: 'subscribe', topics: ['big'] });
		const data = 'x'.repeat(65_536 - 80);
		client.send({ type: 'publish', topic: 'big', data });
		expect(await client.next()).toMatchObject({ topic: 'big', clients: 1 });
		client.send('"' + 'y'.repeat(65_536) + '"');
		expect((await client.closed).code).toBe(1009);
		expect(relay.relay.stats.rejections('yjs', 'frame_too_large')).toBe(1);
	});

	it('closes with 1003 on binary and 1007 on malformed JSON or invalid UTF-8', async () => {
		const binary = await connect(`${relay.ws}/yjs`);
		binary.send(Buffer.from('{"type":"ping"}'));
		expect((await binary.closed).code).toBe(1003);
		const malformed = await connect(`${relay.ws}/yjs`);
		malformed.send('not json{');
		expect((await malformed.closed).code).toBe(1007);
		const utf8 = await connect(`${relay.ws}/yjs`);
		utf8.socket.send(Buffer.from([0x22, 0xff, 0xfe, 0x22]), { binary: false });
		expect((await utf8.closed).code).toBe(1007);
		expect(relay.relay.stats.rejections('yjs', 'invalid_utf8')).toBe(1);
	});

	it('ignores valid JSON of the wrong shape without closing', async () => {
		const client = await connect(`${relay.ws}/yjs`);
		for (const message of [
			'null',
			'42',
			'"publish"',
			'[{"type":"ping"}]',
			'{"type":["ping"]}',
			'{"type":"subscribe","topics":"t"}',
			'{"type":"publish","topic":{"a":1},"data":1}',
			`{"type":"publish","topic":"${'t'.repeat(300)}","data":1}`,
			'{"type":"unsubscribe"}'
		]) {
			client.send(message);
		}
		client.send({ type: 'ping' });
		expect(await client.next()).toEqual({ type: 'pong' });
		await client.close();
	});

	it('closes with 1008 past MAX_TOPICS_PER_CONNECTION', async () => {
		const client = await connect(`${relay.ws}/yjs`);
		client.send({ type: 'subscribe', topics: ['a', 'b', 'c', 'd'] });
		client.send({ type: 'subscribe', topics: ['a', 'd'] });
		client.send({ type: 'ping' });
		expect(await client.next()).toEqual({ type: 'pong' });
		client.send({ type: 'subscribe', topics: ['e'] });
		expect((await client.closed).code).toBe(1008);
	});

	it('refuses subscribers past the room cap without disturbing the room', async () => {
		const members = await Promise.all([1, 2, 3, 4].map(() => connect(`${relay.ws}/yjs`)));
		for (const member of members) member.send({ type: 'subscribe', topics: ['capped'] });
		await delay(50);
		members[0]?.send({ type: 'publish', topic: 'capped', data: 'hi' });
		for (const member of members.slice(0, 3)) {
			expect(await member.next()).toMatchObject({ data: 'hi', clients: 3 });
		}
		await members[3]?.expectSilence(100);
		expect(relay.relay.stats.rejections('yjs', 'room_full')).toBe(1);
		await Promise.all(members.map((member) => member.close()));
	});
});

describe('rate limit', () => {
	it('allows a burst of 200 and 100 messages/s sustained, closes a flood with 1008', async () => {
		const relay = await startRelay();
		try {
			const steady = await connect(`${relay.ws}/yjs`);
			for (let i = 0; i < 195; i++) steady.send({ type: 'ping' });
			for (let second = 0; second < 2; second++) {
				for (let tick = 0; tick < 10; tick++) {
					await delay(100);
					for (let i = 0; i < 9; i++) steady.send({ type: 'ping' });
				}
			}
			await until(() => steady.received.length === 195 + 180);
			expect(steady.socket.readyState).toBe(steady.socket.OPEN);

			const flood = await connect(`${relay.ws}/peerjs/peerjs?key=peerjs&id=flood&token=t`);
			for (let i = 0; i < 400; i++) flood.send({ type: 'HEARTBEAT' });
			expect((await flood.closed).code).toBe(1008);
			expect(relay.relay.stats.rejections('peerjs', 'rate_limited')).toBe(1);
			await steady.close();
		} finally {
			await relay.close();
		}
	});
});

describe('slow consumers', () => {
	it('drops a receiver that does not read while the room keeps working', async () => {
		const relay = await startRelay({
			MAX_BUFFERED_BYTES: '262144',
			MESSAGE_RATE: '100000',
			MESSAGE_BURST: '100000'
		});
		try {
			const port = new URL(relay.http).port;
			const stalled = netConnect(Number(port), '127.0.0.1');
			stalled.on('error', () => undefined);
			stalled.write(
				'GET /yjs HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
					'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'
			);
			await new Promise((resolve) => stalled.once('data', resolve));
			const subscribe = Buffer.from(JSON.stringify({ type: 'subscribe', topics: ['slow'] }));
			const mask = Buffer.from([0, 0, 0, 0]);
			stalled.write(Buffer.concat([Buffer.from([0x81, 0x80 | subscribe.length]), mask, subscribe]));
			stalled.pause();
			const publisher: TestClient = await connect(`${relay.ws}/yjs`);
			publisher.send({ type: 'subscribe', topics: ['slow'] });
			await until(() => relay.relay.gauges().topics === 1);
			const data = 'z'.repeat(60_000);
			for (let i = 0; i < 600 && relay.relay.stats.rejections('yjs', 'slow_consumer') === 0; i++) {
				publisher.send({ type: 'publish', topic: 'slow', data });
				if (i % 20 === 19) await delay(10);
			}
			await until(() => relay.relay.stats.rejections('yjs', 'slow_consumer') === 1);
			publisher.received.length = 0;
			publisher.send({ type: 'ping' });
			await until(() => publisher.received.some((m) => (m as { type: string }).type === 'pong'));
			stalled.destroy();
			await publisher.close();
		} finally {
			await relay.close();
		}
	});
});
