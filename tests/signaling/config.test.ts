import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { policyFromIndexHtml } from '../../signaling/src/csp.js';
import {
	buildClientConfig,
	ConfigError,
	DEFAULT_LIMITS,
	describeLimits,
	loadConfig,
	mintTurnCredential
} from '../../signaling/src/index.js';
import { startRelay } from './helpers.js';

describe('configuration', () => {
	it('has the documented defaults', () => {
		const config = loadConfig({});
		expect(config.host).toBe('127.0.0.1');
		expect(config.port).toBe(8080);
		expect(config.staticDir).toMatch(/[/\\]build$/);
		expect(config.turnTtlSeconds).toBe(43_200);
		expect(config.iceTransportPolicy).toBe('all');
		expect(config.roomVideoCap).toBe(12);
		expect(config.allowedOrigins).toBeNull();
		expect(config.redisUrl).toBeNull();
		expect(config.limits).toEqual(DEFAULT_LIMITS);
		expect(config.limits.maxConnectionsPerIp).toBeGreaterThanOrEqual(64);
		expect(config.limits.messageRate).toBeGreaterThanOrEqual(100);
		expect(config.limits.messageBurst).toBeGreaterThanOrEqual(200);
		expect(config.limits.maxSubscribersPerTopic).toBe(50);
		expect(config.limits.maxFrameBytes).toBe(65_536);
		expect(describeLimits(config.limits)).toContain('MAX_SUBSCRIBERS_PER_TOPIC=50');
	});

	it('reads lists, limits and origins', () => {
		const config = loadConfig({
			STUN_URLS: 'stun:stun.example.org:3478, stuns:stun.example.org:5349,',
			TURN_URLS: 'turn:turn.example.org:3478?transport=udp,turns:turn.example.org:5349',
			TURN_SECRET: 's3cret',
			ICE_TRANSPORT_POLICY: 'relay',
			ALLOWED_ORIGINS: 'https://meet.example.org, http://localhost:5173/',
			MESSAGE_RATE: '500',
			TRUST_PROXY: 'true',
			REDIS_URL: 'redis://127.0.0.1:6379'
		});
		expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
		expect(config.stunUrls).toEqual(['stun:stun.example.org:3478', 'stuns:stun.example.org:5349']);
		expect(config.turnUrls).toHaveLength(2);
		expect(config.allowedOrigins).toEqual(['https://meet.example.org', 'http://localhost:5173']);
		expect(config.limits.messageRate).toBe(500);
		expect(config.trustProxy).toBe(true);
	});

	it.each([
		[{ PORT: 'eighty' }, /PORT/],
		[{ PORT: '70000' }, /PORT/],
		[{ MAX_FRAME_BYTES: '0' }, /MAX_FRAME_BYTES/],
		[{ MESSAGE_RATE: '-5' }, /MESSAGE_RATE/],
		[{ STUN_URLS: 'https://stun.example.org' }, /STUN_URLS/],
		[{ TURN_URLS: 'turn:turn.example.org' }, /TURN_SECRET/],
		[{ ICE_TRANSPORT_POLICY: 'none' }, /ICE_TRANSPORT_POLICY/],
		[{ ICE_TRANSPORT_POLICY: 'relay' }, /TURN_URLS/],
		[{ ALLOWED_ORIGINS: 'ftp://x.org' }, /ALLOWED_ORIGINS/],
		[{ TRUST_PROXY: 'maybe' }, /TRUST_PROXY/],
		[{ REDIS_URL: 'localhost:6379' }, /REDIS_URL/],
		[{ REDIS_URL: 'http://redis.example.org' }, /REDIS_URL/]
	])('rejects %o', (env, message) => {
		expect(() => loadConfig(env)).toThrow(ConfigError);
		expect(() => loadConfig(env)).toThrow(message);
	});
});

describe('ICE configuration', () => {
	it('has no ICE servers at all unless configured', () => {
		expect(buildClientConfig(loadConfig({}), Date.now())).toEqual({
			iceServers: [],
			iceTransportPolicy: 'all',
			signaling: { yjs: '/yjs', peerjs: { path: '/peerjs', key: 'peerjs' } },
			room: { videoCap: 12 }
		});
	});

	it('mints coturn REST credentials: <expiry>:<id>, base64(HMAC-SHA1(secret, username))', () => {
		const now = Date.UTC(2030, 0, 1);
		const { username, credential } = mintTurnCredential('s3cret', 3600, now);
		const [expiry, id] = username.split(':');
		expect(Number(expiry)).toBe(now / 1000 + 3600);
		expect(id).toMatch(/^[A-Za-z0-9_-]{8,}$/);
		expect(credential).toBe(createHmac('sha1', 's3cret').update(username).digest('base64'));
		expect(mintTurnCredential('s3cret', 3600, now).username).not.toBe(username);
	});

	it('serves /config.json with fresh TURN credentials and no-store', async () => {
		const relay = await startRelay({
			STUN_URLS: 'stun:stun.example.org:3478',
			TURN_URLS: 'turn:turn.example.org:3478?transport=udp,turns:turn.example.org:5349',
			TURN_SECRET: 'coturn-static-auth-secret',
			TURN_TTL: '600',
			ROOM_VIDEO_CAP: '8'
		});
		try {
			const fetchConfig = async () => {
				const response = await fetch(`${relay.http}/config.json`);
				expect(response.status).toBe(200);
				expect(response.headers.get('cache-control')).toBe('no-store');
				expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
				return (await response.json()) as {
					iceServers: { urls: string[]; username?: string; credential?: string }[];
					iceTransportPolicy: string;
					room: { videoCap: number };
				};
			};
			const first = await fetchConfig();
			const second = await fetchConfig();
			expect(first.iceTransportPolicy).toBe('all');
			expect(first.room.videoCap).toBe(8);
			expect(first.iceServers[0]).toEqual({ urls: ['stun:stun.example.org:3478'] });
			const turn = first.iceServers[1];
			expect(turn?.urls).toEqual([
				'turn:turn.example.org:3478?transport=udp',
				'turns:turn.example.org:5349'
			]);
			const username = turn?.username ?? '';
			const expiry = Number(username.split(':')[0]);
			expect(expiry).toBeGreaterThan(Date.now() / 1000 + 590);
			expect(expiry).toBeLessThanOrEqual(Date.now() / 1000 + 600);
			expect(turn?.credential).toBe(
				createHmac('sha1', 'coturn-static-auth-secret').update(username).digest('base64')
			);
			expect(second.iceServers[1]?.username).not.toBe(username);
		} finally {
			await relay.close();
		}
	});
});

describe('Content-Security-Policy', () => {
	it('repeats the SvelteKit meta policy and adds frame-ancestors', () => {
		const html = `<head><meta http-equiv="content-security-policy" content="default-src 'self'; script-src 'self' 'sha256-abc=';"></head>`;
		expect(policyFromIndexHtml(html)).toBe(
			"default-src 'self'; script-src 'self' 'sha256-abc='; frame-ancestors 'none'"
		);
	});

	it('falls back to default-src self with the hashes of inline scripts', () => {
		const script = 'console.log(1)';
		const policy = policyFromIndexHtml(`<script src="/a.js"></script><script>${script}</script>`);
		expect(policy).toMatch(/^default-src 'self'; /);
		expect(policy).toContain(`'sha256-${createHash('sha256').update(script).digest('base64')}'`);
		expect(policy.match(/sha256-/g)).toHaveLength(1);
		expect(policy).toContain("frame-ancestors 'none'");
		expect(policyFromIndexHtml(null)).toMatch(/^default-src 'self'; script-src 'self';/);
	});
});
