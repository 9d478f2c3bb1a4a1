import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { connect, delay, startRelay, until, type TestRelay } from './helpers.js';

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with the same SEED. */
function mulberry32(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const SEED = Number(process.env.FUZZ_SEED ?? 20_240_601);
const FRAMES = 10_000;
const WORKERS = 24;

type Frame = { data: string | Buffer; binary: boolean };

class Fuzzer {
	readonly random: () => number;
	constructor(seed: number) {
		this.random = mulberry32(seed);
	}
	int(max: number): number {
		return Math.floor(this.random() * max);
	}
	pick<T>(items: readonly T[]): T {
		return items[this.int(items.length)] as T;
	}
	string(max = 20): string {
		const alphabet = 'abcXYZ019 _-"\\{}[]:,\u00e9\u2603\ud83d\ude00\u0000\n';
		let text = '';
		for (let i = this.int(max); i > 0; i--) text += alphabet[this.int(alphabet.length)];
		return text;
	}
	/** A random JSON-able value of mixed types, `depth` levels deep at most. */
	value(depth = 3): unknown {
		const kind = this.int(depth > 0 ? 9 : 6);
		switch (kind) {
			case 0:
				return null;
			case 1:
				return this.random() < 0.5;
			case 2:
				return this.pick([0, -1, 1e308, -1e-308, 2 ** 53, 0.5]);
			case 3:
				return this.string();
			case 4:
				return this.pick(['subscribe', 'publish', 'ping', 'OFFER', 'LEAVE', 'HEARTBEAT']);
			case 5:
				return `fz${this.int(8)}`;
			case 6:
				return Array.from({ length: this.int(4) }, () => this.value(depth - 1));
			default: {
				const object: Record<string, unknown> = {};
				for (let i = this.int(4); i > 0; i--) {
					const key = this.pick([
						'type',
						'topics',
						'topic',
						'data',
						'dst',
						'src',
						'payload',
						'__proto__',
						'constructor',
						'prototype',
						this.string(6)
					]);
					object[key] = this.value(depth - 1);
				}
				return object;
			}
		}
	}
	nested(depth: number): string {
		return this.random() < 0.5
			? '['.repeat(depth) + ']'.repeat(depth)
			: '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
	}
	mutate(text: string): string {
		const chars = [...text];
		for (let i = 1 + this.int(4); i > 0; i--) {
			const at = this.int(chars.length + 1);
			const op = this.int(3);
			if (op === 0) chars.splice(at, 1);
			else if (op === 1) chars.splice(at, 0, this.pick(['"', '{', '}', ',', ':', '\\', 'x', '0']));
			else chars[at] = this.pick(['"', '[', ']', 'n', '1']);
		}
		return chars.join('');
	}
	validYjs(): Record<string, unknown> {
		return this.pick([
			{ type: 'subscribe', topics: [`fz${this.int(8)}`, `fz${this.int(8)}`] },
			{ type: 'unsubscribe', topics: [`fz${this.int(8)}`] },
			{ type: 'publish', topic: `fz${this.int(8)}`, data: this.value() },
			{ type: 'ping' }
		]);
	}
	validPeerjs(): Record<string, unknown> {
		return {
			type: this.pick(['OFFER', 'ANSWER', 'CANDIDATE', 'LEAVE', 'EXPIRE', 'HEARTBEAT']),
			dst: this.pick(['bob', 'alice', `fz${this.int(8)}`, '__proto__', 'constructor']),
			src: 'alice',
			payload: this.value()
		};
	}
	frame(peerjs: boolean): Frame {
		const valid = peerjs ? this.validPeerjs() : this.validYjs();
		const roll = this.int(100);
		const text = (data: string): Frame => ({ data, binary: false });
		if (roll < 30) return text(JSON.stringify(valid));
		if (roll < 50) return text(this.mutate(JSON.stringify(valid)));
		if (roll < 65)
			return text(JSON.stringify({ ...valid, [this.pick(Object.keys(valid))]: this.value() }));
		if (roll < 73) return text(JSON.stringify(this.value(4)));
		if (roll < 78) {
			const inner = this.nested(1000 + this.int(20_000));
			return text(
				this.random() < 0.5
					? inner
					: `{"type":"publish","topic":"fz1","dst":"bob","payload":${inner},"data":${inner}}`
			);
		}
		if (roll < 84) {
			return text(
				this.pick([
					'{"__proto__":{"polluted":true},"type":"subscribe","topics":["__proto__"]}',
					'{"type":"publish","topic":"__proto__","data":{"__proto__":{"polluted":true}}}',
					'{"constructor":{"prototype":{"polluted":true}},"type":"ping"}',
					'{"type":"OFFER","dst":"bob","payload":{"__proto__":{"polluted":true}}}',
					'{"type":"__proto__","topics":{"length":1e9}}'
				])
			);
		}
		if (roll < 90)
			return {
				data: Buffer.from(Array.from({ length: this.int(64) }, () => this.int(256))),
				binary: true
			};
		if (roll < 93) return { data: Buffer.from([0x7b, 0xc3, 0x28, 0xff, 0x7d]), binary: false };
		if (roll < 95) return text(`"${'o'.repeat(65_536 + this.int(1000))}"`);
		return text(this.string(40));
	}
}

describe('fuzz', () => {
	let relay: TestRelay;
	beforeAll(async () => {
		relay = await startRelay({ PEERJS_EXPIRE_TIMEOUT_MS: '500' });
	});
	afterAll(() => relay.close());

	it(`survives ${FRAMES} random and mutated frames while other rooms keep working (seed ${SEED})`, async () => {
		const yjsSub = await connect(`${relay.ws}/yjs`);
		const yjsPub = await connect(`${relay.ws}/yjs`);
		yjsSub.send({ type: 'subscribe', topics: ['observer-topic'] });
		yjsPub.send({ type: 'subscribe', topics: ['observer-topic'] });
		const peerUrl = (id: string, token: string) =>
			`${relay.ws}/peerjs/peerjs?key=peerjs&id=${id}&token=${token}`;
		const alice = await connect(peerUrl('alice', 'alice-token'));
		const bob = await connect(peerUrl('bob', 'bob-token'));
		expect(await alice.next()).toEqual({ type: 'OPEN' });
		expect(await bob.next()).toEqual({ type: 'OPEN' });
		await until(() => relay.relay.gauges().topics === 1);

		let sent = 0;
		const { yjs, peerjs } = relay.relay.stats.traffic;
		const observerMessages = () => 2 * published;
		/** Frames that reached the relay: handled messages plus those `ws` refused while parsing. */
		const arrived = () =>
			yjs.messagesIn +
			peerjs.messagesIn -
			observerMessages() +
			(['frame_too_large', 'invalid_utf8'] as const).reduce(
				(sum, reason) =>
					sum +
					relay.relay.stats.rejections('yjs', reason) +
					relay.relay.stats.rejections('peerjs', reason),
				0
			);
		let published = 0;
		let maxLatencyMs = 0;
		const sentAt = new Map<number, number>();
		yjsSub.socket.on('message', (data) => {
			const message = JSON.parse(String(data)) as { data?: { seq: number } };
			const at = sentAt.get(message.data?.seq ?? -1);
			if (at !== undefined) maxLatencyMs = Math.max(maxLatencyMs, performance.now() - at);
		});
		const observer = setInterval(() => {
			sentAt.set(published, performance.now());
			yjsPub.send({ type: 'publish', topic: 'observer-topic', data: { seq: published } });
			alice.send({ type: 'OFFER', dst: 'bob', payload: { seq: published } });
			published += 1;
		}, 10);

		const worker = async (index: number): Promise<void> => {
			const fuzzer = new Fuzzer(SEED + index);
			while (arrived() < FRAMES) {
				const peerjs = fuzzer.random() < 0.4;
				const id = fuzzer.pick(['alice', `fz${fuzzer.int(8)}`, `fz${index}w${sent}`]);
				const socket = new WebSocket(
					peerjs ? peerUrl(id, fuzzer.pick(['t', 'alice-token-guess'])) : `${relay.ws}/yjs`
				);
				socket.on('error', () => undefined);
				socket.on('message', () => undefined);
				const closed = new Promise((resolve) => socket.on('close', resolve));
				await new Promise((resolve) => socket.once('open', resolve).once('close', resolve));
				for (let budget = 10 + fuzzer.int(140); budget > 0 && arrived() < FRAMES; budget--) {
					if (socket.readyState !== WebSocket.OPEN) break;
					const { data, binary } = fuzzer.frame(peerjs);
					socket.send(data, { binary });
					sent += 1;
					if (budget % 8 === 0) await delay(1);
				}
				socket.close();
				await closed;
			}
		};
		await Promise.all(Array.from({ length: WORKERS }, (_, index) => worker(index)));
		clearInterval(observer);

		const received = (client: typeof yjsSub, seq: (m: Record<string, unknown>) => unknown) =>
			client.received
				.map((message) => message as Record<string, unknown>)
				.filter((message) => seq(message) !== undefined)
				.map(seq);
		const yjsSeq = (m: Record<string, unknown>) =>
			m.topic === 'observer-topic' ? (m.data as { seq: number }).seq : undefined;
		const peerSeq = (m: Record<string, unknown>) =>
			m.type === 'OFFER' && m.src === 'alice' ? (m.payload as { seq: number }).seq : undefined;
		const expected = Array.from({ length: published }, (_, seq) => seq);
		await until(() => received(bob, peerSeq).length === published, 5000);
		expect(received(bob, peerSeq)).toEqual(expected);
		await until(
			() => sentAt.size === published && received(yjsPub, yjsSeq).length === published,
			5000
		);
		expect(received(yjsPub, yjsSeq)).toEqual(expected);
		expect(arrived()).toBeGreaterThanOrEqual(FRAMES);
		expect(sent).toBeGreaterThanOrEqual(arrived());
		expect(published).toBeGreaterThan(20);
		expect(maxLatencyMs).toBeLessThan(1500);

		expect(({} as Record<string, unknown>).polluted).toBeUndefined();
		expect(Object.prototype).not.toHaveProperty('polluted');
		const health = await fetch(`${relay.http}/healthz`);
		expect(health.status).toBe(200);
		for (const reason of [
			'malformed_json',
			'binary',
			'invalid_message',
			'frame_too_large',
			'invalid_utf8'
		] as const) {
			expect(relay.relay.stats.rejections('yjs', reason), reason).toBeGreaterThan(0);
		}
		expect(relay.relay.stats.rejections('peerjs', 'id_taken')).toBeGreaterThan(0);
		await until(() => relay.relay.gauges().connections.yjs === 2);
		await Promise.all([yjsSub, yjsPub, alice, bob].map((client) => client.close()));
	});
});
