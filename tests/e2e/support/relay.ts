import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './net.js';

/** A relay started by {@link startRelay}. */
export interface Relay {
	/** Its origin as it printed it, e.g. `http://127.0.0.1:40321`. */
	url: string;
	/** Everything it printed so far, for failure messages. */
	log(): string;
	/** Stops it (SIGTERM) and waits for it to exit. */
	stop(): Promise<void>;
}

const root = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Starts a second relay, `node signaling/dist/main.js` from the built app, on a free loopback port
 * with extra environment (e.g. `{ TURN_URLS, TURN_SECRET, ICE_TRANSPORT_POLICY: 'relay' }`), for tests
 * that need a configuration other than the one playwright.config.ts starts. Resolves with the URL
 * from its `listening on http://…` line.
 * @throws Error when the relay exits or prints no such line within `timeoutMs` (default 15 s).
 */
export async function startRelay(
	env: Record<string, string> = {},
	timeoutMs = 15_000
): Promise<Relay> {
	const port = await freePort();
	const child = spawn(process.execPath, ['signaling/dist/main.js'], {
		cwd: root,
		env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...env },
		stdio: ['ignore', 'pipe', 'pipe']
	});
	let output = '';
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	const stop = async (): Promise<void> => {
		if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
		await exited;
	};
	try {
		const url = await new Promise<string>((resolve, reject) => {
			const timer = setTimeout(
				() => reject(new Error(`relay printed no "listening on" line:\n${output}`)),
				timeoutMs
			);
			const onData = (chunk: Buffer): void => {
				output += chunk.toString();
				const match = /listening on (http:\/\/\S+)/.exec(output);
				if (match?.[1]) {
					clearTimeout(timer);
					resolve(match[1].replace(/\/$/, ''));
				}
			};
			child.stdout.on('data', onData);
			child.stderr.on('data', onData);
			child.once('error', reject);
			void exited.then(() => {
				clearTimeout(timer);
				reject(new Error(`relay exited early:\n${output}`));
			});
		});
		return { url, log: () => output, stop };
	} catch (error) {
		await stop();
		throw error;
	}
}
