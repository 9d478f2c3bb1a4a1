import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';

/**
 * How this relay shares rooms with others: `local` (one process, no backplane), `up` (in a cluster
 * through Redis) or `down` (Redis unreachable: serving its own clients alone until it returns).
 */
export type BackplaneState = 'local' | 'up' | 'down';

/** Called with each message another relay published on a channel this relay subscribed to. */
export type BusHandler = (payload: Buffer) => void;

/**
 * Publish/subscribe between the relays of a cluster (signaling/README.md, "Several relays"). A
 * relay never receives its own messages. Delivery is best effort: nothing is queued while the
 * backplane is down.
 */
export interface Bus {
	/** This relay's id in the cluster (random per process). */
	readonly relayId: string;
	readonly state: BackplaneState;
	/** Subscribes to `channel`; one handler per channel. */
	subscribe(channel: string, handler: BusHandler): void;
	unsubscribe(channel: string): void;
	publish(channel: string, payload: Buffer): void;
	/** Called on every change of {@link state}, and once the backplane is up again. */
	onStateChange(listener: (state: BackplaneState) => void): void;
	/** Messages and latency so far, for `/metrics`. */
	readonly counts: BusCounts;
	close(): Promise<void>;
}

/** Backplane traffic, for `/metrics`. Latency is publish → receive, by the senders' clocks. */
export class BusCounts {
	messagesIn = 0;
	messagesOut = 0;
	/** Set by the metrics registry: records one latency (s). */
	observeLatency: (seconds: number) => void = () => {};

	/** Records one received message sent at `sentAt` (ms since the epoch). */
	received(sentAt: number): void {
		this.messagesIn += 1;
		this.observeLatency(Math.max(0, Date.now() - sentAt) / 1000);
	}
}

/** The result of claiming a PeerJS id, and the relay that held it before (a re-attach). */
export type Claim =
	{ result: 'new' } | { result: 'reattached'; previousRelay: string } | { result: 'taken' };

/**
 * Which PeerJS ids are in use, and on which relay: one source of truth for ID-TAKEN and re-attach
 * by token, whichever relay a client lands on.
 */
export interface PeerRegistry {
	/** Claims `id` for `token` on this relay. */
	claim(id: string, token: string): Promise<Claim>;
	/** The relay holding `id` now, or null when none does. */
	locate(id: string): Promise<string | null>;
	/** Gives `id` up, if this relay still holds it for `token`. */
	release(id: string, token: string): void;
	/** Keeps this relay's claims alive; a claim not refreshed lapses after the alive timeout. */
	refresh(claims: Iterable<{ id: string; token: string }>): void;
}

/** The bus of a relay on its own: there is no one to talk to. */
export class LocalBus implements Bus {
	readonly relayId = 'local';
	readonly state: BackplaneState = 'local';
	readonly counts = new BusCounts();
	subscribe(): void {}
	unsubscribe(): void {}
	publish(): void {}
	onStateChange(): void {}
	async close(): Promise<void> {}
}

/** Ids held by this process, for {@link LocalBus}, and by a Redis registry while Redis is down. */
export class LocalPeerRegistry implements PeerRegistry {
	readonly #tokens = new Map<string, string>();
	readonly #relayId: string;

	constructor(relayId = 'local') {
		this.#relayId = relayId;
	}

	async claim(id: string, token: string): Promise<Claim> {
		return this.claimNow(id, token);
	}

	/** {@link claim} without waiting. */
	claimNow(id: string, token: string): Claim {
		const held = this.#tokens.get(id);
		if (held !== undefined && held !== token) return { result: 'taken' };
		this.#tokens.set(id, token);
		return held === undefined
			? { result: 'new' }
			: { result: 'reattached', previousRelay: this.#relayId };
	}

	async locate(id: string): Promise<string | null> {
		return this.#tokens.has(id) ? this.#relayId : null;
	}

	release(id: string, token: string): void {
		if (this.#tokens.get(id) === token) this.#tokens.delete(id);
	}

	refresh(): void {}

	/** Every id held, with its token. */
	entries(): IterableIterator<[string, string]> {
		return this.#tokens.entries();
	}
}

/** Header of a bus message: format byte, sender's relay id (36 ASCII bytes), send time (ms, f64). */
const HEADER = 1 + 36 + 8;
const FORMAT = 1;

/**
 * A message on the bus: `body` prefixed with the sender's relay id and the send time, so that a
 * relay skips its own messages and measures the backplane's latency.
 */
export function envelope(relayId: string, body: Buffer): Buffer {
	const message = Buffer.allocUnsafe(HEADER + body.length);
	message[0] = FORMAT;
	message.write(relayId.padEnd(36).slice(0, 36), 1, 'latin1');
	message.writeDoubleLE(Date.now(), 37);
	body.copy(message, HEADER);
	return message;
}

/** Reads an {@link envelope}; null when it is not one. */
export function openEnvelope(
	message: Buffer
): { relayId: string; sentAt: number; body: Buffer } | null {
	if (message.length < HEADER || message[0] !== FORMAT) return null;
	return {
		relayId: message.toString('latin1', 1, 37).trimEnd(),
		sentAt: message.readDoubleLE(37),
		body: message.subarray(HEADER)
	};
}

/** Key of a PeerJS id's claim in Redis: `{relay, token}` as JSON, expiring after the alive timeout. */
const peerKey = (id: string) => `confer:peer:${id}`;

/**
 * Claims an id atomically: free → ours ("new"); held with the same token → moved to this relay
 * ("reattached", with the relay that held it); else "taken". KEYS[1] the claim; ARGV: token, this
 * relay's id, expiry (ms).
 */
const CLAIM_SCRIPT = `
local held = redis.call('GET', KEYS[1])
if held then
	local claim = cjson.decode(held)
	if claim.token ~= ARGV[1] then return 'taken' end
	redis.call('SET', KEYS[1], cjson.encode({token = ARGV[1], relay = ARGV[2]}), 'PX', ARGV[3])
	return 'reattached:' .. claim.relay
end
redis.call('SET', KEYS[1], cjson.encode({token = ARGV[1], relay = ARGV[2]}), 'PX', ARGV[3])
return 'new'`;

/** Deletes a claim only if this relay still holds it with this token. */
const RELEASE_SCRIPT = `
local held = redis.call('GET', KEYS[1])
if held then
	local claim = cjson.decode(held)
	if claim.token == ARGV[1] and claim.relay == ARGV[2] then redis.call('DEL', KEYS[1]) end
end
return 0`;

/** Extends claims this relay holds (each KEYS[i] with ARGV[i + 2] its token); ARGV[1] expiry, ARGV[2] relay. */
const REFRESH_SCRIPT = `
for i, key in ipairs(KEYS) do
	local held = redis.call('GET', key)
	if held then
		local claim = cjson.decode(held)
		if claim.relay == ARGV[2] and claim.token == ARGV[i + 2] then redis.call('PEXPIRE', key, ARGV[1]) end
	else
		redis.call('SET', key, cjson.encode({token = ARGV[i + 2], relay = ARGV[2]}), 'PX', ARGV[1])
	end
end
return 0`;

type Client = ReturnType<typeof createClient>;

/**
 * The Redis backplane (node-redis): sharded pub/sub (`SSUBSCRIBE` / `SPUBLISH`, Redis 7) for the
 * bus, and one expiring key per PeerJS id for the registry. Two connections: one subscribed, one for
 * commands. While Redis is unreachable, commands fail at once (no offline queue), the relay serves
 * its own clients alone, and it logs the outage once; node-redis reconnects, re-subscribes, and the
 * registry writes this relay's claims back.
 */
export class RedisBackplane implements Bus, PeerRegistry {
	readonly relayId = randomUUID();
	readonly counts = new BusCounts();
	#state: BackplaneState = 'down';
	readonly #commands: Client;
	readonly #subscriber: Client;
	readonly #handlers = new Map<string, BusHandler>();
	readonly #listeners: ((state: BackplaneState) => void)[] = [];
	/** Claims of this relay's clients, kept also while Redis is down. */
	readonly #local: LocalPeerRegistry;
	readonly #claimTtlMs: number;
	readonly #log: (message: string) => void;
	#closed = false;

	/**
	 * @param url `redis://host:port` (`REDIS_URL`)
	 * @param claimTtlMs how long a PeerJS claim lives without a refresh: the alive timeout
	 * @param log where the outage and the return are told (once each)
	 */
	constructor(url: string, claimTtlMs: number, log: (message: string) => void = console.log) {
		this.#local = new LocalPeerRegistry(this.relayId);
		this.#claimTtlMs = claimTtlMs;
		this.#log = log;
		const options = {
			url,
			disableOfflineQueue: true,
			pingInterval: 1000,
			socket: {
				connectTimeout: 2000,
				reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000)
			}
		};
		this.#commands = createClient(options);
		this.#subscriber = createClient(options);
		// Not there at start either: said once, as for an outage later.
		setTimeout(() => {
			if (this.#state !== 'up') this.#tellDown();
		}, 2000).unref();
		for (const client of [this.#commands, this.#subscriber]) {
			client.on('error', () => this.#update());
			client.on('ready', () => this.#update());
			client.on('end', () => this.#update());
			client.on('reconnecting', () => this.#update());
			client.connect().catch(() => this.#update());
		}
	}

	get state(): BackplaneState {
		return this.#state;
	}

	onStateChange(listener: (state: BackplaneState) => void): void {
		this.#listeners.push(listener);
	}

	#update(): void {
		if (this.#closed) return;
		const up = this.#commands.isReady && this.#subscriber.isReady;
		const state: BackplaneState = up ? 'up' : 'down';
		if (state === this.#state) return;
		this.#state = state;
		if (state === 'down') {
			this.#tellDown();
		} else {
			this.#log(
				this.#toldDown
					? 'Confer relay: Redis is back; rejoined the cluster'
					: 'Confer relay: joined the cluster through Redis'
			);
			this.#toldDown = false;
			this.#restoreClaims();
		}
		for (const listener of this.#listeners) listener(state);
	}

	/** Whether the current outage was logged: once per outage. */
	#toldDown = false;

	#tellDown(): void {
		if (this.#toldDown || this.#closed) return;
		this.#toldDown = true;
		this.#log(
			"Confer relay: Redis is unreachable; serving this relay's clients alone until it returns"
		);
	}

	subscribe(channel: string, handler: BusHandler): void {
		if (this.#handlers.has(channel)) {
			this.#handlers.set(channel, handler);
			return;
		}
		this.#handlers.set(channel, handler);
		// node-redis keeps the subscription and renews it after a reconnect.
		this.#subscriber
			.sSubscribe(channel, (message: Buffer) => this.#receive(channel, message), true)
			.catch(() => undefined);
	}

	unsubscribe(channel: string): void {
		if (!this.#handlers.delete(channel)) return;
		this.#subscriber.sUnsubscribe(channel).catch(() => undefined);
	}

	publish(channel: string, payload: Buffer): void {
		if (this.#state !== 'up') return;
		this.counts.messagesOut += 1;
		this.#commands.sPublish(channel, envelope(this.relayId, payload)).catch(() => undefined);
	}

	#receive(channel: string, message: Buffer): void {
		const opened = openEnvelope(message);
		if (opened === null || opened.relayId === this.relayId) return;
		this.counts.received(opened.sentAt);
		this.#handlers.get(channel)?.(opened.body);
	}

	async claim(id: string, token: string): Promise<Claim> {
		if (this.#state === 'up') {
			try {
				const answer = String(
					await this.#commands.eval(CLAIM_SCRIPT, {
						keys: [peerKey(id)],
						arguments: [token, this.relayId, String(this.#claimTtlMs)]
					})
				);
				if (answer === 'taken') return { result: 'taken' };
				this.#local.claimNow(id, token);
				return answer === 'new'
					? { result: 'new' }
					: { result: 'reattached', previousRelay: answer.slice('reattached:'.length) };
			} catch {
				// Redis went away in the middle: decide here, as a relay on its own does.
			}
		}
		return this.#local.claimNow(id, token);
	}

	async locate(id: string): Promise<string | null> {
		if (this.#state === 'up') {
			try {
				const held = await this.#commands.get(peerKey(id));
				if (held === null) return null;
				const claim = JSON.parse(String(held)) as { relay?: unknown };
				return typeof claim.relay === 'string' ? claim.relay : null;
			} catch {
				// As below.
			}
		}
		return this.#local.locate(id);
	}

	release(id: string, token: string): void {
		this.#local.release(id, token);
		if (this.#state !== 'up') return;
		this.#commands
			.eval(RELEASE_SCRIPT, { keys: [peerKey(id)], arguments: [token, this.relayId] })
			.catch(() => undefined);
	}

	refresh(claims: Iterable<{ id: string; token: string }>): void {
		if (this.#state !== 'up') return;
		const list = [...claims];
		if (list.length === 0) return;
		this.#commands
			.eval(REFRESH_SCRIPT, {
				keys: list.map(({ id }) => peerKey(id)),
				arguments: [String(this.#claimTtlMs), this.relayId, ...list.map(({ token }) => token)]
			})
			.catch(() => undefined);
	}

	/** After an outage, writes back the claims this relay made on its own meanwhile. */
	#restoreClaims(): void {
		this.refresh([...this.#local.entries()].map(([id, token]) => ({ id, token })));
	}

	async close(): Promise<void> {
		this.#closed = true;
		await Promise.allSettled([this.#commands.close(), this.#subscriber.close()]);
	}
}
