import {
	createServer,
	STATUS_CODES,
	type IncomingMessage,
	type Server,
	type ServerResponse
} from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import {
	LocalBus,
	LocalPeerRegistry,
	RedisBackplane,
	type Bus,
	type PeerRegistry
} from './backplane.js';
import type { RelayConfig } from './config.js';
import { CloseCode, Connection } from './connection.js';
import { buildClientConfig, PEERJS_KEY, PEERJS_PATH, YJS_PATH } from './ice.js';
import { isOriginAllowed } from './origin.js';
import { PEERJS_BANNER, PeerjsHub } from './peerjs.js';
import { sendText, StaticSite } from './static-site.js';
import { createMetricsRegistry, RelayStats, type Protocol, type RelayGauges } from './stats.js';
import { YjsHub } from './yjs.js';

/** WebSocket path of the PeerJS server protocol: the client appends `peerjs` to its `path`. */
export const PEERJS_SOCKET_PATH = `${PEERJS_PATH}/peerjs`;
/** Plain-text fresh id for the PeerJS client (`GET <path>/<key>/id`). */
export const PEERJS_ID_PATH = `${PEERJS_PATH}/${PEERJS_KEY}/id`;
/** How long {@link Relay.close} waits for clients to answer the 1001 close frame, ms. */
export const SHUTDOWN_GRACE_MS = 3000;

/** `Permissions-Policy` (W3C Permissions Policy): the media features Confer uses, for itself only. */
const PERMISSIONS_POLICY =
	'camera=(self), microphone=(self), display-capture=(self), speaker-selection=(self)';

/** A running (or ready to run) relay; see {@link createRelay}. */
export interface Relay {
	readonly server: Server;
	readonly stats: RelayStats;
	/** Current connection, topic, peer and queue counts. */
	gauges(): RelayGauges;
	/**
	 * Starts listening on `HOST`:`PORT`.
	 * @returns the URL it serves, e.g. `http://127.0.0.1:8080/` (the real port when `PORT=0`).
	 * @throws the `listen` error, e.g. `EADDRINUSE`.
	 */
	listen(): Promise<URL>;
	/**
	 * Graceful shutdown: stops accepting, closes every WebSocket with 1001, terminates those that
	 * have not closed after {@link SHUTDOWN_GRACE_MS}, and resolves once the server is closed.
	 */
	close(): Promise<void>;
}

function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
	const forwarded = trustProxy ? req.headers['x-forwarded-for'] : undefined;
	const last = typeof forwarded === 'string' ? forwarded.split(',').at(-1)?.trim() : undefined;
	const address = last || req.socket.remoteAddress || 'unknown';
	return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** Error listener for upgrading sockets; a shared function, so no request stays reachable from it. */
function destroySocket(this: Duplex): void {
	this.destroy();
}

function pathnameOf(req: IncomingMessage): string {
	const url = req.url ?? '/';
	const query = url.indexOf('?');
	return query === -1 ? url : url.slice(0, query);
}

function sendJson(res: ServerResponse, status: number, body: unknown, cacheControl: string): void {
	const text = JSON.stringify(body);
	res.writeHead(status, {
		'Content-Type': 'application/json; charset=utf-8',
		'Content-Length': Buffer.byteLength(text),
		'Cache-Control': cacheControl
	});
	res.end(res.req.method === 'HEAD' ? undefined : text);
}

/**
 * Creates the relay: one HTTP server whose `upgrade` handler routes `/yjs` to the y-webrtc hub and
 * `/peerjs/peerjs` to the PeerJS hub (both `ws` servers in `noServer` mode), and whose request
 * handler serves `/config.json`, `/healthz`, `/metrics`, the PeerJS HTTP API and the built app.
 * Nothing listens until {@link Relay.listen}.
 */
export function createRelay(config: RelayConfig): Relay {
	const { limits } = config;
	const stats = new RelayStats();
	const site = new StaticSite(config.staticDir);
	// With REDIS_URL, one backplane is both the bus and the PeerJS registry (signaling/README.md).
	let bus: Bus = new LocalBus();
	let registry: PeerRegistry = new LocalPeerRegistry();
	if (config.redisUrl !== null) {
		const backplane = new RedisBackplane(config.redisUrl, limits.peerjsAliveTimeoutMs);
		bus = backplane;
		registry = backplane;
	}
	const yjs = new YjsHub(limits, bus);
	const peerjs = new PeerjsHub(stats, limits, bus, registry);
	const connections = new Set<Connection>();
	const connectionsPerIp = new Map<string, number>();
	const startedAt = Date.now();
	let closing: Promise<void> | null = null;

	const gauges = (): RelayGauges => {
		const counts = { yjs: 0, peerjs: 0 };
		for (const conn of connections) counts[conn.protocol] += 1;
		return {
			connections: counts,
			topics: yjs.topicCount,
			peers: peerjs.peerCount,
			queuedMessages: peerjs.queuedMessages,
			backplane: bus.state
		};
	};
	const metrics = createMetricsRegistry(stats, gauges, bus.counts);

	const securityHeaders = (): [string, string][] => [
		['Content-Security-Policy', site.contentSecurityPolicy],
		['X-Content-Type-Options', 'nosniff'],
		['Referrer-Policy', 'no-referrer'],
		['Permissions-Policy', PERMISSIONS_POLICY]
	];

	const wss = new WebSocketServer({
		noServer: true,
		maxPayload: limits.maxFrameBytes,
		perMessageDeflate: false,
		clientTracking: false
	});
	wss.on('headers', (headers) => {
		for (const [name, value] of securityHeaders()) headers.push(`${name}: ${value}`);
	});

	/** One listener per protocol, shared by all connections: `ws` reports protocol violations
	 * (oversized frames, invalid UTF-8, bad opcodes) as errors, then closes with the matching code. */
	const errorListener =
		(protocol: Protocol) =>
		(error: Error & { code?: string }): void => {
			if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')
				stats.reject(protocol, 'frame_too_large');
			else if (error.code === 'WS_ERR_INVALID_UTF8') stats.reject(protocol, 'invalid_utf8');
			else stats.reject(protocol, 'protocol_error');
		};
	const errorListeners: Record<Protocol, (error: Error & { code?: string }) => void> = {
		yjs: errorListener('yjs'),
		peerjs: errorListener('peerjs')
	};

	const refuseUpgrade = (socket: Duplex, status: number, text: string): void => {
		const head = [
			`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
			'Connection: close',
			'Content-Type: text/plain; charset=utf-8',
			`Content-Length: ${Buffer.byteLength(text)}`,
			...securityHeaders().map(([name, value]) => `${name}: ${value}`)
		];
		socket.once('finish', () => socket.destroy());
		socket.end(`${head.join('\r\n')}\r\n\r\n${text}`);
	};

	const onConnection = (
		ws: WebSocket,
		socket: Duplex,
		protocol: Protocol,
		ip: string,
		req: IncomingMessage
	): void => {
		const conn = new Connection(ws, socket, protocol, ip, stats, limits);
		connections.add(conn);
		connectionsPerIp.set(ip, (connectionsPerIp.get(ip) ?? 0) + 1);
		socket.off('error', destroySocket);
		ws.on('error', errorListeners[protocol]);
		ws.on('close', () => {
			connections.delete(conn);
			const count = (connectionsPerIp.get(ip) ?? 1) - 1;
			if (count === 0) connectionsPerIp.delete(ip);
			else connectionsPerIp.set(ip, count);
		});
		if (protocol === 'yjs') yjs.accept(conn);
		else peerjs.accept(conn, new URL(req.url ?? '/', 'http://relay').searchParams);
	};

	const server = createServer({ requestTimeout: 30_000, headersTimeout: 15_000 });

	server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
		socket.on('error', destroySocket);
		const pathname = pathnameOf(req);
		const protocol: Protocol | null =
			pathname === YJS_PATH ? 'yjs' : pathname === PEERJS_SOCKET_PATH ? 'peerjs' : null;
		if (protocol === null) {
			refuseUpgrade(socket, 404, 'Not found');
			return;
		}
		if (closing !== null) {
			refuseUpgrade(socket, 503, 'The relay is shutting down');
			return;
		}
		if (!isOriginAllowed(req.headers.origin, req.headers.host, config.allowedOrigins)) {
			stats.reject(protocol, 'origin');
			refuseUpgrade(socket, 403, 'Origin not allowed');
			return;
		}
		if (connections.size >= limits.maxConnections) {
			stats.reject(protocol, 'connections_total');
			refuseUpgrade(socket, 503, 'Too many connections');
			return;
		}
		const ip = clientAddress(req, config.trustProxy);
		if ((connectionsPerIp.get(ip) ?? 0) >= limits.maxConnectionsPerIp) {
			stats.reject(protocol, 'connections_per_ip');
			refuseUpgrade(socket, 429, 'Too many connections from your address');
			return;
		}
		wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, socket, protocol, ip, req));
	});

	const handleRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
		for (const [name, value] of securityHeaders()) res.setHeader(name, value);
		if (req.method !== 'GET' && req.method !== 'HEAD') {
			res.setHeader('Allow', 'GET, HEAD');
			sendText(res, 405, 'Method not allowed');
			return;
		}
		const pathname = pathnameOf(req);
		const { origin } = req.headers;
		const allowCors = (): void => {
			if (
				origin !== undefined &&
				isOriginAllowed(origin, req.headers.host, config.allowedOrigins)
			) {
				res.setHeader('Access-Control-Allow-Origin', origin);
				res.setHeader('Vary', 'Origin');
			}
		};
		switch (pathname) {
			case '/config.json':
				allowCors();
				sendJson(res, 200, buildClientConfig(config, Date.now()), 'no-store');
				return;
			case '/healthz':
				sendJson(
					res,
					200,
					{ status: 'ok', uptimeSeconds: Math.round((Date.now() - startedAt) / 1000), ...gauges() },
					'no-store'
				);
				return;
			case '/metrics': {
				const text = await metrics.metrics();
				res.writeHead(200, { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' });
				res.end(req.method === 'HEAD' ? undefined : text);
				return;
			}
			case PEERJS_PATH:
			case `${PEERJS_PATH}/`:
				sendJson(res, 200, PEERJS_BANNER, 'no-store');
				return;
			case PEERJS_ID_PATH:
				allowCors();
				sendText(res, 200, peerjs.newId());
				return;
			case YJS_PATH:
			case PEERJS_SOCKET_PATH:
				res.setHeader('Upgrade', 'websocket');
				sendText(res, 426, 'WebSocket endpoint');
				return;
			default:
				await site.serve(req, res, pathname);
		}
	};

	server.on('request', (req: IncomingMessage, res: ServerResponse) => {
		handleRequest(req, res).catch((error: unknown) => {
			console.error(`Confer relay: error answering ${req.method} ${req.url}:`, error);
			if (!res.headersSent) sendText(res, 500, 'Internal server error');
			else res.destroy();
		});
	});

	const shutdown = async (): Promise<void> => {
		const closed = new Promise<void>((resolve) => server.close(() => resolve()));
		server.closeIdleConnections();
		yjs.close();
		peerjs.close();
		const open = [...connections];
		const allClosed = Promise.all(
			open.map((conn) => new Promise((resolve) => conn.ws.once('close', resolve)))
		);
		for (const conn of open) conn.ws.close(CloseCode.goingAway, 'server shutting down');
		let timer: NodeJS.Timeout | undefined;
		await Promise.race([
			allClosed,
			new Promise((resolve) => (timer = setTimeout(resolve, SHUTDOWN_GRACE_MS)))
		]);
		clearTimeout(timer);
		for (const conn of connections) conn.ws.terminate();
		server.closeAllConnections();
		await Promise.all([closed, bus.close()]);
	};

	return {
		server,
		stats,
		gauges,
		listen: () =>
			new Promise<URL>((resolve, reject) => {
				server.once('error', reject);
				server.listen(config.port, config.host, () => {
					server.off('error', reject);
					const address = server.address();
					const port = typeof address === 'object' && address !== null ? address.port : config.port;
					const host = config.host.includes(':') ? `[${config.host}]` : config.host;
					resolve(new URL(`http://${host}:${port}/`));
				});
			}),
		close: () => (closing ??= shutdown())
	};
}
