import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForTcp } from './net.js';

/** A running coturn, from {@link startCoturn}. */
export interface Coturn {
	/** TURN URL over UDP, e.g. `turn:127.0.0.1:40123?transport=udp`. */
	url: string;
	/** Shared secret of coturn's TURN REST API (`--static-auth-secret`), for the relay's TURN_SECRET. */
	secret: string;
	/** coturn's output so far, for failure messages. */
	log(): string;
	/** Stops coturn and waits for it to exit. */
	stop(): Promise<void>;
}

/**
 * Starts Debian's coturn on a random loopback port with a random secret, relaying on loopback only
 * (ARCHITECTURE.md, "Tests"): time-limited credentials (`--use-auth-secret`, realm `confer.test`),
 * no TLS, no DTLS, no CLI, no configuration file. Resolves once it accepts TCP connections on the
 * port (it listens on UDP and TCP together).
 * @throws Error when `turnserver` is missing or does not listen within 10 s.
 */
export async function startCoturn(): Promise<Coturn> {
	const port = await freePort();
	const secret = randomBytes(18).toString('base64url');
	const dir = mkdtempSync(join(tmpdir(), 'confer-coturn-'));
	const child = spawn(
		'turnserver',
		[
			'-n',
			'--log-file=stdout',
			'--simple-log',
			`--listening-port=${port}`,
			'--listening-ip=127.0.0.1',
			'--relay-ip=127.0.0.1',
			'--allow-loopback-peers',
			'--use-auth-secret',
			`--static-auth-secret=${secret}`,
			'--realm=confer.test',
			'--no-tls',
			'--no-dtls',
			'--no-cli',
			`--pidfile=${join(dir, 'turnserver.pid')}`,
			`--userdb=${join(dir, 'turndb')}`
		],
		{ stdio: ['ignore', 'pipe', 'pipe'] }
	);
	let output = '';
	child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
	child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	const failed = new Promise<never>((_, reject) => {
		child.once('error', reject);
		void exited.then(() => reject(new Error(`turnserver exited early:\n${output}`)));
	});
	const stop = async (): Promise<void> => {
		if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
		await exited;
		rmSync(dir, { recursive: true, force: true });
	};
	try {
		await Promise.race([waitForTcp('127.0.0.1', port), failed]);
	} catch (error) {
		await stop();
		throw error;
	}
	failed.catch(() => undefined);
	return { url: `turn:127.0.0.1:${port}?transport=udp`, secret, log: () => output, stop };
}

/**
 * TURN REST API credentials (draft-uberti-behave-turn-rest-00, as coturn's `--use-auth-secret`
 * checks them): username `<expiry unix seconds>:<user>`, credential base64(HMAC-SHA1(secret, username)).
 * For tests that talk to coturn without the relay.
 */
export function turnCredentials(
	secret: string,
	user = 'test',
	ttlSeconds = 3600
): { username: string; credential: string } {
	const username = `${Math.floor(Date.now() / 1000) + ttlSeconds}:${user}`;
	const credential = createHmac('sha1', secret).update(username).digest('base64');
	return { username, credential };
}
