import { PUBLIC_RELAY_URL } from '$env/static/public';

/** What the relay's `/config.json` tells clients (see signaling/README.md). */
export interface RelayConfig {
	/** ICE servers for every RTCPeerConnection (STUN and TURN with fresh REST credentials). */
	iceServers: RTCIceServer[];
	/** `relay` forces TURN (`RTCConfiguration.iceTransportPolicy`). */
	iceTransportPolicy: RTCIceTransportPolicy;
	signaling: { yjs: string; peerjs: { path: string; key: string } };
	room: { videoCap: number };
}

/** A relay's config together with the absolute URLs derived from it. */
export interface ResolvedRelay {
	config: RelayConfig;
	/** `ws(s)://host[:port]/yjs` for y-webrtc. */
	yjsUrl: string;
	/** PeerJS server options: `host`, `port`, `secure`, `path`, `key`. */
	peerjs: { host: string; port: number; secure: boolean; path: string; key: string };
}

/**
 * The relay's base URL: the build-time `PUBLIC_RELAY_URL` when a static deployment points at
 * another relay, otherwise the page's own origin.
 */
export function relayBase(): URL {
	return new URL(PUBLIC_RELAY_URL || location.origin);
}

/**
 * Why the relay's config could not be loaded: `unreachable` (no answer: offline, or the relay is
 * down), `status` (it answered with an HTTP error), `bad-config` (the answer is not a Confer config).
 */
export class RelayError extends Error {
	readonly code: 'unreachable' | 'status' | 'bad-config';
	constructor(code: RelayError['code'], detail: string) {
		super(`${code}: ${detail}`);
		this.name = 'RelayError';
		this.code = code;
	}
}

/**
 * Fetches `/config.json` from the relay (never cached: TURN credentials are minted per request).
 *
 * @throws RelayError when the relay cannot be reached or answers with something that is not a
 *   Confer config.
 */
export async function loadRelayConfig(base: URL = relayBase()): Promise<ResolvedRelay> {
	let response: Response;
	try {
		response = await fetch(new URL('/config.json', base), { cache: 'no-store' });
	} catch (error) {
		throw new RelayError('unreachable', String(error));
	}
	if (!response.ok) throw new RelayError('status', String(response.status));
	const config = parseRelayConfig(await response.json().catch(() => null));
	const secure = base.protocol === 'https:';
	const port = base.port ? Number(base.port) : secure ? 443 : 80;
	const yjsUrl = new URL(config.signaling.yjs, base);
	yjsUrl.protocol = secure ? 'wss:' : 'ws:';
	return {
		config,
		yjsUrl: yjsUrl.href,
		peerjs: { host: base.hostname, port, secure, ...config.signaling.peerjs }
	};
}

/**
 * Validates the JSON of `/config.json`.
 *
 * @throws RelayError (`bad-config`) when a required field is missing or of the wrong type.
 */
export function parseRelayConfig(json: unknown): RelayConfig {
	const c = json as Partial<RelayConfig> | null;
	if (
		!c ||
		!Array.isArray(c.iceServers) ||
		typeof c.signaling?.yjs !== 'string' ||
		typeof c.signaling.peerjs?.path !== 'string' ||
		typeof c.signaling.peerjs.key !== 'string'
	) {
		throw new RelayError('bad-config', 'missing or mistyped fields');
	}
	return {
		iceServers: c.iceServers,
		iceTransportPolicy: c.iceTransportPolicy === 'relay' ? 'relay' : 'all',
		signaling: c.signaling,
		room: { videoCap: typeof c.room?.videoCap === 'number' ? c.room.videoCap : 12 }
	};
}
