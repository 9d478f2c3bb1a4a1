// `npm run bench:mesh`: what a mesh call costs each participant's machine as the room grows, and
// what mesh adaptation (src/lib/media/adaptation.ts) saves, side by side in one run. Prints
// figures, asserts nothing; exits non-zero only when something broke.
//
// For 2 to 6 people, each with adaptation on and off (10 scenarios): one headless Chromium process
// per scenario, in which each person has a context of their own (a separate profile, with its own
// storage, renderer and WebRTC stack; Chromium's built-in fake camera, a moving test pattern, at
// the size the app asks for), and our relay (`node signaling/dist/main.js`) on loopback. One
// process for everyone, because a browser process per person brings a GPU, audio and network
// process each: on 2 cores that plumbing alone saturated the machine from 5 people on. Run
// through `bash tests/tools/e2e.sh bench:mesh`, which makes the tone fixtures and,
// as root, a loopback-only network namespace (ARCHITECTURE.md, "Tests"). Adaptation off:
// `localStorage['confer-adaptation'] = 'off'` before the app loads (src/lib/meeting/
// meeting.svelte.ts reads it when joining; off, every room gets the 1–3 person profile).
//
// Per scenario: everyone joins one new meeting, back to back; the time from the last join to the
// full mesh (every page shows a playing video in the tile of every other person) is the first
// figure. Then SETTLE_S seconds for congestion control to ramp up (on loopback it still
// starts near 300 kbit/s and climbs for tens of seconds on a busy machine), then a window of
// WINDOW_S seconds over which we take:
// - CPU per person: utime + stime (+ cutime + cstime, so processes that exit mid-window still
//   count) of the browser's whole process tree from /proc/<pid>/stat, in clock ticks (`getconf
//   CLK_TCK`), over the window, divided by the people in it; printed as CPU seconds per second of
//   call (1.00 = one core busy). Playwright's `Browser` has no process id, so the browser is
//   started with `chromium.launchServer`, whose `process()` is the Chromium main process. Also
//   the machine's busy share of all cores (/proc/stat), which counts anything else running too.
// - From `getStats` on every RTCPeerConnection with video (an init script records them; y-webrtc's
//   data-only connections have no RTP statistics and are skipped): received frames per second per
//   remote tile (inbound-rtp `framesDecoded`), sent frames per second, sent kbit/s per peer
//   (outbound-rtp `bytesSent`), the encoded height (outbound-rtp `frameHeight`), the sender's
//   bitrate cap (`maxBitrate` of its encoding), and the shares of the window the encoder was held
//   back by CPU and by bandwidth (`qualityLimitationDurations`).
//
// Env: WINDOW_S (default 15) measuring window, SETTLE_S (default 10) wait before it, SIZES
// (default "2,3,4,5,6") room sizes, 2–6.
import { chromium } from '@playwright/test';
import { cpus } from 'node:os';
import {
	CHROMIUM,
	addCleanup,
	buildIfMissing,
	clockTicks,
	collectErrors,
	contextOptions,
	delay,
	envNumber,
	isInterrupted,
	joinCall,
	killTree,
	machineTicks,
	participantArgs,
	runBench,
	snapshotBuild,
	startMeeting,
	startRelay,
	treeTicks,
	withTimeout
} from './lib.mjs';

/** Up to six people. */
const PEOPLE = /** @type {const} */ (['Ann', 'Ben', 'Cai', 'Dee', 'Eve', 'Fay']);
/** The microphone's tone (tests/.media/tone-HZ.wav), the same for everyone in one browser. */
const TONE = 440;
/** Upper bound of one scenario, ms, plus {@link SCENARIO_BUDGET_PER_PERSON_MS} per person. */
const SCENARIO_BUDGET_MS = 60_000;
const SCENARIO_BUDGET_PER_PERSON_MS = 30_000;
/** Machine busy share (0–1) from which CPU figures are capped by the cores, not by the work. */
const SATURATED = 0.95;
/** Least time given to launching everyone, joining and waiting for every call, ms. */
const MIN_SETUP_TIMEOUT_MS = 30_000;
/** Upper bound of closing a scenario's browsers, ms. */
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * @typedef {import('@playwright/test').BrowserServer} BrowserServer
 * @typedef {import('@playwright/test').Page} Page
 * @typedef {{ name: string, page: Page, errors: string[] }} Person
 * @typedef {{ at: number, frames: number }} Inbound inbound-rtp video of one connection; `at`: ms
 * @typedef {{ at: number, bytes: number, frames: number, height: number, cpuLimitedS: number,
 *   bandwidthLimitedS: number, maxBitrate: number | null }} Outbound outbound-rtp video of one
 *   connection; `at`: ms; `…LimitedS`: seconds so far the encoder was held back by CPU or by
 *   bandwidth; `maxBitrate`: the sender's cap, bit/s
 * @typedef {{ pc: number, inbound: Inbound | null, outbound: Outbound | null }} PcStats one
 *   RTCPeerConnection with video, by its index in `window.__pcs`
 * @typedef {{ recvFps: number[], sentFps: number[], kbps: number[], heights: number[],
 *   cpuLimited: number[], bandwidthLimited: number[], caps: (number | null)[] }} Figures one
 *   person's, per remote tile or per sending connection; `…Limited`: 0–1
 * @typedef {{ size: number, adapt: boolean, meshMs: number, cpuPerPerson: number, machineBusy: number,
 *   recvFps: number[], sentFps: number[], kbps: number[], heights: number[], cpuLimited: number[],
 *   bandwidthLimited: number[], caps: (number | null)[], camera: string }} Result per tile or per
 *   sending connection; `cpuPerPerson`: CPU s/s; `machineBusy`, `…Limited`: 0–1
 */

/** Browsers running now, closed at cleanup if a scenario did not close them. */
const openBrowsers = /** @type {Set<BrowserServer>} */ (new Set());

/**
 * Room sizes from `SIZES` (comma-separated, each 2–6), default 2 to 6.
 * @throws Error on anything else.
 */
function envSizes() {
	const raw = process.env.SIZES?.trim() || '2,3,4,5,6';
	const sizes = raw.split(',').map(Number);
	if (!sizes.every((n) => Number.isInteger(n) && n >= 2 && n <= PEOPLE.length)) {
		throw new Error(`SIZES must list room sizes from 2 to ${PEOPLE.length}, got "${raw}"`);
	}
	return sizes;
}

/** Arithmetic mean; NaN for none. @param {number[]} values */
const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;

/**
 * In every page, before the app: the adaptation switch (`'off'` stored, or removed so the app's
 * default, on, applies), and every RTCPeerConnection kept in `window.__pcs` (as tests/e2e/app.ts
 * `recordPeerConnections`).
 * @param {boolean} adapt
 */
function pageInitScript(adapt) {
	try {
		if (adapt) localStorage.removeItem('confer-adaptation');
		else localStorage.setItem('confer-adaptation', 'off');
	} catch {
		// No storage on this page (about:blank): the app's pages have it.
	}
	const Native = window.RTCPeerConnection;
	/** @type {RTCPeerConnection[]} */
	const pcs = [];
	Object.defineProperty(window, '__pcs', { value: pcs });
	window.RTCPeerConnection = class extends Native {
		/** @param {RTCConfiguration} [config] */
		constructor(config) {
			super(config);
			pcs.push(this);
		}
	};
}

/**
 * Launches the browser of one scenario: a headless Chromium process driven over Playwright's
 * browser server, so that its process id is known.
 * @returns {Promise<{ server: BrowserServer, pid: number, browser: import('@playwright/test').Browser }>}
 * @throws Error when the browser does not start or has no process id.
 */
async function launchBrowser() {
	const server = await chromium.launchServer({
		executablePath: CHROMIUM,
		headless: true,
		host: '127.0.0.1',
		args: participantArgs({ bench: 'bench:mesh', tone: TONE }),
		// Our own SIGINT/SIGTERM handler closes the browsers and then stops the relay.
		handleSIGINT: false,
		handleSIGTERM: false,
		handleSIGHUP: false
	});
	openBrowsers.add(server);
	const pid = server.process().pid;
	if (pid === undefined) throw new Error('the browser has no process id');
	return { server, pid, browser: await chromium.connect(server.wsEndpoint()) };
}

/**
 * One person: a context of their own in `browser`, on the relay's origin, with one page.
 * @param {import('@playwright/test').Browser} browser
 * @param {string} name
 * @param {string} baseURL
 * @param {boolean} adapt
 * @returns {Promise<Person>}
 */
async function openPerson(browser, name, baseURL, adapt) {
	const context = await browser.newContext(contextOptions(baseURL));
	await context.addInitScript(pageInitScript, adapt);
	const page = await context.newPage();
	/** @type {string[]} */
	const errors = [];
	collectErrors(page, name, errors);
	return { name, page, errors };
}

/**
 * Closes `browsers` (bounded by {@link CLOSE_TIMEOUT_MS}; a browser that hangs is killed with its
 * child processes).
 * @param {BrowserServer[]} browsers
 */
async function closeBrowsers(browsers) {
	await Promise.all(
		browsers.map(async (server) => {
			openBrowsers.delete(server);
			await withTimeout(server.close(), CLOSE_TIMEOUT_MS, 'closing a browser').catch(() => {
				const pid = server.process().pid;
				if (pid !== undefined) killTree(pid);
			});
		})
	);
}

/**
 * Waits until `page` shows `others` remote tiles (figures not named "… (you)") whose `<video>` has
 * frames (`videoWidth` > 0).
 * @param {Page} page
 * @param {number} others
 * @param {number} timeout ms
 */
async function waitForRemoteVideos(page, others, timeout) {
	await page.waitForFunction(
		(others) => {
			const playing = [...document.querySelectorAll('figure')].filter((figure) => {
				const name = figure.querySelector('figcaption')?.textContent?.trim() ?? '';
				const video = figure.querySelector('video');
				return !name.endsWith('(you)') && video !== null && video.videoWidth > 0;
			});
			return playing.length >= others;
		},
		others,
		{ timeout, polling: 250 }
	);
}

/**
 * What `person` sees, for failure messages: each tile's name and video size, and the state of each
 * RTCPeerConnection.
 * @param {Person} person
 * @returns {Promise<string>}
 */
async function describeCall({ name, page }) {
	const seen = await withTimeout(
		page.evaluate(() => {
			const tiles = [...document.querySelectorAll('figure')].map((figure) => {
				const video = figure.querySelector('video');
				const caption = figure.querySelector('figcaption')?.textContent?.trim();
				return `${caption}: ${video ? `${video.videoWidth}×${video.videoHeight}` : 'no video'}`;
			});
			const pcs = /** @type {RTCPeerConnection[]} */ (/** @type {any} */ (window).__pcs ?? []);
			const states = pcs.map(
				(pc) => `${pc.connectionState}/${pc.getReceivers().filter((r) => r.track).length}`
			);
			return `tiles [${tiles.join(', ')}], connections (state/receivers) [${states.join(' ')}]`;
		}),
		5000,
		'reading the page'
	).catch((error) => `unreadable (${error.message})`);
	return `  ${name}: ${seen}`;
}

/**
 * Video statistics of every RTCPeerConnection of `page` that sends or receives video.
 * @param {Page} page
 * @returns {Promise<PcStats[]>}
 */
async function videoStats(page) {
	return page.evaluate(async () => {
		const pcs = /** @type {RTCPeerConnection[]} */ (/** @type {any} */ (window).__pcs ?? []);
		/** @type {PcStats[]} */
		const result = [];
		for (const [index, pc] of pcs.entries()) {
			if (pc.connectionState === 'closed') continue;
			/** @type {Inbound | null} */
			let inbound = null;
			/** @type {Outbound | null} */
			let outbound = null;
			(await pc.getStats()).forEach((/** @type {Record<string, any>} */ s) => {
				if (s.kind !== 'video') return;
				if (s.type === 'inbound-rtp') {
					inbound = { at: s.timestamp, frames: (inbound?.frames ?? 0) + (s.framesDecoded ?? 0) };
				} else if (s.type === 'outbound-rtp') {
					outbound = {
						at: s.timestamp,
						bytes: (outbound?.bytes ?? 0) + (s.bytesSent ?? 0),
						frames: (outbound?.frames ?? 0) + (s.framesEncoded ?? 0),
						height: Math.max(outbound?.height ?? 0, s.frameHeight ?? 0),
						cpuLimitedS: (outbound?.cpuLimitedS ?? 0) + (s.qualityLimitationDurations?.cpu ?? 0),
						bandwidthLimitedS:
							(outbound?.bandwidthLimitedS ?? 0) + (s.qualityLimitationDurations?.bandwidth ?? 0),
						maxBitrate: null
					};
				}
			});
			if (outbound) {
				const sender = pc.getSenders().find((s) => s.track?.kind === 'video');
				/** @type {Outbound} */ (outbound).maxBitrate =
					sender?.getParameters().encodings[0]?.maxBitrate ?? null;
			}
			if (inbound || outbound) result.push({ pc: index, inbound, outbound });
		}
		return result;
	});
}

/**
 * The local camera track's size and frame rate, e.g. `640×480@30`.
 * @param {Page} page
 * @returns {Promise<string>}
 */
async function cameraSettings(page) {
	return page.evaluate(() => {
		const pcs = /** @type {RTCPeerConnection[]} */ (/** @type {any} */ (window).__pcs ?? []);
		for (const pc of pcs) {
			const track = pc.getSenders().find((s) => s.track?.kind === 'video')?.track;
			if (!track) continue;
			const { width, height, frameRate } = track.getSettings();
			return `${width}×${height}@${Math.round(frameRate ?? 0)}`;
		}
		return '?';
	});
}

/**
 * One person's figures over `windowMs`: per connection with video, what arrived and what was sent.
 * @param {Person} person
 * @param {number} windowMs
 * @param {number} peers connections that must carry video both ways through the window
 * @returns {Promise<Figures>}
 * @throws Error when fewer or more than `peers` connections carried video.
 */
async function measurePerson({ name, page }, windowMs, peers) {
	const before = new Map((await videoStats(page)).map((s) => [s.pc, s]));
	await delay(windowMs);
	const after = await videoStats(page);
	/** @type {Figures} */
	const figures = {
		recvFps: [],
		sentFps: [],
		kbps: [],
		heights: [],
		cpuLimited: [],
		bandwidthLimited: [],
		caps: []
	};
	for (const { pc, inbound, outbound } of after) {
		const earlier = before.get(pc);
		const inbound0 = earlier?.inbound;
		if (inbound && inbound0) {
			const s = (inbound.at - inbound0.at) / 1000;
			figures.recvFps.push((inbound.frames - inbound0.frames) / s);
		}
		const outbound0 = earlier?.outbound;
		if (outbound && outbound0) {
			const s = (outbound.at - outbound0.at) / 1000;
			figures.sentFps.push((outbound.frames - outbound0.frames) / s);
			figures.kbps.push(((outbound.bytes - outbound0.bytes) * 8) / 1000 / s);
			figures.heights.push(outbound.height);
			figures.cpuLimited.push((outbound.cpuLimitedS - outbound0.cpuLimitedS) / s);
			figures.bandwidthLimited.push((outbound.bandwidthLimitedS - outbound0.bandwidthLimitedS) / s);
			figures.caps.push(outbound.maxBitrate);
		}
	}
	if (figures.recvFps.length !== peers || figures.sentFps.length !== peers) {
		throw new Error(
			`${name} received video on ${figures.recvFps.length} and sent on ` +
				`${figures.sentFps.length} connections through the window, not ${peers}`
		);
	}
	return figures;
}

/**
 * One scenario: `size` people join a new meeting with adaptation on or off; the figures over the
 * window. Closes its browsers before it resolves.
 * @param {number} size
 * @param {boolean} adapt
 * @param {string} origin the relay
 * @param {{ windowMs: number, settleMs: number, tick: number }} options `tick`: clock ticks per s
 * @returns {Promise<Result>}
 */
async function scenario(size, adapt, origin, { windowMs, settleMs, tick }) {
	const label = `${size} people, adaptation ${adapt ? 'on' : 'off'}`;
	const setupMs = Math.max(
		MIN_SETUP_TIMEOUT_MS,
		SCENARIO_BUDGET_MS +
			size * SCENARIO_BUDGET_PER_PERSON_MS -
			settleMs -
			windowMs -
			CLOSE_TIMEOUT_MS
	);
	let meshMs = NaN;
	let browserPid = NaN;
	/** @type {Person[]} */
	const people = [];
	try {
		await withTimeout(
			(async () => {
				const { pid, browser } = await launchBrowser();
				browserPid = pid;
				for (const name of PEOPLE.slice(0, size)) {
					people.push(await openPerson(browser, name, origin, adapt));
				}
				const host = people[0]?.page;
				if (!host) throw new Error('nobody to start the meeting');
				const link = await startMeeting(host);
				for (const { name, page } of people) {
					if (page.url() !== link) await page.goto(link);
					await joinCall(page, name);
				}
				const joined = performance.now();
				await Promise.all(people.map(({ page }) => waitForRemoteVideos(page, size - 1, setupMs)));
				meshMs = performance.now() - joined;
			})(),
			setupMs,
			'joining and connecting everyone'
		);
		const [host] = people;
		if (!host) throw new Error('nobody joined');
		const stored = await host.page.evaluate(() => localStorage.getItem('confer-adaptation'));
		if ((stored === 'off') === adapt) {
			throw new Error(`localStorage['confer-adaptation'] is ${JSON.stringify(stored)}`);
		}
		await delay(settleMs);

		const machine0 = machineTicks();
		const ticks0 = treeTicks(browserPid);
		const t0 = performance.now();
		const figures = await Promise.all(
			people.map((person) => measurePerson(person, windowMs, size - 1))
		);
		const ticks1 = treeTicks(browserPid);
		const seconds = (performance.now() - t0) / 1000;
		const machine1 = machineTicks();
		return {
			size,
			adapt,
			meshMs,
			camera: await cameraSettings(host.page),
			cpuPerPerson: (ticks1 - ticks0) / tick / seconds / size,
			machineBusy: (machine1.busy - machine0.busy) / (machine1.total - machine0.total),
			recvFps: figures.flatMap((f) => f.recvFps),
			sentFps: figures.flatMap((f) => f.sentFps),
			kbps: figures.flatMap((f) => f.kbps),
			heights: figures.flatMap((f) => f.heights),
			cpuLimited: figures.flatMap((f) => f.cpuLimited),
			bandwidthLimited: figures.flatMap((f) => f.bandwidthLimited),
			caps: figures.flatMap((f) => f.caps)
		};
	} catch (error) {
		const seen = await Promise.all(people.map(describeCall));
		const errors = people
			.flatMap((p) => p.errors)
			.slice(-10)
			.join('\n');
		const message = error instanceof Error ? error.message : String(error);
		throw new Error(
			`${label}: ${message}\n${seen.join('\n')}${errors ? `\npage errors:\n${errors}` : ''}`,
			{
				cause: error
			}
		);
	} finally {
		// Everything this scenario launched, including a browser whose launch failed halfway.
		await closeBrowsers([...openBrowsers]);
	}
}

/**
 * One table row: a label and right-aligned figures.
 * @param {string} label
 * @param {string[]} cells
 */
const row = (label, ...cells) => label.padEnd(13) + cells.map((c) => c.padStart(10)).join('');

/**
 * The sender's bitrate cap as printed: kbit/s, or "none".
 * @param {(number | null)[]} caps
 */
function capText(caps) {
	const distinct = [...new Set(caps)];
	if (distinct.length !== 1) return 'mixed';
	const [cap] = distinct;
	return cap === null || cap === undefined ? 'none' : (cap / 1000).toFixed(0);
}

/**
 * Prints the figures.
 * @param {Map<string, Result | Error>} results by `${size} ${on|off}`
 * @param {number[]} sizes
 * @param {number} windowS
 * @param {number} settleS
 */
function report(results, sizes, windowS, settleS) {
	const ok = /** @type {Result[]} */ ([...results.values()].filter((r) => !(r instanceof Error)));
	const cameras = [...new Set(ok.map((r) => r.camera))].join(', ');
	const lines = [
		'',
		`bench:mesh: ${windowS} s window after ${settleS} s settling; ${CHROMIUM}; ` +
			`camera ${cameras || '?'}; ${cpus().length} cores`,
		'mesh s: from the last join to every page playing video from everyone else.',
		'CPU s/s: CPU seconds per second of call per person: the browser process tree / people (1.00 = one core).',
		'busy: share of all cores used by these browsers ("ours") and by everything ("all").',
		'recv fps: per remote tile, mean and min. sent fps, kbit/s, height, cap: per peer, outbound.',
		'lim: share of the window the encoder was held back by CPU or by bandwidth.',
		'',
		row(
			'people adapt',
			'mesh s',
			'CPU s/s',
			'busy ours',
			'busy all',
			'recv fps',
			'min fps',
			'sent fps',
			'kbit/s',
			'height',
			'cap kb/s',
			'lim CPU',
			'lim bw'
		)
	];
	for (const size of sizes) {
		for (const adapt of [true, false]) {
			const label = `${size}      ${adapt ? 'on' : 'off'}`;
			const percent = (/** @type {number} */ share) => `${(100 * share).toFixed(0)}%`;
			const result = results.get(`${size} ${adapt ? 'on' : 'off'}`);
			if (result === undefined) continue;
			if (result instanceof Error) {
				lines.push(`${label.padEnd(13)}failed: ${result.message.split('\n')[0]}`);
				continue;
			}
			lines.push(
				row(
					label,
					(result.meshMs / 1000).toFixed(1),
					result.cpuPerPerson.toFixed(2),
					percent((result.cpuPerPerson * size) / cpus().length),
					percent(result.machineBusy),
					mean(result.recvFps).toFixed(1),
					Math.min(...result.recvFps).toFixed(1),
					mean(result.sentFps).toFixed(1),
					mean(result.kbps).toFixed(0),
					mean(result.heights).toFixed(0),
					capText(result.caps),
					percent(mean(result.cpuLimited)),
					percent(mean(result.bandwidthLimited))
				)
			);
		}
	}
	lines.push('');
	for (const size of sizes) {
		const on = results.get(`${size} on`);
		const off = results.get(`${size} off`);
		if (!on || !off || on instanceof Error || off instanceof Error) continue;
		const cpu = off.cpuPerPerson / on.cpuPerPerson;
		const fps = mean(off.recvFps) / mean(on.recvFps);
		lines.push(
			`${size} people: CPU per person off/on ${cpu.toFixed(2)}×, received fps off/on ${fps.toFixed(2)}×`
		);
		if (capText(on.caps) === capText(off.caps)) {
			lines.push('  same sender caps on and off: both send the same, the difference is noise');
		}
		const busiest = Math.max(on.machineBusy, off.machineBusy);
		if (busiest >= SATURATED) {
			lines.push(
				`  machine saturated (${(100 * busiest).toFixed(0)}% busy): CPU per person cannot grow ` +
					`past ${cpus().length} cores / ${size}; the cost shows as received fps instead`
			);
		}
	}
	console.log(lines.join('\n'));
}

async function main() {
	const windowS = envNumber('WINDOW_S', 15, 1);
	const settleS = envNumber('SETTLE_S', 10, 0);
	const sizes = envSizes();
	const tick = clockTicks();
	buildIfMissing('bench:mesh');
	const origin = await startRelay(snapshotBuild('bench:mesh'), { stopTimeoutMs: 7000 });
	// Runs before the relay stops (cleanup steps run newest first).
	addCleanup(() => closeBrowsers([...openBrowsers]));
	/** @type {Map<string, Result | Error>} */
	const results = new Map();
	for (const [n, size] of sizes.entries()) {
		// Both modes of a size back to back, alternating which goes first, so drift (thermal, other
		// load) does not always favour the same one.
		const modes = n % 2 === 0 ? [true, false] : [false, true];
		for (const adapt of modes) {
			const key = `${size} ${adapt ? 'on' : 'off'}`;
			const started = performance.now();
			try {
				const result = await scenario(size, adapt, origin, {
					windowMs: windowS * 1000,
					settleMs: settleS * 1000,
					tick
				});
				results.set(key, result);
				console.log(
					`${size} people, adaptation ${adapt ? 'on' : 'off'}: ` +
						`CPU/person ${result.cpuPerPerson.toFixed(2)}, ` +
						`recv ${mean(result.recvFps).toFixed(1)} fps ` +
						`(${((performance.now() - started) / 1000).toFixed(0)} s)`
				);
			} catch (error) {
				if (isInterrupted()) throw error;
				const failure = error instanceof Error ? error : new Error(String(error));
				console.error(`bench:mesh: ${failure.message}`);
				results.set(key, failure);
			}
		}
	}
	report(results, sizes, windowS, settleS);
	if ([...results.values()].some((r) => r instanceof Error)) {
		throw new Error('some scenarios failed (see above)');
	}
}

await runBench('bench:mesh', main);
