import type { RawData } from 'ws';
import type { RelayLimits } from './config.js';
import { CloseCode, type Connection } from './connection.js';
import { encodeTextFrame } from './frame.js';

/** Longest topic accepted, UTF-16 code units. Confer's topics are 43 characters (base64url SHA-256). */
export const MAX_TOPIC_LENGTH = 256;

const CLOSING_BRACE = 0x7d;
const PONG_FRAME = encodeTextFrame(JSON.stringify({ type: 'pong' }));

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

	/** Starts the keepalive sweep: a WebSocket ping every `keepaliveIntervalMs`. */
	constructor(limits: RelayLimits) {
		this.#limits = limits;
		this.#keepalive = setInterval(() => this.#sweep(), limits.keepaliveIntervalMs);
		this.#keepalive.unref();
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
			let subscribers = this.#topics.get(topic);
			if (subscribers === undefined) {
				subscribers = new Set();
				this.#topics.set(topic, subscribers);
			} else if (subscribers.size >= maxSubscribersPerTopic) {
				conn.reject('room_full');
				continue;
			}
			subscribers.add(client);
			client.topics.add(topic);
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
		const frame = encodeTextFrame(bytes.subarray(0, end - 1), `,"clients":${subscribers.size}}`);
		for (const subscriber of subscribers) subscriber.conn.sendFrame(frame);
	}

	#leave(client: YjsClient, topic: string): void {
		const subscribers = this.#topics.get(topic);
		if (subscribers === undefined) return;
		subscribers.delete(client);
		if (subscribers.size === 0) this.#topics.delete(topic);
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
