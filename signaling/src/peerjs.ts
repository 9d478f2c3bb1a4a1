import { randomUUID } from 'node:crypto';
import type { RawData } from 'ws';
import { LocalBus, LocalPeerRegistry, type Bus, type PeerRegistry } from './backplane.js';
import type { RelayLimits } from './config.js';
import { CloseCode, type Connection } from './connection.js';
import { encodeTextFrame, framePayload } from './frame.js';
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

/** Bus channel of one relay: messages forwarded to its peers, and ids it must let go. */
const relayChannel = (relayId: string) => `confer:peerjs:relay:{${relayId}}`;
/** Bus channel every relay listens on: an id just registered somewhere (queued messages follow it). */
const ARRIVALS = 'confer:peerjs:arrivals';
/** Bus messages, by first byte: a frame for a peer, an id moved away, an id arrived. */
const BUS_FORWARD = 0x46; // 'F' src \n dst \n frame payload
const BUS_DETACH = 0x44; // 'D' id \n token
const BUS_ARRIVED = 0x52; // 'R' relay \n id

function busMessage(kind: number, ...parts: (string | Buffer)[]): Buffer {
	const chunks: Buffer[] = [Buffer.from([kind])];
	parts.forEach((part, i) => {
		if (i > 0) chunks.push(Buffer.from('\n'));
		chunks.push(typeof part === 'string' ? Buffer.from(part, 'utf8') : part);
	});
	return Buffer.concat(chunks);
}

/** Splits a bus message's body after its first byte into `count` parts (the last may hold `\n`). */
function busParts(body: Buffer, count: number): Buffer[] {
	const parts: Buffer[] = [];
	let start = 1;
	for (let i = 1; i < count; i++) {
		const end = body.indexOf(0x0a, start);
		if (end === -1) return [];
		parts.push(body.subarray(start, end));
		start = end + 1;
	}
	parts.push(body.subarray(start));
	return parts;
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
	readonly #bus: Bus;
	readonly #registry: PeerRegistry;
	#queuedMessages = 0;
	#queuedBytes = 0;

	/**
	 * Starts the liveness check, which runs at least every 5 s (and renews this relay's claims in
	 * the registry).
	 * @param bus how messages reach peers on other relays (default: none, one process)
	 * @param registry which ids are taken, cluster-wide (default: this process's)
	 */
	constructor(
		stats: RelayStats,
		limits: RelayLimits,
		bus: Bus = new LocalBus(),
		registry: PeerRegistry = new LocalPeerRegistry()
	) {
		this.#stats = stats;
		this.#limits = limits;
		this.#bus = bus;
		this.#registry = registry;
		const interval = Math.max(50, Math.min(5000, limits.peerjsAliveTimeoutMs / 4));
		this.#aliveCheck = setInterval(() => this.#dropSilent(), interval);
		this.#aliveCheck.unref();
		bus.subscribe(relayChannel(bus.relayId), (body) => this.#onRelayMessage(body));
		bus.subscribe(ARRIVALS, (body) => this.#onArrival(body));
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
		void this.#register(conn, id, token);
	}

	/** Claims `id` in the registry, then registers or re-attaches it here. */
	async #register(conn: Connection, id: string, token: string): Promise<void> {
		const claim = await this.#registry.claim(id, token);
		if (!conn.open) {
			if (claim.result !== 'taken' && !this.#peers.has(id)) this.#registry.release(id, token);
			return;
		}
		if (claim.result === 'taken') {
			conn.sendFrame(ID_TAKEN_FRAME);
			conn.reject('id_taken', CloseCode.policyViolation, 'ID is taken');
			return;
		}
		let peer = this.#peers.get(id);
		if (peer === undefined) {
			if (this.#peers.size >= this.#limits.peerjsConcurrentLimit) {
				this.#registry.release(id, token);
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
		if (claim.result === 'reattached' && claim.previousRelay !== this.#bus.relayId) {
			this.#bus.publish(relayChannel(claim.previousRelay), busMessage(BUS_DETACH, id, token));
		}
		const record = peer;
		conn.ws.on('message', (data, isBinary) => this.#onMessage(record, conn, data, isBinary));
		conn.ws.on('close', () => {
			if (this.#peers.get(id)?.conn !== conn) return;
			this.#peers.delete(id);
			this.#registry.release(id, token);
		});
		conn.sendFrame(OPEN_FRAME);
		this.#flush(record);
		this.#bus.publish(ARRIVALS, busMessage(BUS_ARRIVED, this.#bus.relayId, id));
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
					this.#registry.release(peer.id, peer.token);
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
	 * Sends `{type, src, dst, payload}` to `dst`: here, on the relay that holds it, or into the
	 * queue when `dst` is absent and `queue` is set (`LEAVE` and `EXPIRE` for an absent peer are
	 * dropped, as `peer` does).
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
		if (this.#bus.state !== 'up') {
			if (queue) this.#enqueue(peer.id, dst, frame);
			return;
		}
		void this.#registry.locate(dst).then((relay) => {
			if (relay !== null && relay !== this.#bus.relayId) {
				this.#forward(relay, peer.id, dst, frame);
			} else if (queue) {
				// Registered here meanwhile, or nowhere yet: as for a peer of this relay.
				const local = this.#peers.get(dst);
				if (local === undefined || !local.conn.sendFrame(frame)) this.#enqueue(peer.id, dst, frame);
			}
		});
	}

	/** Hands a frame for `dst` to the relay that holds it. */
	#forward(relay: string, src: string, dst: string, frame: Buffer): void {
		this.#bus.publish(relayChannel(relay), busMessage(BUS_FORWARD, src, dst, framePayload(frame)));
	}

	/** Sends `frame` to `id` here or on its relay; an absent peer does not get it. */
	#deliver(id: string, frame: Buffer): void {
		const local = this.#peers.get(id);
		if (local !== undefined) {
			local.conn.sendFrame(frame);
			return;
		}
		if (this.#bus.state !== 'up') return;
		void this.#registry.locate(id).then((relay) => {
			if (relay !== null && relay !== this.#bus.relayId) this.#forward(relay, '', id, frame);
		});
	}

	/** A message on this relay's channel: a frame for one of its peers, or an id that moved away. */
	#onRelayMessage(body: Buffer): void {
		if (body[0] === BUS_FORWARD) {
			const [src, dst, payload] = busParts(body, 3);
			if (src === undefined || dst === undefined || payload === undefined) return;
			const frame = encodeTextFrame(payload);
			const id = dst.toString('utf8');
			const target = this.#peers.get(id);
			if (target !== undefined && target.conn.sendFrame(frame)) return;
			// It left this relay meanwhile: the message waits for it as for any absent peer.
			if (src.length > 0) this.#enqueue(src.toString('utf8'), id, frame);
		} else if (body[0] === BUS_DETACH) {
			const [id, token] = busParts(body, 2).map((part) => part.toString('utf8'));
			const peer = id === undefined ? undefined : this.#peers.get(id);
			if (peer === undefined || peer.token !== token) return;
			// The client re-attached on another relay, which holds the id now.
			this.#peers.delete(peer.id);
			if (peer.conn.open) peer.conn.ws.close(CloseCode.normal, 'moved to another relay');
		}
	}

	/** An id registered on some relay: messages queued here for it go there. */
	#onArrival(body: Buffer): void {
		if (body[0] !== BUS_ARRIVED) return;
		const [relay, id] = busParts(body, 2).map((part) => part.toString('utf8'));
		if (relay === undefined || id === undefined || relay === this.#bus.relayId) return;
		for (const message of this.#take(id)) this.#forward(relay, message.src, id, message.frame);
	}

	/** Keeps `frame` from `src` for the absent `dst`, for `peerjsExpireTimeoutMs`. */
	#enqueue(src: string, dst: string, frame: Buffer): void {
		let queue = this.#queues.get(dst);
		if (
			(queue?.messages.length ?? 0) >= MAX_QUEUED_PER_PEER ||
			this.#queuedBytes + frame.length > MAX_QUEUED_BYTES
		) {
			const sender = this.#peers.get(src);
			if (sender !== undefined) sender.conn.reject('queue_full');
			else this.#stats.reject('peerjs', 'queue_full');
			this.#deliver(src, expireFrame(dst, src));
			return;
		}
		if (queue === undefined) {
			const timer = setTimeout(() => this.#expire(dst), this.#limits.peerjsExpireTimeoutMs);
			timer.unref();
			queue = { messages: [], timer };
			this.#queues.set(dst, queue);
		}
		queue.messages.push({ src, frame });
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
			this.#deliver(src, expireFrame(dst, src));
		}
	}

	/** Drops the clients silent for longer than the alive timeout, and renews the others' claims. */
	#dropSilent(): void {
		const deadline = Date.now() - this.#limits.peerjsAliveTimeoutMs;
		for (const [id, peer] of this.#peers) {
			if (peer.lastSeen >= deadline) continue;
			this.#peers.delete(id);
			this.#registry.release(id, peer.token);
			peer.conn.reject('keepalive_timeout');
			peer.conn.ws.terminate();
		}
		this.#registry.refresh(this.#peers.values());
	}
}

/** `EXPIRE` as the `peer` server sends it: `src` is the unreachable peer, `dst` the sender. */
function expireFrame(unreachable: string, sender: string): Buffer {
	return encodeTextFrame(JSON.stringify({ type: 'EXPIRE', src: unreachable, dst: sender }));
}
