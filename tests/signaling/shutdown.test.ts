import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect as netConnect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { connect, createFixtureSite } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Started {
	child: ChildProcess;
	http: string;
	ws: string;
	output: () => string;
}

/** Spawns the compiled relay on a free port and waits for its "listening on" line. */
async function spawnRelay(): Promise<Started> {
	const child = spawn(process.execPath, ['signaling/dist/main.js'], {
		cwd: ROOT,
		env: { ...process.env, HOST: '127.0.0.1', PORT: '0', STATIC_DIR: createFixtureSite() },
		stdio: ['ignore', 'pipe', 'pipe']
	});
	let output = '';
	child.stderr?.on('data', (chunk: Buffer) => (output += String(chunk)));
	const url = await new Promise<string>((resolve, reject) => {
		child.stdout?.on('data', (chunk: Buffer) => {
			output += String(chunk);
			const match = /listening on (http:\/\/\S+)/.exec(output);
			if (match?.[1] && output.includes('limits:')) resolve(match[1].replace(/\/$/, ''));
		});
		child.once('exit', (code) => reject(new Error(`relay exited with ${code}: ${output}`)));
	});
	return { child, http: url, ws: url.replace(/^http/, 'ws'), output: () => output };
}

describe('graceful shutdown of the compiled relay', () => {
	beforeAll(() => {
		execFileSync(
			process.execPath,
			['node_modules/typescript/bin/tsc', '-p', 'signaling/tsconfig.json'],
			{
				cwd: ROOT,
				stdio: 'inherit'
			}
		);
	}, 60_000);

	it('prints its URL and effective limits at start-up', async () => {
		const relay = await spawnRelay();
		expect(relay.output()).toMatch(/^Confer relay listening on http:\/\/127\.0\.0\.1:\d+\/$/m);
		expect(relay.output()).toContain('MAX_CONNECTIONS_PER_IP=128');
		expect((await fetch(`${relay.http}/healthz`)).status).toBe(200);
		relay.child.kill('SIGINT');
		const [code] = (await once(relay.child, 'exit')) as [number];
		expect(code).toBe(0);
	});

	it.each(['SIGTERM', 'SIGINT'] as const)(
		'on %s closes WebSockets with 1001 and exits within 5 s, even with an unresponsive client',
		async (signal) => {
			const relay = await spawnRelay();
			const yjs = await connect(`${relay.ws}/yjs`);
			const peer = await connect(`${relay.ws}/peerjs/peerjs?key=peerjs&id=p1&token=t1`);
			const stalled = netConnect(Number(new URL(relay.http).port), '127.0.0.1');
			stalled.on('error', () => undefined);
			stalled.write(
				'GET /yjs HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
					'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'
			);
			await once(stalled, 'data');
			const started = Date.now();
			relay.child.kill(signal);
			const [exit, yjsClosed, peerClosed] = await Promise.all([
				once(relay.child, 'exit') as Promise<[number | null]>,
				yjs.closed,
				peer.closed
			]);
			expect(Date.now() - started).toBeLessThan(5000);
			expect(exit[0]).toBe(0);
			expect(yjsClosed.code).toBe(1001);
			expect(peerClosed.code).toBe(1001);
			stalled.destroy();
		}
	);
});
