import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './net.js';

/** A relay started by {@link startRelay}. */
export interface Relay {
	/** Its origin as it printed it, e.g. `http://127.0.0.1:40321`. */
	url: string;
	/** Everything it printed so far, for failure messages. */
	log(): string;
	/** Its port, to start it again at the same address after {@link kill}. */
	port: number;
	/** Stops it (SIGTERM) and waits for it to exit. */
	stop(): Promise<void>;
	/** Kills it with SIGKILL, as a crash would (no goodbye to any client), and waits for it to exit. */
	kill(): Promise<void>;
}

/** Options of {@link startRelay}. */
export interface RelayOptions {
	/** Listen on this port (default: a free one), e.g. to restart a relay where it was. */
	port?: number;
	/** How long to wait for its `listening on` line (default 15 s). */
	timeoutMs?: number;
}

const root = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Starts a second relay, `node signaling/dist/main.js` from the built app, on a free loopback port
 * (or `options.port`) with extra environment (e.g. `{ TURN_URLS, TURN_SECRET, ICE_TRANSPORT_POLICY: 'relay' }`), for tests
 * that need a configuration other than the one playwright.config.ts starts. Resolves with the URL
 * from its `listening on http://…` line.
 * @throws Error when the relay exits or prints no such line within `options.timeoutMs`.
 */
export async function startRelay(
	env: Record<string, string> = {},
	{ port: fixedPort, timeoutMs = 15_000 }: RelayOptions = {}
): Promise<Relay> {
	const port = fixedPort ?? (await freePort());
	const child = spawn(process.execPath, ['signaling/dist/main.js'], {
		cwd: root,
		env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...env },
		stdio: ['ignore', 'pipe', 'pipe']
	});
	let output = '';
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	const end = async (signal: NodeJS.Signals): Promise<void> => {
		if (child.exitCode === null && child.signalCode === null) child.kill(signal);
		await exited;
	};
	const stop = () => end('SIGTERM');
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
		return { url, port, log: () => output, stop, kill: () => end('SIGKILL') };
	} catch (error) {
		await stop();
		throw error;
	}
}
