import { randomUUID } from 'node:crypto';
import type { RawData } from 'ws';
import type { RelayLimits } from './config.js';
import { CloseCode, type Connection } from './connection.js';
import { encodeTextFrame } from './frame.js';
import { PEERJS_KEY } from './ice.js';
import { stringifyOrNull, type JsonObject } from './json.js';
import type { RelayStats } from './stats.js';

/** Ids the PeerJS client accepts (peerjs 1.5 `util.validateId`), bounded in length by the relay. */
const ID_PATTERN = /^[A-Za-z0-9]+(?:[ _-][A-Za-z0-9]+)*$/;
/** Longest id or token accepted, characters (PeerJS ids are UUIDs, tokens about 11 characters). */
export const MAX_ID_LENGTH = 128;
/** Messages kept for one absent peer; more are refused with an immediate `EXPIRE`. */
export const MAX_QUEUED_PER_PEER = 64;
/** Bytes kept for all absent peers together. */
export const MAX_QUEUED_BYTES = 16 * 1024 * 1024;

/** Error texts of the `peer` 1.0.2 server (`src/enums.ts` `Errors`), which clients may show. */
export const PeerjsError = {
	invalidParameters: 'No id, token, or key supplied to websocket server',
	invalidKey: 'Invalid key provided',
	invalidId: 'Invalid id or token provided',
	serverFull: 'Server has reached its concurrent user limit'
} as const;

/**
 * Body of `GET /peerjs/`: the `peer` server's banner fields `name` and `description` (clients never
 * read it; it tells a person probing the path what answers there). No third-party URL: Confer's
 * relay names no outside host.
 */
export const PEERJS_BANNER = {
	name: 'PeerJS Server',
	description: "Confer's relay: brokers connections between PeerJS clients."
};

const OPEN_FRAME = encodeTextFrame(JSON.stringify({ type: 'OPEN' }));
const ID_TAKEN_FRAME = encodeTextFrame(
	JSON.stringify({ type: 'ID-TAKEN', payload: { msg: 'ID is taken' } })
);

class PeerRecord {
	readonly id: string;
	readonly token: string;
	conn: Connection;
	/** When the client last sent anything, ms since the Unix epoch. */
	lastSeen = Date.now();

	constructor(id: string, token: string, conn: Connection) {
		this.id = id;
		this.token = token;
		this.conn = conn;
	}
}

interface QueuedMessage {
	src: string;
	frame: Buffer;
}

interface PeerQueue {
	messages: QueuedMessage[];
	timer: NodeJS.Timeout;
}

function isPeerId(value: unknown): value is string {
	return typeof value === 'string' && value.length <= MAX_ID_LENGTH && ID_PATTERN.test(value);
}

function isObject(value: unknown): value is JsonObject {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The PeerJS server protocol as peerjs 1.5 clients expect it, with the `peer` 1.0.2 server's
 * documented behaviour as the reference: `OPEN` / `ERROR` / `ID-TAKEN` on connection (the same
 * token re-attaches an id, which is how `peer.reconnect()` works); `OFFER`, `ANSWER`, `CANDIDATE`,
 * `LEAVE` and `EXPIRE` routed to `dst` with `src` set by the relay; messages for an absent peer
 * queued for `peerjsExpireTimeoutMs`, then answered with `EXPIRE`; `HEARTBEAT` (or any message)
 * keeps a client alive for `peerjsAliveTimeoutMs`.
 */
export class PeerjsHub {
	readonly #peers = new Map<string, PeerRecord>();
	readonly #queues = new Map<string, PeerQueue>();
	readonly #limits: RelayLimits;
	readonly #stats: RelayStats;
	readonly #aliveCheck: NodeJS.Timeout;
	#queuedMessages = 0;
	#queuedBytes = 0;

	/** Starts the liveness check, which runs at least every 5 s. */
	constructor(stats: RelayStats, limits: RelayLimits) {
		this.#stats = stats;
		this.#limits = limits;
		const interval = Math.max(50, Math.min(5000, limits.peerjsAliveTimeoutMs / 4));
		this.#aliveCheck = setInterval(() => this.#dropSilent(), interval);
		this.#aliveCheck.unref();
	}

	/** Registered ids. */
	get peerCount(): number {
		return this.#peers.size;
	}

	/** Messages waiting for an absent peer. */
	get queuedMessages(): number {
		return this.#queuedMessages;
	}

	/** A fresh id for `GET /peerjs/peerjs/id`: a random UUID not currently registered. */
	newId(): string {
		let id = randomUUID();
		while (this.#peers.has(id)) id = randomUUID();
		return id;
	}

	/**
	 * Takes over an accepted `/peerjs/peerjs` connection: checks `key`, `id` and `token` from the
	 * query string, registers or re-attaches the id, answers `OPEN` and delivers queued messages.
	 */
	accept(conn: Connection, query: URLSearchParams): void {
		const id = query.get('id');
		const token = query.get('token');
		const key = query.get('key');
		if (!id || !token || !key) {
			this.#refuse(conn, 'missing_parameters', PeerjsError.invalidParameters);
			return;
		}
		if (key !== PEERJS_KEY) {
			this.#refuse(conn, 'invalid_key', PeerjsError.invalidKey);
			return;
		}
		if (!isPeerId(id) || token.length > MAX_ID_LENGTH) {
			this.#refuse(conn, 'invalid_id', PeerjsError.invalidId);
			return;
		}
		let peer = this.#peers.get(id);
		if (peer !== undefined && peer.token !== token) {
			conn.sendFrame(ID_TAKEN_FRAME);
			conn.reject('id_taken', CloseCode.policyViolation, 'ID is taken');
			return;
		}
		if (peer === undefined) {
			if (this.#peers.size >= this.#limits.peerjsConcurrentLimit) {
				this.#refuse(conn, 'server_full', PeerjsError.serverFull, CloseCode.tryAgainLater);
				return;
			}
			peer = new PeerRecord(id, token, conn);
			this.#peers.set(id, peer);
		} else {
			const previous = peer.conn;
			peer.conn = conn;
			peer.lastSeen = Date.now();
			if (previous.open) previous.ws.close(CloseCode.normal, 'replaced by a newer connection');
		}
		const record = peer;
		conn.ws.on('message', (data, isBinary) => this.#onMessage(record, conn, data, isBinary));
		conn.ws.on('close', () => {
			if (this.#peers.get(id)?.conn === conn) this.#peers.delete(id);
		});
		conn.sendFrame(OPEN_FRAME);
		this.#flush(record);
	}

	/** Stops the liveness check and drops every queued message. */
	close(): void {
		clearInterval(this.#aliveCheck);
		for (const queue of this.#queues.values()) clearTimeout(queue.timer);
		this.#queues.clear();
		this.#queuedMessages = 0;
		this.#queuedBytes = 0;
	}

	#refuse(
		conn: Connection,
		reason: 'missing_parameters' | 'invalid_key' | 'invalid_id' | 'server_full',
		msg: string,
		code: number = CloseCode.policyViolation
	): void {
		conn.sendFrame(encodeTextFrame(JSON.stringify({ type: 'ERROR', payload: { msg } })));
		conn.reject(reason, code, msg);
	}

	#onMessage(peer: PeerRecord, conn: Connection, data: RawData, isBinary: boolean): void {
		// `binaryType` is 'nodebuffer', so every message arrives as one Buffer.
		const bytes = data as Buffer;
		if (!conn.admit(bytes.length) || peer.conn !== conn) return;
		peer.lastSeen = Date.now();
		const message = conn.parse(bytes, isBinary);
		if (message === undefined) return;
		const type = message?.type;
		switch (type) {
			case 'HEARTBEAT':
				return;
			case 'OFFER':
			case 'ANSWER':
			case 'CANDIDATE':
				if (!isPeerId(message?.dst) || !isObject(message.payload)) break;
				this.#route(peer, type, message.dst, message.payload, true);
				return;
			case 'LEAVE':
			case 'EXPIRE':
				if (type === 'LEAVE' && message?.dst === undefined) {
					this.#peers.delete(peer.id);
					conn.ws.close(CloseCode.normal, 'left');
					return;
				}
				if (!isPeerId(message?.dst)) break;
				this.#route(peer, type, message.dst, message.payload, false);
				return;
		}
		conn.reject('invalid_message');
	}

	/**
	 * Sends `{type, src, dst, payload}` to `dst`, or queues it when `dst` is absent and `queue` is
	 * set (`LEAVE` and `EXPIRE` for an absent peer are dropped, as `peer` does).
	 */
	#route(peer: PeerRecord, type: string, dst: string, payload: unknown, queue: boolean): void {
		const text = stringifyOrNull({ type, src: peer.id, dst, payload });
		if (text === null) {
			peer.conn.reject('invalid_message');
			return;
		}
		const frame = encodeTextFrame(text);
		const target = this.#peers.get(dst);
		if (target !== undefined && target.conn.sendFrame(frame)) return;
		if (queue) this.#enqueue(peer, dst, frame);
	}

	#enqueue(peer: PeerRecord, dst: string, frame: Buffer): void {
		let queue = this.#queues.get(dst);
		if (
			(queue?.messages.length ?? 0) >= MAX_QUEUED_PER_PEER ||
			this.#queuedBytes + frame.length > MAX_QUEUED_BYTES
		) {
			peer.conn.reject('queue_full');
			peer.conn.sendFrame(expireFrame(dst, peer.id));
			return;
		}
		if (queue === undefined) {
			const timer = setTimeout(() => this.#expire(dst), this.#limits.peerjsExpireTimeoutMs);
			timer.unref();
			queue = { messages: [], timer };
			this.#queues.set(dst, queue);
		}
		queue.messages.push({ src: peer.id, frame });
		this.#queuedMessages += 1;
		this.#queuedBytes += frame.length;
	}

	#take(dst: string): QueuedMessage[] {
		const queue = this.#queues.get(dst);
		if (queue === undefined) return [];
		clearTimeout(queue.timer);
		this.#queues.delete(dst);
		for (const message of queue.messages) {
			this.#queuedMessages -= 1;
			this.#queuedBytes -= message.frame.length;
		}
		return queue.messages;
	}

	#flush(peer: PeerRecord): void {
		for (const message of this.#take(peer.id)) peer.conn.sendFrame(message.frame);
	}

	/** Drops a queue that waited `peerjsExpireTimeoutMs`; each sender gets one `EXPIRE`. */
	#expire(dst: string): void {
		const senders = new Set(this.#take(dst).map((message) => message.src));
		for (const src of senders) {
			this.#stats.reject('peerjs', 'expired');
			this.#peers.get(src)?.conn.sendFrame(expireFrame(dst, src));
		}
	}

	#dropSilent(): void {
		const deadline = Date.now() - this.#limits.peerjsAliveTimeoutMs;
		for (const [id, peer] of this.#peers) {
			if (peer.lastSeen >= deadline) continue;
			this.#peers.delete(id);
			peer.conn.reject('keepalive_timeout');
			peer.conn.ws.terminate();
		}
	}
}

/** `EXPIRE` as the `peer` server sends it: `src` is the unreachable peer, `dst` the sender. */
function expireFrame(unreachable: string, sender: string): Buffer {
	return encodeTextFrame(JSON.stringify({ type: 'EXPIRE', src: unreachable, dst: sender }));
}
