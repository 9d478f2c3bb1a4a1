import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `RTCConfiguration.iceTransportPolicy` values (W3C WebRTC §4.2.1). */
export type IceTransportPolicy = 'all' | 'relay';

/** Every limit the relay enforces; each one comes from the environment variable named in its doc. */
export interface RelayLimits {
	/** Largest WebSocket message accepted, bytes (`MAX_FRAME_BYTES`); larger ones close with 1009. */
	maxFrameBytes: number;
	/** Open WebSocket connections in total (`MAX_CONNECTIONS`). */
	maxConnections: number;
	/** Open WebSocket connections from one IP address (`MAX_CONNECTIONS_PER_IP`). */
	maxConnectionsPerIp: number;
	/** Token-bucket refill rate per connection, messages/s (`MESSAGE_RATE`). */
	messageRate: number;
	/** Token-bucket size per connection, messages (`MESSAGE_BURST`). */
	messageBurst: number;
	/** Topics one y-webrtc connection may subscribe to (`MAX_TOPICS_PER_CONNECTION`). */
	maxTopicsPerConnection: number;
	/** Subscribers of one y-webrtc topic, i.e. the room cap (`MAX_SUBSCRIBERS_PER_TOPIC`). */
	maxSubscribersPerTopic: number;
	/** Bytes queued for one slow receiver before it is dropped (`MAX_BUFFERED_BYTES`). */
	maxBufferedBytes: number;
	/** Interval of WebSocket pings on `/yjs`, ms (`KEEPALIVE_INTERVAL_MS`); a connection that did not
	 * answer the previous ping is dropped, so a dead one goes within two intervals. */
	keepaliveIntervalMs: number;
	/** A PeerJS client silent for longer than this is dropped, ms (`PEERJS_ALIVE_TIMEOUT_MS`). */
	peerjsAliveTimeoutMs: number;
	/** How long a PeerJS message waits for an absent peer before `EXPIRE`, ms (`PEERJS_EXPIRE_TIMEOUT_MS`). */
	peerjsExpireTimeoutMs: number;
	/** Concurrent PeerJS ids (`PEERJS_CONCURRENT_LIMIT`). */
	peerjsConcurrentLimit: number;
}

/** The relay's whole configuration, as produced by {@link loadConfig}. */
export interface RelayConfig {
	/** Interface to listen on (`HOST`). */
	host: string;
	/** TCP port (`PORT`); 0 picks a free one. */
	port: number;
	/** Absolute path of the built app (`STATIC_DIR`). */
	staticDir: string;
	/** STUN server URLs handed to clients (`STUN_URLS`). */
	stunUrls: string[];
	/** TURN server URLs handed to clients (`TURN_URLS`). */
	turnUrls: string[];
	/** coturn `static-auth-secret` used to mint TURN credentials (`TURN_SECRET`). */
	turnSecret: string | null;
	/** Lifetime of a minted TURN credential, seconds (`TURN_TTL`). */
	turnTtlSeconds: number;
	/** `iceTransportPolicy` clients should use (`ICE_TRANSPORT_POLICY`). */
	iceTransportPolicy: IceTransportPolicy;
	/** Most participants sending video in one room (`ROOM_VIDEO_CAP`), read by the app. */
	roomVideoCap: number;
	/** Extra origins allowed to open WebSockets (`ALLOWED_ORIGINS`); `null` means the default
	 * (own origin and localhost), `['*']` means any origin. */
	allowedOrigins: string[] | null;
	/** Take the client address from the last `X-Forwarded-For` entry (`TRUST_PROXY`). */
	trustProxy: boolean;
	/**
	 * Redis shared by a cluster of relays (`REDIS_URL`, `redis://` or `rediss://`); null: this relay
	 * works alone, with nothing else to install.
	 */
	redisUrl: string | null;
	limits: RelayLimits;
}

/** Thrown by {@link loadConfig} when an environment variable has an unusable value. */
export class ConfigError extends Error {
	override name = 'ConfigError';
}

/** The environment as `process.env` types it. */
export type Env = Record<string, string | undefined>;

/** Limits used when the matching environment variable is unset (see {@link RelayLimits}). */
export const DEFAULT_LIMITS: Readonly<RelayLimits> = {
	maxFrameBytes: 64 * 1024,
	maxConnections: 10_000,
	maxConnectionsPerIp: 128,
	messageRate: 100,
	messageBurst: 200,
	maxTopicsPerConnection: 64,
	maxSubscribersPerTopic: 50,
	maxBufferedBytes: 1024 * 1024,
	// y-webrtc's reference server pings every 30 s (bin/server.js `pingTimeout`).
	keepaliveIntervalMs: 30_000,
	// `peer` 1.0.2 defaults: alive_timeout 60 s, expire_timeout 5 s, concurrent_limit 5000.
	peerjsAliveTimeoutMs: 60_000,
	peerjsExpireTimeoutMs: 5_000,
	peerjsConcurrentLimit: 5_000
};

const LIMIT_VARIABLES: Record<keyof RelayLimits, string> = {
	maxFrameBytes: 'MAX_FRAME_BYTES',
	maxConnections: 'MAX_CONNECTIONS',
	maxConnectionsPerIp: 'MAX_CONNECTIONS_PER_IP',
	messageRate: 'MESSAGE_RATE',
	messageBurst: 'MESSAGE_BURST',
	maxTopicsPerConnection: 'MAX_TOPICS_PER_CONNECTION',
	maxSubscribersPerTopic: 'MAX_SUBSCRIBERS_PER_TOPIC',
	maxBufferedBytes: 'MAX_BUFFERED_BYTES',
	keepaliveIntervalMs: 'KEEPALIVE_INTERVAL_MS',
	peerjsAliveTimeoutMs: 'PEERJS_ALIVE_TIMEOUT_MS',
	peerjsExpireTimeoutMs: 'PEERJS_EXPIRE_TIMEOUT_MS',
	peerjsConcurrentLimit: 'PEERJS_CONCURRENT_LIMIT'
};

/** The repository's `build/` directory, next to `signaling/` (works from `src/` and `dist/`). */
const DEFAULT_STATIC_DIR = fileURLToPath(new URL('../../build/', import.meta.url));

function readInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
	const raw = env[name]?.trim();
	if (raw === undefined || raw === '') return fallback;
	if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
	const value = Number(raw);
	if (value < min || value > max) {
		throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
	}
	return value;
}

function readList(env: Env, name: string): string[] {
	return (env[name] ?? '')
		.split(',')
		.map((item) => item.trim())
		.filter((item) => item !== '');
}

function readUrls(env: Env, name: string, schemes: RegExp): string[] {
	const urls = readList(env, name);
	for (const url of urls) {
		if (!schemes.test(url))
			throw new ConfigError(`${name}: "${url}" is not a ${schemes.source} URL`);
	}
	return urls;
}

function readOrigins(env: Env): string[] | null {
	const items = readList(env, 'ALLOWED_ORIGINS');
	if (items.length === 0) return null;
	if (items.includes('*')) return ['*'];
	return items.map((item) => {
		try {
			const { origin, protocol } = new URL(item);
			if (protocol !== 'http:' && protocol !== 'https:') throw new TypeError(protocol);
			return origin;
		} catch {
			throw new ConfigError(`ALLOWED_ORIGINS: "${item}" is not an http(s) origin`);
		}
	});
}

function readBoolean(env: Env, name: string): boolean {
	const raw = (env[name] ?? '').trim().toLowerCase();
	if (raw === '' || raw === '0' || raw === 'false' || raw === 'no') return false;
	if (raw === '1' || raw === 'true' || raw === 'yes') return true;
	throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

/**
 * Reads the relay's configuration from environment variables, applying the documented defaults
 * (signaling/README.md lists every variable).
 *
 * @param env variables such as `process.env`; unset or empty values take the default.
 * @returns a complete {@link RelayConfig}.
 * @throws {ConfigError} when a value is malformed or out of range, naming the variable.
 */
export function loadConfig(env: Env): RelayConfig {
	const limits = { ...DEFAULT_LIMITS };
	for (const key of Object.keys(LIMIT_VARIABLES) as (keyof RelayLimits)[]) {
		limits[key] = readInteger(env, LIMIT_VARIABLES[key], DEFAULT_LIMITS[key], 1, 2 ** 31 - 1);
	}
	const turnUrls = readUrls(env, 'TURN_URLS', /^turns?:/);
	const turnSecret = env.TURN_SECRET?.trim() || null;
	if (turnUrls.length > 0 && turnSecret === null) {
		throw new ConfigError('TURN_URLS is set but TURN_SECRET is not: TURN needs credentials');
	}
	const policy = (env.ICE_TRANSPORT_POLICY?.trim() || 'all').toLowerCase();
	if (policy !== 'all' && policy !== 'relay') {
		throw new ConfigError(`ICE_TRANSPORT_POLICY must be "all" or "relay", got "${policy}"`);
	}
	if (policy === 'relay' && turnUrls.length === 0) {
		throw new ConfigError('ICE_TRANSPORT_POLICY=relay needs TURN_URLS and TURN_SECRET');
	}
	return {
		host: env.HOST?.trim() || '127.0.0.1',
		port: readInteger(env, 'PORT', 8080, 0, 65_535),
		staticDir: resolve(env.STATIC_DIR?.trim() || DEFAULT_STATIC_DIR),
		stunUrls: readUrls(env, 'STUN_URLS', /^stuns?:/),
		turnUrls,
		turnSecret,
		turnTtlSeconds: readInteger(env, 'TURN_TTL', 43_200, 60, 7 * 24 * 3600),
		iceTransportPolicy: policy,
		roomVideoCap: readInteger(env, 'ROOM_VIDEO_CAP', 12, 1, 1000),
		allowedOrigins: readOrigins(env),
		trustProxy: readBoolean(env, 'TRUST_PROXY'),
		redisUrl: readRedisUrl(env),
		limits
	};
}

/** `REDIS_URL`, checked: a `redis:` or `rediss:` URL, or null when unset. */
function readRedisUrl(env: Env): string | null {
	const value = env.REDIS_URL?.trim();
	if (!value) return null;
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		throw new ConfigError(`REDIS_URL must be a URL like redis://127.0.0.1:6379, not "${value}"`);
	}
	if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
		throw new ConfigError(`REDIS_URL must start with redis:// or rediss://, not "${url.protocol}"`);
	}
	return value;
}

/**
 * Formats the effective limits for the start-up log line, using the environment variable names.
 *
 * @returns e.g. `MAX_FRAME_BYTES=65536 MAX_CONNECTIONS=10000 …`.
 */
export function describeLimits(limits: RelayLimits): string {
	return (Object.keys(LIMIT_VARIABLES) as (keyof RelayLimits)[])
		.map((key) => `${LIMIT_VARIABLES[key]}=${limits[key]}`)
		.join(' ');
}
