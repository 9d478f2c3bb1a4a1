import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_FILES, FIXTURE_POLICY, startRelay, type TestRelay } from './helpers.js';

/** Sends a request with the path exactly as given (fetch would normalize `..`). */
function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
	return new Promise((resolve, reject) => {
		const req = request(`${base}/`, { path }, (res) => {
			let body = '';
			res.setEncoding('utf8');
			res.on('data', (chunk: string) => (body += chunk));
			res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
		});
		req.on('error', reject);
		req.end();
	});
}

describe('HTTP', () => {
	let relay: TestRelay;
	beforeAll(async () => {
		relay = await startRelay();
	});
	afterAll(() => relay.close());

	it('serves index.html for / and app routes, no-cache, with the meta policy as a header', async () => {
		for (const path of ['/', '/abc-defg-hij', '/history/', '/settings']) {
			const response = await fetch(`${relay.http}${path}`);
			expect(response.status, path).toBe(200);
			expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
			expect(response.headers.get('cache-control')).toBe('no-cache');
			expect(await response.text()).toContain('window.fixture = true');
			expect(response.headers.get('content-security-policy')).toBe(
				`${FIXTURE_POLICY}; frame-ancestors 'none'`
			);
		}
	});

	it('answers 404 for missing assets instead of the app', async () => {
		for (const path of [
			'/missing.js',
			'/icons/nope.png',
			'/_app/immutable/entry/gone',
			'/_app/x'
		]) {
			const response = await fetch(`${relay.http}${path}`);
			expect(response.status, path).toBe(404);
			expect(await response.text()).toBe('Not found');
		}
	});

	it('caches hashed assets for a year and revalidates the rest, with the right types', async () => {
		const cases: [string, string, string][] = [
			[
				'/_app/immutable/entry/start.abc123.js',
				'text/javascript; charset=utf-8',
				'public, max-age=31536000, immutable'
			],
			[
				'/_app/immutable/assets/app.css',
				'text/css; charset=utf-8',
				'public, max-age=31536000, immutable'
			],
			[
				'/_app/immutable/assets/mod.wasm',
				'application/wasm',
				'public, max-age=31536000, immutable'
			],
			// Model files under a versioned path never change either.
			[
				'/mediapipe/model@1.2.3/model_bin.wasm',
				'application/wasm',
				'public, max-age=31536000, immutable'
			],
			['/mediapipe/unversioned/model.js', 'text/javascript; charset=utf-8', 'no-cache'],
			['/service-worker.js', 'text/javascript; charset=utf-8', 'no-cache'],
			['/manifest.webmanifest', 'application/manifest+json; charset=utf-8', 'no-cache'],
			['/_app/version.json', 'application/json; charset=utf-8', 'no-cache'],
			['/icons/icon.svg', 'image/svg+xml', 'no-cache']
		];
		for (const [path, type, cache] of cases) {
			const response = await fetch(`${relay.http}${path}`);
			expect(response.status, path).toBe(200);
			expect(response.headers.get('content-type'), path).toBe(type);
			expect(response.headers.get('cache-control'), path).toBe(cache);
		}
	});

	it('answers HEAD without a body and If-None-Match with 304', async () => {
		const head = await fetch(`${relay.http}/service-worker.js`, { method: 'HEAD' });
		expect(head.status).toBe(200);
		expect(head.headers.get('content-length')).toBe(
			String(FIXTURE_FILES['service-worker.js']?.length)
		);
		expect(await head.text()).toBe('');
		const etag = head.headers.get('etag') ?? '';
		expect(etag).not.toBe('');
		const cached = await fetch(`${relay.http}/service-worker.js`, {
			headers: { 'if-none-match': etag }
		});
		expect(cached.status).toBe(304);
		const modified = await fetch(`${relay.http}/service-worker.js`, {
			headers: { 'if-modified-since': head.headers.get('last-modified') ?? '' }
		});
		expect(modified.status).toBe(304);
	});

	it('never serves files outside the app or dotfiles', async () => {
		for (const path of [
			'/../../../../etc/passwd',
			'/..%2f..%2f..%2f..%2fetc%2fpasswd',
			'/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
			'/_app/..%5c..%5cetc%5cpasswd',
			'/.env',
			'/%2eenv',
			'/icons/%00.svg'
		]) {
			const { status, body } = await rawGet(relay.http, path);
			expect([400, 404], path).toContain(status);
			expect(body, path).not.toContain('root:');
			expect(body, path).not.toContain('SECRET');
		}
		expect((await rawGet(relay.http, '/%E0%A4%A')).status).toBe(400);
	});

	it('sends the security headers on every response', async () => {
		for (const path of [
			'/',
			'/missing.js',
			'/config.json',
			'/healthz',
			'/metrics',
			'/peerjs/peerjs/id'
		]) {
			const response = await fetch(`${relay.http}${path}`);
			expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
			expect(response.headers.get('referrer-policy'), path).toBe('no-referrer');
			expect(response.headers.get('permissions-policy'), path).toBe(
				'camera=(self), microphone=(self), display-capture=(self), speaker-selection=(self)'
			);
			expect(response.headers.get('content-security-policy'), path).toContain(
				"frame-ancestors 'none'"
			);
		}
	});

	it('answers /healthz with a small JSON status', async () => {
		const response = await fetch(`${relay.http}/healthz`);
		expect(response.status).toBe(200);
		expect(response.headers.get('cache-control')).toBe('no-store');
		expect(await response.json()).toMatchObject({
			status: 'ok',
			connections: { yjs: 0, peerjs: 0 },
			topics: 0,
			peers: 0
		});
	});

	it('exposes Prometheus metrics', async () => {
		const response = await fetch(`${relay.http}/metrics`);
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
		const text = await response.text();
		for (const name of [
			'confer_relay_connections{protocol="yjs"}',
			'confer_relay_topics',
			'confer_relay_peers',
			'confer_relay_messages_received_total{protocol="peerjs"}',
			'confer_relay_bytes_sent_total{protocol="yjs"}',
			'# TYPE confer_relay_rejections_total counter',
			'process_cpu_seconds_total'
		]) {
			expect(text).toContain(name);
		}
	});

	it('refuses other methods and plain GETs on the WebSocket paths', async () => {
		const post = await fetch(`${relay.http}/`, { method: 'POST', body: 'x' });
		expect(post.status).toBe(405);
		expect(post.headers.get('allow')).toBe('GET, HEAD');
		expect((await fetch(`${relay.http}/yjs`)).status).toBe(426);
		expect((await fetch(`${relay.http}/peerjs/peerjs`)).status).toBe(426);
	});
});
