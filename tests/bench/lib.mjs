// Helpers shared by the benchmarks in tests/bench/: statistics, environment knobs, timeouts, a
// cleanup registry with SIGINT/SIGTERM handling, the relay on a free loopback port serving a
// snapshot of `build/`, and the Chromium flags, context and page steps of the browser benches
// (join.mjs, mesh.mjs). Nothing here runs on import: no processes, no signal handlers.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/**
 * @typedef {import('@playwright/test').BrowserContextOptions} BrowserContextOptions
 * @typedef {import('@playwright/test').Page} Page
 */

/** The repository's root directory, with a trailing slash. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Media fixtures made by tests/tools/e2e.sh (`red.y4m`, `tone-440.wav`…), with a trailing slash. */
const MEDIA = `${ROOT}tests/.media/`;
/** The Chromium binary the browser benches drive: `CHROMIUM_PATH`, else `/usr/bin/chromium`. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Resolves after `ms` milliseconds.
 * @param {number} ms
 * @returns {Promise<void>}
 */
export const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Settles like `promise`, or rejects after `ms` with an error naming `what`
 * (`<what> took longer than <ms> ms`). `promise` itself is not cancelled.
 * @template T
 * @param {Promise<T>} promise
 * @param {number} ms
 * @param {string} what
 * @returns {Promise<T>}
 */
export async function withTimeout(promise, ms, what) {
	/** @type {ReturnType<typeof setTimeout> | undefined} */
	let timer;
	const timeout = new Promise((_, reject) => {
		timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
	});
	try {
		return /** @type {T} */ (await Promise.race([promise, timeout]));
	} finally {
		clearTimeout(timer);
	}
}

/**
 * Value at quantile `q` (0–1) by nearest rank: the smallest sample with at least `q` of the samples
 * at or below it (so p90 of 10 samples is the 9th, p99 of 20 the largest). `samples` is not
 * modified; NaN for none.
 * @param {number[]} samples
 * @param {number} q
 * @returns {number}
 */
export function quantile(samples, q) {
	const sorted = [...samples].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

/**
 * Median: the middle sample, or the mean of the middle two for an even count; NaN for none.
 * `samples` is not modified.
 * @param {number[]} samples
 * @returns {number}
 */
export function median(samples) {
	const sorted = [...samples].sort((a, b) => a - b);
	const mid = sorted.length >> 1;
	const at = (/** @type {number} */ i) => sorted[i] ?? NaN;
	return sorted.length % 2 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
}

/**
 * A number from the environment variable `name`, `fallback` when it is unset or empty.
 * @param {string} name
 * @param {number} fallback
 * @param {number} min
 * @param {boolean} integer whether only integers are allowed
 * @returns {number}
 * @throws Error when the value is not a finite number (an integer if `integer`) ≥ `min`.
 */
function envValue(name, fallback, min, integer) {
	const raw = process.env[name];
	if (raw === undefined || raw === '') return fallback;
	const value = Number(raw);
	if (!(integer ? Number.isInteger(value) : Number.isFinite(value)) || value < min) {
		throw new Error(
			`${name} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got "${raw}"`
		);
	}
	return value;
}

/**
 * An integer from the environment variable `name`, `fallback` when it is unset or empty.
 * @param {string} name
 * @param {number} fallback
 * @param {number} min
 * @returns {number}
 * @throws Error when the value is not an integer ≥ `min`.
 */
export const envInteger = (name, fallback, min) => envValue(name, fallback, min, true);

/**
 * A number from the environment variable `name`, `fallback` when it is unset or empty.
 * @param {string} name
 * @param {number} fallback
 * @param {number} min
 * @returns {number}
 * @throws Error when the value is not a finite number ≥ `min`.
 */
export const envNumber = (name, fallback, min) => envValue(name, fallback, min, false);

/**
 * A TCP port that was free on 127.0.0.1 a moment ago (the OS picks it; another process may take it
 * before the caller binds it).
 * @returns {Promise<number>}
 * @throws Error (rejects) when no socket can be bound on 127.0.0.1.
 */
export function freePort() {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			const port = typeof address === 'object' && address !== null ? address.port : 0;
			server.close(() => resolve(port));
		});
	});
}

/** Cleanup steps, run last-in first-out by {@link cleanUp}. @type {(() => Promise<void>)[]} */
const cleanups = [];
/** The one run of the cleanup steps, once started. @type {Promise<void> | undefined} */
let cleaning;
/** Set on SIGINT/SIGTERM by {@link runBench}. */
let interrupted = false;

/**
 * Registers a cleanup step (stop a process, close a browser, remove a directory) for
 * {@link cleanUp}; steps run newest first, and a step's rejection is ignored.
 * @param {() => Promise<void>} step
 */
export function addCleanup(step) {
	cleanups.push(step);
}

/**
 * Runs the registered cleanup steps, newest first, one at a time; once: later calls (the signal
 * handler and the end of the script can both ask) get the same run. Never rejects.
 * @returns {Promise<void>}
 */
export function cleanUp() {
	cleaning ??= (async () => {
		for (const step of cleanups.splice(0).reverse()) await step().catch(() => undefined);
	})();
	return cleaning;
}

/**
 * Whether SIGINT or SIGTERM arrived during {@link runBench}: failures from then on are the
 * cleanup's doing, not news.
 * @returns {boolean}
 */
export const isInterrupted = () => interrupted;

/**
 * Runs a bench's `main` as the script's body: on SIGINT/SIGTERM prints `<bench>: <signal>, cleaning
 * up` to stderr, cleans up and exits 130/143; when `main` rejects (and no signal came) prints
 * `<bench> failed: <message>` to stderr and sets `process.exitCode` to 1; cleans up in any case.
 * Never rejects.
 * @param {string} bench the bench's name in messages, e.g. `bench:join`
 * @param {() => Promise<void>} main
 * @returns {Promise<void>}
 */
export async function runBench(bench, main) {
	for (const [signal, code] of /** @type {const} */ ([
		['SIGINT', 130],
		['SIGTERM', 143]
	])) {
		process.once(signal, () => {
			interrupted = true;
			console.error(`${bench}: ${signal}, cleaning up`);
			void cleanUp().finally(() => process.exit(code));
		});
	}
	try {
		await main();
	} catch (error) {
		if (!interrupted)
			console.error(`${bench} failed: ${error instanceof Error ? error.message : String(error)}`);
		process.exitCode = 1;
	} finally {
		await cleanUp();
	}
}

/**
 * Builds the app and the relay (`npm run build`, output inherited) when `build/index.html` or
 * `signaling/dist/main.js` is missing, saying so first as `<bench>: build/ or signaling/dist/ is
 * missing: npm run build`.
 * @param {string} bench the bench's name in messages, e.g. `bench:join`
 * @throws Error when the build exits non-zero.
 */
export function buildIfMissing(bench) {
	if (existsSync(`${ROOT}build/index.html`) && existsSync(`${ROOT}signaling/dist/main.js`)) return;
	console.log(`${bench}: build/ or signaling/dist/ is missing: npm run build`);
	const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
	if (result.status !== 0) throw new Error(`npm run build failed (exit ${result.status})`);
}

/**
 * A copy of `build/` in a new temporary directory (`confer-bench-<name>-XXXXXX`, removed by
 * {@link cleanUp}), so that a rebuild in the working tree during the bench cannot serve the
 * browsers a half-written app.
 * @param {string} bench the bench's name, e.g. `bench:join`
 * @returns {string} the directory's path
 * @throws Error when `build/` cannot be copied or had no `index.html` when copied.
 */
export function snapshotBuild(bench) {
	const dir = mkdtempSync(join(tmpdir(), `confer-${bench.replace(':', '-')}-`));
	addCleanup(async () => rmSync(dir, { recursive: true, force: true }));
	cpSync(`${ROOT}build`, dir, { recursive: true });
	if (!existsSync(join(dir, 'index.html'))) {
		throw new Error('build/ changed while it was copied (is a build running?): try again');
	}
	return dir;
}

/**
 * Starts the relay (`node signaling/dist/main.js`, loaded once at start) serving `staticDir` on a
 * free loopback port. Stopping it is a cleanup step (SIGTERM, then SIGKILL after `stopTimeoutMs`);
 * if this process exits first, the relay is killed.
 * @param {string} staticDir
 * @param {{ stopTimeoutMs?: number }} [options] `stopTimeoutMs`: ms given to exit on SIGTERM
 *   (default 5000)
 * @returns {Promise<string>} its origin (`http://127.0.0.1:PORT`), once it prints
 *   `listening on http://…`
 * @throws Error (rejects) when it exits or does not listen within 15 s; the message ends with
 *   its output.
 */
export async function startRelay(staticDir, { stopTimeoutMs = 5000 } = {}) {
	const port = await freePort();
	const child = spawn(process.execPath, ['signaling/dist/main.js'], {
		cwd: ROOT,
		env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', STATIC_DIR: staticDir },
		stdio: ['ignore', 'pipe', 'pipe']
	});
	let output = '';
	const exited = new Promise((resolve) => child.once('exit', resolve));
	const running = () => child.exitCode === null && child.signalCode === null;
	addCleanup(async () => {
		if (running()) child.kill('SIGTERM');
		await withTimeout(exited, stopTimeoutMs, 'stopping the relay').catch(() =>
			child.kill('SIGKILL')
		);
	});
	// Last resort if this process exits before the cleanup is done.
	process.once('exit', () => {
		if (running()) child.kill('SIGKILL');
	});
	return withTimeout(
		new Promise((resolve, reject) => {
			/** @param {Buffer} chunk */
			const onData = (chunk) => {
				output += chunk.toString();
				const match = /listening on (http:\/\/\S+)/.exec(output);
				if (match?.[1]) resolve(match[1].replace(/\/$/, ''));
			};
			child.stdout.on('data', onData);
			child.stderr.on('data', onData);
			child.once('error', reject);
			void exited.then(() => reject(new Error(`the relay exited early:\n${output}`)));
		}),
		15_000,
		'starting the relay'
	).catch((error) => {
		throw new Error(`${error.message}\nrelay output:\n${output}`);
	});
}

/**
 * The path of a fixture file in tests/.media/.
 * @param {string} name e.g. `red.y4m`, `tone-440.wav`
 * @param {string} bench the bench's npm script, named in the error, e.g. `bench:join`
 * @returns {string}
 * @throws Error when the file is missing (tests/tools/e2e.sh makes it).
 */
function mediaFile(name, bench) {
	const file = MEDIA + name;
	if (!existsSync(file)) {
		throw new Error(`${file} is missing: run \`npm run ${bench}\`, which makes it`);
	}
	return file;
}

/**
 * Chromium flags for one person, as tests/e2e/support/participant.ts `participantArgs`: fake
 * devices (the camera from a colour fixture, or without `video` Chromium's own moving pattern; the
 * microphone from a tone fixture), autoplay with sound, loopback ICE, quiet on a closed network;
 * `--no-sandbox` when running as root.
 * @param {{ bench: string, tone: number, video?: string }} person `bench`: the npm script that
 *   makes the fixtures, e.g. `bench:join`; `tone`: microphone tone fixture, Hz; `video`: camera
 *   colour fixture (`red`, `blue`…)
 * @returns {string[]}
 * @throws Error when a fixture file is missing.
 */
export function participantArgs({ bench, tone, video }) {
	const args = [
		'--use-fake-ui-for-media-stream',
		'--use-fake-device-for-media-stream',
		'--autoplay-policy=no-user-gesture-required',
		'--allow-loopback-in-peer-connection',
		'--disable-background-networking',
		'--disable-component-update',
		'--disable-sync',
		'--no-first-run',
		'--disable-quic'
	];
	if (video !== undefined) {
		args.push(`--use-file-for-fake-video-capture=${mediaFile(`${video}.y4m`, bench)}`);
	}
	args.push(`--use-file-for-fake-audio-capture=${mediaFile(`tone-${tone}.wav`, bench)}`);
	if (process.getuid?.() === 0) args.push('--no-sandbox');
	return args;
}

/**
 * Options of one person's browser context: `baseURL`, a 1280×800 viewport, camera and microphone
 * allowed, service workers on.
 * @param {string} baseURL the relay's origin
 * @returns {BrowserContextOptions}
 */
export function contextOptions(baseURL) {
	return {
		baseURL,
		viewport: { width: 1280, height: 800 },
		permissions: ['camera', 'microphone'],
		serviceWorkers: 'allow'
	};
}

/**
 * Appends `page`'s console errors and uncaught exceptions to `errors`, as
 * `<name>: console.error: <text>` and `<name>: pageerror: <message>`.
 * @param {Page} page
 * @param {string} name the person, in the messages
 * @param {string[]} errors
 */
export function collectErrors(page, name, errors) {
	page.on('console', (message) => {
		if (message.type() === 'error') errors.push(`${name}: console.error: ${message.text()}`);
	});
	page.on('pageerror', (error) => errors.push(`${name}: pageerror: ${error.message}`));
}

/**
 * Opens the home page (relative to the context's `baseURL`) and starts a new meeting; resolves
 * with the meeting's link once its prejoin screen ("Join now") shows.
 * @param {Page} page
 * @returns {Promise<string>}
 * @throws Error (rejects) on Playwright's timeouts when a step does not happen.
 */
export async function startMeeting(page) {
	await page.goto('/');
	await page.getByRole('button', { name: 'New meeting' }).click();
	await page.getByRole('button', { name: 'Join now' }).waitFor();
	return page.url();
}

/**
 * From the prejoin screen: types `name`, clicks "Join now" and waits for the call controls.
 * @param {Page} page on a meeting's prejoin screen
 * @param {string} name
 * @returns {Promise<void>}
 * @throws Error (rejects) on Playwright's timeouts when a step does not happen.
 */
export async function joinCall(page, name) {
	await page.getByRole('textbox', { name: 'Your name' }).fill(name);
	await page.getByRole('button', { name: 'Join now' }).click();
	await page.getByRole('toolbar', { name: 'Call controls' }).waitFor();
}

/**
 * Every process in /proc: its parent and its CPU so far (utime + stime + cutime + cstime, clock
 * ticks; proc(5)). Processes that vanish while being read are left out.
 * @returns {Map<number, { ppid: number, ticks: number }>}
 */
export function processTable() {
	/** @type {Map<number, { ppid: number, ticks: number }>} */
	const table = new Map();
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		let stat;
		try {
			stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
		} catch {
			continue;
		}
		// Fields after the command name, which is in parentheses and may itself hold spaces or ')'.
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		// fields[0] is field 3 (state): ppid is field 4, utime…cstime fields 14–17.
		const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
		table.set(Number(entry), { ppid: Number(fields[1]), ticks });
	}
	return table;
}

/**
 * `root` and all its descendants in `table`.
 * @param {Map<number, { ppid: number, ticks: number }>} table
 * @param {number} root
 * @returns {number[]}
 */
export function processTree(table, root) {
	/** @type {Map<number, number[]>} */
	const children = new Map();
	for (const [pid, { ppid }] of table) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
	const tree = [];
	const queue = table.has(root) ? [root] : [];
	while (queue.length > 0) {
		const pid = /** @type {number} */ (queue.shift());
		tree.push(pid);
		queue.push(...(children.get(pid) ?? []));
	}
	return tree;
}

/**
 * Sends SIGKILL to `root` and its descendants (a browser that would not close).
 * @param {number} root
 */
export function killTree(root) {
	for (const pid of processTree(processTable(), root).reverse()) {
		try {
			process.kill(pid, 'SIGKILL');
		} catch {
			// Already gone.
		}
	}
}

/** The machine's CPU so far (/proc/stat `cpu` line), clock ticks summed over all cores. */
export function machineTicks() {
	const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
	const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] =
		line.trim().split(/\s+/).slice(1).map(Number);
	const busy = user + nice + system + irq + softirq + steal;
	return { busy, total: busy + idle + iowait };
}

/**
 * CPU so far of the process tree of `root`, clock ticks.
 * @param {number} root
 */
export function treeTicks(root) {
	const table = processTable();
	return processTree(table, root).reduce((sum, pid) => sum + (table.get(pid)?.ticks ?? 0), 0);
}

/** Clock ticks per second (`getconf CLK_TCK`; 100 on Linux when getconf is missing). */
export function clockTicks() {
	const result = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
	const ticks = Number(result.stdout?.trim());
	return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
}
