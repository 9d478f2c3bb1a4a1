import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRelay, loadConfig, type Env, type Relay } from '../../signaling/src/index.js';
import { WebSocket, type ClientOptions } from 'ws';
import { freePort, waitForTcp } from '../e2e/support/net.js';

/** The policy in the fixture's `<meta http-equiv="content-security-policy">`. */
export const FIXTURE_POLICY =
	"default-src 'self'; connect-src 'self' ws: wss:; script-src 'self' 'sha256-KNbeSDVqDZNAs5GGFmC2a8+ngiLMu2ScBbxd26OrgNc='; style-src 'self' 'unsafe-inline'; base-uri 'none'";

/** Files of a small built app, shaped like SvelteKit's adapter-static output. */
export const FIXTURE_FILES: Record<string, string> = {
	'index.html': `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8" />
<link rel="manifest" href="/manifest.webmanifest" />
<meta http-equiv="content-security-policy" content="${FIXTURE_POLICY}">
</head>
<body><script>window.fixture = true;</script></body>
</html>
`,
	'manifest.webmanifest': '{"name":"Confer","start_url":"/"}',
	'service-worker.js': 'self.addEventListener("fetch", () => {});',
	'_app/version.json': '{"version":"1"}',
	'_app/immutable/entry/start.abc123.js': 'export const start = 1;',
	'_app/immutable/assets/app.css': 'body{}',
	'_app/immutable/assets/mod.wasm': '\0asm',
	'mediapipe/model@1.2.3/model_bin.wasm': '\0asm',
	'mediapipe/unversioned/model.js': 'self.model = 1;',
	'icons/icon.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
	'.env': 'SECRET=1'
};

/** Writes {@link FIXTURE_FILES} into a fresh temporary directory and returns its path. */
export function createFixtureSite(): string {
	const root = mkdtempSync(join(tmpdir(), 'confer-relay-site-'));
	for (const [path, text] of Object.entries(FIXTURE_FILES)) {
		mkdirSync(dirname(join(root, path)), { recursive: true });
		writeFileSync(join(root, path), text);
	}
	return root;
}

let fixtureSite: string | undefined;

/** A relay listening on 127.0.0.1 with a free port. */
export interface TestRelay {
	relay: Relay;
	/** `http://127.0.0.1:<port>` (no trailing slash). */
	http: string;
	/** `ws://127.0.0.1:<port>` (no trailing slash). */
	ws: string;
	close(): Promise<void>;
}

/** Starts a relay in-process on port 0, serving the fixture site unless `env` says otherwise. */
export async function startRelay(env: Env = {}): Promise<TestRelay> {
	const relay = createRelay(
		loadConfig({
			HOST: '127.0.0.1',
			PORT: '0',
			STATIC_DIR: (fixtureSite ??= createFixtureSite()),
			...env
		})
	);
	const url = await relay.listen();
	const base = url.href.replace(/\/$/, '');
	return { relay, http: base, ws: base.replace(/^http/, 'ws'), close: () => relay.close() };
}

/** How a WebSocket ended. */
export interface Closed {
	code: number;
	reason: string;
}

/** A `ws` client that buffers incoming JSON messages for `next()`. */
export class TestClient {
	readonly socket: WebSocket;
	readonly received: unknown[] = [];
	readonly closed: Promise<Closed>;
	#waiters: ((message: unknown) => void)[] = [];

	constructor(url: string, options: ClientOptions = {}) {
		this.socket = new WebSocket(url, options);
		this.socket.on('error', () => undefined);
		this.socket.on('message', (data, isBinary) => {
			const message: unknown = isBinary ? data : JSON.parse(String(data));
			const waiter = this.#waiters.shift();
			if (waiter) waiter(message);
			else this.received.push(message);
		});
		this.closed = new Promise((resolve) =>
			this.socket.on('close', (code, reason) => resolve({ code, reason: String(reason) }))
		);
	}

	/** Resolves once the handshake is done; rejects if it fails. */
	async opened(): Promise<this> {
		if (this.socket.readyState !== WebSocket.OPEN) await once(this.socket, 'open');
		return this;
	}

	/** Sends a JSON value (or a raw string / buffer as is). */
	send(message: unknown): void {
		this.socket.send(
			typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message)
		);
	}

	/** The next message, waiting at most `timeoutMs`. */
	next(timeoutMs = 2000): Promise<unknown> {
		if (this.received.length > 0) return Promise.resolve(this.received.shift());
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				this.#waiters = this.#waiters.filter((waiter) => waiter !== deliver);
				reject(new Error(`no message within ${timeoutMs} ms`));
			}, timeoutMs);
			const deliver = (message: unknown): void => {
				clearTimeout(timer);
				resolve(message);
			};
			this.#waiters.push(deliver);
		});
	}

	/** Asserts that nothing arrives within `ms`. */
	async expectSilence(ms = 200): Promise<void> {
		await new Promise((resolve) => setTimeout(resolve, ms));
		if (this.received.length > 0) {
			throw new Error(`unexpected message ${JSON.stringify(this.received[0])}`);
		}
	}

	/** Closes the connection and resolves once it is closed. */
	close(): Promise<Closed> {
		this.socket.close();
		return this.closed;
	}
}

/** Opens a client and waits for the handshake. */
export function connect(url: string, options: ClientOptions = {}): Promise<TestClient> {
	return new TestClient(url, options).opened();
}

/** Resolves with the HTTP status of a refused handshake (`unexpected-response`). */
export function refusedStatus(url: string, options: ClientOptions = {}): Promise<number> {
	return new Promise((resolve, reject) => {
		const socket = new WebSocket(url, options);
		socket.on('unexpected-response', (_req, res) => {
			resolve(res.statusCode ?? 0);
			res.resume();
			socket.terminate();
		});
		socket.on('open', () => {
			socket.terminate();
			reject(new Error('the handshake succeeded'));
		});
		socket.on('error', () => undefined);
	});
}

/** Waits `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 20 ms until it holds, failing after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 3000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error('condition not met in time');
		await delay(20);
	}
}

export { startRedis, type TestRedis } from '../e2e/support/redis.js';

/** A relay in a child process (so that it can be killed), as `node signaling/dist/main.js`. */
export interface RelayProcess {
	http: string;
	ws: string;
	/** Everything it printed. */
	output(): string;
	/** SIGKILL: no goodbye to its clients or to Redis. */
	kill(): Promise<void>;
	/** SIGTERM, then waits for the exit. */
	stop(): Promise<void>;
}

/** Starts `signaling/dist/main.js` (built by `npm run build -w signaling`) with `env` on a free port. */
export async function startRelayProcess(env: Env = {}): Promise<RelayProcess> {
	const port = await freePort();
	const main = fileURLToPath(new URL('../../signaling/dist/main.js', import.meta.url));
	const child = spawn(process.execPath, [main], {
		env: {
			...process.env,
			HOST: '127.0.0.1',
			PORT: String(port),
			STATIC_DIR: (fixtureSite ??= createFixtureSite()),
			...env
		},
		stdio: ['ignore', 'pipe', 'pipe']
	});
	let output = '';
	child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
	child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
	const exited = once(child, 'exit');
	await waitForTcp('127.0.0.1', port);
	const end = async (signal: NodeJS.Signals) => {
		if (child.exitCode === null && child.signalCode === null) child.kill(signal);
		await exited;
	};
	return {
		http: `http://127.0.0.1:${port}`,
		ws: `ws://127.0.0.1:${port}`,
		output: () => output,
		kill: () => end('SIGKILL'),
		stop: () => end('SIGTERM')
	};
}
