import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { freePort, waitForTcp } from './net.js';

/** A `redis-server` from Debian's package on a free loopback port, without persistence. */
export interface TestRedis {
	/** `redis://127.0.0.1:<port>` */
	url: string;
	/** Stops it (SIGTERM) and waits until it has exited. */
	stop(): Promise<void>;
	/** Starts it again on the same port, after {@link stop}. */
	start(): Promise<void>;
}

/**
 * Starts `redis-server` (tests/tools/test.sh installs it) on a free loopback port, with no
 * snapshots and no append-only file: the relay cluster keeps nothing in Redis worth saving.
 * @throws Error when it does not accept connections within 10 s.
 */
export async function startRedis(): Promise<TestRedis> {
	const port = await freePort();
	let child: ChildProcess | null = null;
	const start = async () => {
		child = spawn(
			'redis-server',
			['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
			{ stdio: 'ignore' }
		);
		await waitForTcp('127.0.0.1', port);
	};
	const stop = async () => {
		const running = child;
		child = null;
		if (!running || running.exitCode !== null) return;
		const exited = once(running, 'exit');
		running.kill('SIGTERM');
		await exited;
	};
	await start();
	return { url: `redis://127.0.0.1:${port}`, stop, start };
}
