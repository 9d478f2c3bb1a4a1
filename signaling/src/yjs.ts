import type { RawData } from 'ws';
import { LocalBus, type Bus } from './backplane.js';
import type { RelayLimits } from './config.js';
import { CloseCode, type Connection } from './connection.js';
import { encodeTextFrame, framePayload } from './frame.js';

/** Longest topic accepted, UTF-16 code units. Confer's topics are 43 characters (base64url SHA-256). */
export const MAX_TOPIC_LENGTH = 256;

const CLOSING_BRACE = 0x7d;
const PONG_FRAME = encodeTextFrame(JSON.stringify({ type: 'pong' }));

/**
 * Bus messages on a topic's channel, by first byte: a publish (the message as sent to clients,
 * `clients` included), a relay's subscriber count, or a request that every relay tell its count.
 */
const BUS_PUBLISH = 0x50; // 'P'
const BUS_COUNT = 0x43; // 'C'
const BUS_ASK = 0x41; // 'A'
/**
 * Each relay tells its counts at least this often (ms), or every `keepaliveIntervalMs` if shorter;
 * a count not heard again for 3 times as long (a relay that died) lapses.
 */
export const COUNT_INTERVAL_MS = 5000;

/** The bus channel of a topic. The hash tag keeps each topic on one shard of a Redis Cluster. */
const topicChannel = (topic: string) => `confer:yjs:{${topic}}`;

class YjsClient {
	readonly conn: Connection;
	/** Created on the first subscription: idle connections stay small. */
	topics: Set<string> | null = null;
	/** Answered the last WebSocket ping (or sent something) since the previous sweep. */
	alive = true;

	constructor(conn: Connection) {
		this.conn = conn;
	}
}

function isTopic(value: unknown): value is string {
	return typeof value === 'string' && value.length > 0 && value.length <= MAX_TOPIC_LENGTH;
}

/**
 * The y-webrtc signaling protocol, with the semantics of y-webrtc 10.x's reference server
 * (`bin/server.js`): `subscribe` / `unsubscribe` with `topics: string[]`; `publish {topic, data}`
 * goes to every subscriber of the topic, the sender included, with `clients` set to the number of
 * subscribers; `{type:'ping'}` is answered `{type:'pong'}`. Unlike the reference it enforces the
 * topic and room limits, forgets empty topics at once, and frames each publish once for all receivers.
 */
export class YjsHub {
	readonly #topics = new Map<string, Set<YjsClient>>();
	readonly #clients = new Set<YjsClient>();
	readonly #limits: RelayLimits;
	readonly #keepalive: NodeJS.Timeout;
	readonly #bus: Bus;
	/** Subscribers of each topic on the other relays: topic → relay id → count and when heard. */
	readonly #remote = new Map<string, Map<string, { count: number; at: number }>>();
	readonly #announce: NodeJS.Timeout;
	readonly #countIntervalMs: number;

	/**
	 * Starts the keepalive sweep (a WebSocket ping every `keepaliveIntervalMs`) and, in a cluster,
	 * the periodic count announcements.
	 * @param bus how this relay reaches the others' subscribers (default: none, one process)
	 */
	constructor(limits: RelayLimits, bus: Bus = new LocalBus()) {
		this.#limits = limits;
		this.#bus = bus;
		this.#keepalive = setInterval(() => this.#sweep(), limits.keepaliveIntervalMs);
		this.#keepalive.unref();
		this.#countIntervalMs = Math.min(COUNT_INTERVAL_MS, limits.keepaliveIntervalMs);
		this.#announce = setInterval(() => this.#announceAll(), this.#countIntervalMs);
		this.#announce.unref();
		bus.onStateChange((state) => {
			if (state === 'up') this.#announceAll(true);
			else this.#remote.clear();
		});
	}

	/** Subscribers of `topic` on every relay. */
	subscriberCount(topic: string): number {
		let count = this.#topics.get(topic)?.size ?? 0;
		const remote = this.#remote.get(topic);
		if (remote === undefined) return count;
		const stale = Date.now() - 3 * this.#countIntervalMs;
		for (const [relay, entry] of remote) {
			if (entry.at < stale) remote.delete(relay);
			else count += entry.count;
		}
		return count;
	}

	/** Topics with at least one subscriber. */
	get topicCount(): number {
		return this.#topics.size;
	}

	/** Takes over an accepted `/yjs` connection until it closes. */
	accept(conn: Connection): void {
		const client = new YjsClient(conn);
		this.#clients.add(client);
		conn.ws.on('message', (data, isBinary) => this.#onMessage(client, data, isBinary));
		conn.ws.on('pong', () => {
			client.alive = true;
		});
		conn.ws.on('close', () => this.#remove(client));
	}

	/** Stops the keepalive sweep (connections are closed by the relay). */
	close(): void {
		clearInterval(this.#keepalive);
		clearInterval(this.#announce);
	}

	#onMessage(client: YjsClient, data: RawData, isBinary: boolean): void {
		// `binaryType` is 'nodebuffer', so every message arrives as one Buffer.
		const bytes = data as Buffer;
		const { conn } = client;
		client.alive = true;
		if (!conn.admit(bytes.length)) return;
		const message = conn.parse(bytes, isBinary);
		if (message === undefined) return;
		switch (message?.type) {
			case 'subscribe':
				this.#subscribe(client, message.topics);
				break;
			case 'unsubscribe':
				this.#unsubscribe(client, message.topics);
				break;
			case 'publish':
				this.#publish(client, message.topic, bytes);
				break;
			case 'ping':
				conn.sendFrame(PONG_FRAME);
				break;
			default:
				conn.reject('invalid_message');
		}
	}

	#subscribe(client: YjsClient, topics: unknown): void {
		const { conn } = client;
		if (!Array.isArray(topics)) {
			conn.reject('invalid_message');
			return;
		}
		const { maxTopicsPerConnection, maxSubscribersPerTopic } = this.#limits;
		for (const topic of topics) {
			if (!isTopic(topic)) {
				conn.reject('invalid_message');
				continue;
			}
			client.topics ??= new Set();
			if (client.topics.has(topic)) continue;
			if (client.topics.size >= maxTopicsPerConnection) {
				conn.reject('too_many_topics', CloseCode.policyViolation, 'too many topics');
				return;
			}
			// The room cap counts the subscribers on every relay.
			if (this.subscriberCount(topic) >= maxSubscribersPerTopic) {
				conn.reject('room_full');
				continue;
			}
			let subscribers = this.#topics.get(topic);
			if (subscribers === undefined) {
				subscribers = new Set();
				this.#topics.set(topic, subscribers);
				this.#bus.subscribe(topicChannel(topic), (body) => this.#onBus(topic, body));
				this.#bus.publish(topicChannel(topic), Buffer.from([BUS_ASK]));
			}
			subscribers.add(client);
			client.topics.add(topic);
			this.#announceCount(topic);
		}
	}

	#unsubscribe(client: YjsClient, topics: unknown): void {
		if (!Array.isArray(topics)) {
			client.conn.reject('invalid_message');
			return;
		}
		for (const topic of topics) {
			if (typeof topic === 'string' && client.topics?.delete(topic)) this.#leave(client, topic);
		}
	}

	/**
	 * Forwards the sender's message as it came, with `"clients":<subscribers>` appended as its last
	 * key (`JSON.parse` keeps the last of duplicate keys, ECMA-262 §25.5.1), like the reference
	 * server, which sets `clients` on the parsed message and re-serializes it per receiver. Splicing
	 * the received bytes skips re-serialization entirely; the frame is built once for all receivers.
	 *
	 * @param bytes the received message, already known to be a JSON object (so it ends with `}`).
	 */
	#publish(client: YjsClient, topic: unknown, bytes: Buffer): void {
		if (!isTopic(topic)) {
			client.conn.reject('invalid_message');
			return;
		}
		const subscribers = this.#topics.get(topic);
		if (subscribers === undefined) return;
		let end = bytes.length;
		while (bytes[end - 1] !== CLOSING_BRACE) end -= 1;
		const frame = encodeTextFrame(
			bytes.subarray(0, end - 1),
			`,"clients":${this.subscriberCount(topic)}}`
		);
		for (const subscriber of subscribers) subscriber.conn.sendFrame(frame);
		if (this.#bus.state === 'up') {
			// The other relays get the message as clients do (the frame's payload), once each.
			const payload = framePayload(frame);
			this.#bus.publish(topicChannel(topic), Buffer.concat([Buffer.from([BUS_PUBLISH]), payload]));
		}
	}

	/** A message on a topic's channel from another relay. */
	#onBus(topic: string, body: Buffer): void {
		const kind = body[0];
		if (kind === BUS_PUBLISH) {
			const subscribers = this.#topics.get(topic);
			if (subscribers === undefined) return;
			const frame = encodeTextFrame(body.subarray(1));
			for (const subscriber of subscribers) subscriber.conn.sendFrame(frame);
		} else if (kind === BUS_COUNT && body.length >= 5) {
			const relay = body.toString('latin1', 5);
			let remote = this.#remote.get(topic);
			if (remote === undefined) this.#remote.set(topic, (remote = new Map()));
			const count = body.readUInt32LE(1);
			if (count === 0) remote.delete(relay);
			else remote.set(relay, { count, at: Date.now() });
		} else if (kind === BUS_ASK) {
			this.#announceCount(topic);
		}
	}

	/** Tells the other relays how many subscribers `topic` has here. */
	#announceCount(topic: string): void {
		if (this.#bus.state !== 'up') return;
		const message = Buffer.alloc(5 + this.#bus.relayId.length);
		message[0] = BUS_COUNT;
		message.writeUInt32LE(this.#topics.get(topic)?.size ?? 0, 1);
		message.write(this.#bus.relayId, 5, 'latin1');
		this.#bus.publish(topicChannel(topic), message);
	}

	/** Tells every count again (periodically, and when the backplane returns, then asking too). */
	#announceAll(ask = false): void {
		if (this.#bus.state !== 'up') return;
		for (const topic of this.#topics.keys()) {
			this.#announceCount(topic);
			if (ask) this.#bus.publish(topicChannel(topic), Buffer.from([BUS_ASK]));
		}
	}

	#leave(client: YjsClient, topic: string): void {
		const subscribers = this.#topics.get(topic);
		if (subscribers === undefined) return;
		subscribers.delete(client);
		this.#announceCount(topic);
		if (subscribers.size === 0) {
			this.#topics.delete(topic);
			this.#remote.delete(topic);
			this.#bus.unsubscribe(topicChannel(topic));
		}
	}

	#remove(client: YjsClient): void {
		this.#clients.delete(client);
		if (client.topics === null) return;
		for (const topic of client.topics) this.#leave(client, topic);
		client.topics = null;
	}

	/** Drops connections that did not answer the previous ping, then pings the rest. */
	#sweep(): void {
		for (const client of this.#clients) {
			const { conn } = client;
			if (!conn.open) continue;
			if (!client.alive) {
				conn.reject('keepalive_timeout');
				conn.ws.terminate();
				continue;
			}
			client.alive = false;
			conn.ws.ping();
		}
	}
}
