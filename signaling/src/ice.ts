import { createHmac, randomBytes } from 'node:crypto';
import type { IceTransportPolicy, RelayConfig } from './config.js';

/** The subset of W3C `RTCIceServer` the relay hands out. */
export interface IceServer {
	urls: string[];
	username?: string;
	credential?: string;
}

/** Body of `GET /config.json`: everything a client needs to reach the relay and its peers. */
export interface ClientConfig {
	iceServers: IceServer[];
	iceTransportPolicy: IceTransportPolicy;
	signaling: { yjs: string; peerjs: { path: string; key: string } };
	room: { videoCap: number };
}

/** A short-lived TURN credential in coturn's REST form. */
export interface TurnCredential {
	/** `<unix expiry, seconds>:<random id>`. */
	username: string;
	/** base64(HMAC-SHA1(secret, username)). */
	credential: string;
}

/** WebSocket path of the y-webrtc signaling endpoint. */
export const YJS_PATH = '/yjs';
/** `path` option of the PeerJS client; the client appends `<key>/id` and `peerjs?key=…`. */
export const PEERJS_PATH = '/peerjs';
/** `key` option of the PeerJS client (the `peer` server's default key). */
export const PEERJS_KEY = 'peerjs';

/**
 * Mints a TURN credential for coturn's `use-auth-secret` mode ("A REST API for Access to TURN
 * Services", draft-uberti-behave-turn-rest-00 §2.2): coturn accepts it until the expiry time.
 *
 * @param secret coturn's `static-auth-secret`.
 * @param ttlSeconds lifetime, seconds.
 * @param nowMs current time, ms since the Unix epoch.
 */
export function mintTurnCredential(
	secret: string,
	ttlSeconds: number,
	nowMs: number
): TurnCredential {
	const expiry = Math.floor(nowMs / 1000) + ttlSeconds;
	const username = `${expiry}:${randomBytes(12).toString('base64url')}`;
	const credential = createHmac('sha1', secret).update(username).digest('base64');
	return { username, credential };
}

/**
 * Builds the `/config.json` body. STUN servers come as one entry; TURN servers as one entry with a
 * fresh credential (only when both `TURN_URLS` and `TURN_SECRET` are set). Without configuration
 * `iceServers` is empty: host candidates suffice on a LAN, and no public server is ever implied.
 *
 * @param nowMs current time, ms since the Unix epoch (for the TURN expiry).
 */
export function buildClientConfig(config: RelayConfig, nowMs: number): ClientConfig {
	const iceServers: IceServer[] = [];
	if (config.stunUrls.length > 0) iceServers.push({ urls: [...config.stunUrls] });
	if (config.turnUrls.length > 0 && config.turnSecret !== null) {
		const { username, credential } = mintTurnCredential(
			config.turnSecret,
			config.turnTtlSeconds,
			nowMs
		);
		iceServers.push({ urls: [...config.turnUrls], username, credential });
	}
	return {
		iceServers,
		iceTransportPolicy: config.iceTransportPolicy,
		signaling: { yjs: YJS_PATH, peerjs: { path: PEERJS_PATH, key: PEERJS_KEY } },
		room: { videoCap: config.roomVideoCap }
	};
}
