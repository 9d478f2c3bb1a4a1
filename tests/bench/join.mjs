// `npm run bench:join`: how long joining a call takes, against the floor of plain WebRTC, in the same
// run. Prints figures, asserts nothing; exits non-zero only when something broke.
//
// Two Chromium processes (fake red camera for Alice, blue for Bob, one tone each) and our relay
// (`node signaling/dist/main.js`) on loopback. Run through `bash tests/tools/e2e.sh bench:join`,
// which makes the media fixtures and, as root, a loopback-only network namespace (ARCHITECTURE.md,
// "Tests").
//
// 1. Join: Alice is in a new meeting; Bob has the link loaded on the prejoin screen. From Bob's click
//    on "Join now" (a capturing click listener) to the first frame of Alice's video presented in
//    Bob's tile named "Alice" (`requestVideoFrameCallback`); both on Bob's `performance.now()`.
// 2. Floor: one page on the relay's origin, two RTCPeerConnections exchanging the fake camera stream
//    in-page (no signaling server); from creating the connections to the first remote frame, with
//    the camera already delivering frames (as Alice's is). Measured just before each join, in Bob's
//    browser.
// 3. Chat: after the last join, Alice sends CHAT_MESSAGES messages one at a time (type, Enter); the
//    send time (Alice's `Date.now()` at Enter) is written into the text, and a MutationObserver in
//    Bob's page notes `Date.now()` when it shows up in his log. One machine, one clock.
// Where the join time goes: IndexedDB, key derivation, WebSocket and RTCPeerConnection activity in
// both pages is traced (init script, no change to the app) and printed as phases (medians) and as
// the median run step by step (and the slowest, when it is far off).
//
// Env: RUNS (default 10) measured runs, after WARMUP (default 1) runs that are not counted (fresh
// browser profiles: the first join also pays for caches, the service worker and a new certificate).
import { chromium } from '@playwright/test';
import {
	CHROMIUM,
	addCleanup,
	buildIfMissing,
	collectErrors,
	contextOptions,
	delay,
	envInteger,
	joinCall,
	median,
	participantArgs,
	quantile,
	runBench,
	snapshotBuild,
	startMeeting,
	startRelay,
	withTimeout
} from './lib.mjs';

/** Chat messages sent, one at a time. */
const CHAT_MESSAGES = 20;
/** Upper bound of one run (floor + join), ms. */
const RUN_TIMEOUT_MS = 60_000;
/** Upper bound of one chat message's delivery, ms. */
const CHAT_TIMEOUT_MS = 10_000;
/** Target: join ≤ 2× the floor (medians; README, "Benchmarks"). */
const TARGET_RATIO = 2;

/**
 * @typedef {import('@playwright/test').BrowserContext} BrowserContext
 * @typedef {import('@playwright/test').Page} Page
 * @typedef {{ name: string, context: BrowserContext, errors: string[] }} Person
 * @typedef {{ at: number, what: string, ms?: number }} TraceEvent `at`: ms; `ms`: a long task's length
 * @typedef {{ joinMs: number, floorMs: number, floorConnectedMs: number, presentedFrames: number,
 *   trace: TraceEvent[], busyMs: Record<string, number> }} Run `trace`: both pages' steps, ms
 *   after the click; `busyMs`: per person, ms of long tasks during the join
 */

/**
 * Traces, in every page, what joining does: IndexedDB opens, key derivations
 * (y-webrtc's PBKDF2), WebSockets (created, open, the types of the first JSON messages each way),
 * RTCPeerConnections (created, connected, first track, first `getStats`), senders changed
 * (`setParameters`, `replaceTrack`), and long tasks (main thread busy ≥ 50 ms), as
 * `window.__trace` entries on the machine's clock (`performance.timeOrigin + now`, ms, so that
 * Alice's and Bob's pages line up); each step once per page. Media calls (PeerJS) are told from y-webrtc's
 * data connections by the DTLS certificate PeerJS is given; PeerJS's feature probes are left out.
 */
function traceInitScript() {
	/** @type {{ at: number, what: string, ms?: number }[]} */
	const trace = [];
	Object.defineProperty(window, '__trace', { value: trace });
	const note = (/** @type {string} */ what) =>
		trace.push({ at: performance.timeOrigin + performance.now(), what });
	const seen = new Set();
	const once = (/** @type {string} */ what) => {
		if (seen.has(what)) return;
		seen.add(what);
		note(what);
	};
	const NativeWebSocket = window.WebSocket;
	const typeOf = (/** @type {unknown} */ data) => {
		if (typeof data !== 'string') return 'binary';
		try {
			return String(JSON.parse(data).type);
		} catch {
			return 'text';
		}
	};
	window.WebSocket = class extends NativeWebSocket {
		/** @param {ConstructorParameters<typeof WebSocket>} args */
		constructor(...args) {
			super(...args);
			const endpoint = new URL(String(args[0])).pathname.split('/')[1] || 'ws';
			once(`${endpoint} ws created`);
			this.addEventListener('open', () => once(`${endpoint} ws open`));
			this.addEventListener('message', (event) => once(`${endpoint} ws ← ${typeOf(event.data)}`));
			const send = this.send.bind(this);
			this.send = (data) => {
				once(`${endpoint} ws → ${typeOf(data)}`);
				send(data);
			};
		}
	};
	// Only secure contexts (the app's origin, not about:blank) have SubtleCrypto.
	if (typeof SubtleCrypto === 'function') {
		const deriveKey = SubtleCrypto.prototype.deriveKey;
		SubtleCrypto.prototype.deriveKey = function (algorithm, ...rest) {
			const name = typeof algorithm === 'string' ? algorithm : algorithm.name;
			once(`${name} deriveKey started`);
			const result = deriveKey.call(this, algorithm, ...rest);
			void result.then(() => once(`${name} deriveKey done`)).catch(() => undefined);
			return result;
		};
	}
	const openDatabase = IDBFactory.prototype.open;
	IDBFactory.prototype.open = function (name, version) {
		const label = `IndexedDB ${String(name).replace(/-[a-z]{3}-[a-z]{4}-[a-z]{3}$/, '-<code>')}`;
		once(`${label} open`);
		const request = openDatabase.call(this, name, version);
		request.addEventListener('success', () => once(`${label} opened`));
		return request;
	};
	try {
		new PerformanceObserver((list) => {
			for (const task of list.getEntries()) {
				const at = performance.timeOrigin + task.startTime;
				trace.push({ at, what: 'long task', ms: task.duration });
			}
		}).observe({ type: 'longtask' });
	} catch {
		// No Long Tasks API: the summary shows no main-thread figures.
	}
	// Changes to what a call sends (video adaptation, track switches) and statistics polling.
	for (const method of /** @type {const} */ (['setParameters', 'replaceTrack'])) {
		const native = RTCRtpSender.prototype[method];
		RTCRtpSender.prototype[method] = function (...args) {
			once(`${this.track?.kind ?? 'no-track'} sender ${method}`);
			return /** @type {any} */ (native).apply(this, args);
		};
	}
	const getStats = RTCPeerConnection.prototype.getStats;
	RTCPeerConnection.prototype.getStats = function (...args) {
		once('getStats');
		return getStats.apply(this, args);
	};
	const NativePeerConnection = window.RTCPeerConnection;
	window.RTCPeerConnection = class extends NativePeerConnection {
		/** @param {RTCConfiguration} [config] */
		constructor(config) {
			super(config);
			// PeerJS probes the browser with throwaway connections (no config, or its default one).
			if (!config || JSON.stringify(config.iceServers ?? []).includes('peerjs.com')) return;
			const kind = config.certificates ? 'media' : 'yjs';
			once(`${kind} pc created`);
			this.addEventListener('connectionstatechange', () => {
				once(`${kind} pc ${this.connectionState}`);
			});
			this.addEventListener('track', () => once(`${kind} pc track`));
		}
	};
}

/**
 * Launches one person: a headless Chromium process of their own (fake media is per process) with
 * one context on the relay's origin.
 * @param {string} name
 * @param {string} video
 * @param {number} tone
 * @param {string} baseURL
 * @returns {Promise<Person>}
 */
async function launchPerson(name, video, tone, baseURL) {
	const browser = await chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		args: participantArgs({ bench: 'bench:join', tone, video }),
		// Our SIGINT/SIGTERM handler (runBench) closes browsers, the relay and the build copy.
		handleSIGINT: false,
		handleSIGTERM: false,
		handleSIGHUP: false
	});
	addCleanup(() => browser.close().catch(() => undefined));
	const context = await browser.newContext(contextOptions(baseURL));
	/** @type {string[]} */
	const errors = [];
	context.on('page', (page) => collectErrors(page, name, errors));
	return { name, context, errors };
}

/**
 * The floor: in `page`, two RTCPeerConnections exchange the fake camera stream directly (SDP and ICE
 * candidates handed over in-page); ms from creating them to the first remote frame presented
 * (`frameMs`) and to the receiver's `connectionState` `connected` (`connectedMs`).
 * @param {Page} page a page on the relay's origin (camera allowed)
 * @returns {Promise<{ frameMs: number, connectedMs: number }>}
 */
async function measureFloor(page) {
	return page.evaluate(async () => {
		const stream = await navigator.mediaDevices.getUserMedia({ video: true });
		const video = document.createElement('video');
		video.muted = true;
		video.autoplay = true;
		video.playsInline = true;
		video.width = 320;
		video.height = 240;
		document.body.append(video);
		/** @type {RTCPeerConnection[]} */
		const pcs = [];
		try {
			// The camera must already be delivering frames, as Alice's is in a call: wait for one.
			video.srcObject = stream;
			await new Promise((resolve, reject) => {
				video.requestVideoFrameCallback(resolve);
				video.play().catch(reject);
				setTimeout(() => reject(new Error('floor: the camera gave no frame within 10 s')), 10_000);
			});
			video.srcObject = null;
			const start = performance.now();
			const sender = new RTCPeerConnection();
			const receiver = new RTCPeerConnection();
			pcs.push(sender, receiver);
			sender.onicecandidate = ({ candidate }) => void receiver.addIceCandidate(candidate);
			receiver.onicecandidate = ({ candidate }) => void sender.addIceCandidate(candidate);
			let connectedMs = NaN;
			receiver.onconnectionstatechange = () => {
				if (receiver.connectionState === 'connected') connectedMs = performance.now() - start;
			};
			const firstFrame = new Promise((resolve, reject) => {
				receiver.ontrack = ({ track, streams }) => {
					video.srcObject = streams[0] ?? new MediaStream([track]);
					video.requestVideoFrameCallback((now) => resolve(now));
					video.play().catch(reject);
				};
				setTimeout(() => reject(new Error('floor: no remote frame within 20 s')), 20_000);
			});
			for (const track of stream.getTracks()) sender.addTrack(track, stream);
			await sender.setLocalDescription(await sender.createOffer());
			await receiver.setRemoteDescription(
				/** @type {RTCSessionDescription} */ (sender.localDescription)
			);
			await receiver.setLocalDescription(await receiver.createAnswer());
			await sender.setRemoteDescription(
				/** @type {RTCSessionDescription} */ (receiver.localDescription)
			);
			const frameMs = /** @type {number} */ (await firstFrame) - start;
			return { frameMs, connectedMs };
		} finally {
			for (const pc of pcs) pc.close();
			for (const track of stream.getTracks()) track.stop();
			video.srcObject = null;
			video.remove();
		}
	});
}

/**
 * Alice opens a new meeting and joins it; resolves with the link once she is in the call and the
 * relay has registered her PeerJS id (its `OPEN`, seen by the trace), i.e. she can be called.
 * @param {Page} page
 * @returns {Promise<string>}
 */
async function aliceStartsMeeting(page) {
	const link = await startMeeting(page);
	await joinCall(page, 'Alice');
	await page.getByRole('figure', { name: 'Alice (you)', exact: true }).waitFor();
	await page.waitForFunction(
		() =>
			/** @type {any} */ (window).__trace.some((/** @type {TraceEvent} */ e) =>
				e.what.endsWith('← OPEN')
			),
		undefined,
		{ timeout: 20_000 }
	);
	return link;
}

/**
 * Bob opens `link` and waits until the prejoin screen has settled: his camera preview plays and the
 * network is idle (the relay's config is loaded), so the click measures joining, not preparing.
 * Then installs the probes: t0 on the click on "Join now", t1 on the first frame presented by the
 * `<video>` in the tile named `remote`.
 * @param {Page} page
 * @param {string} link
 * @param {string} remote
 */
async function bobOnPrejoin(page, link, remote) {
	await page.goto(link, { waitUntil: 'networkidle' });
	await page.getByRole('textbox', { name: 'Your name' }).fill('Bob');
	await page.waitForFunction(() => {
		const preview = document.querySelector('video');
		return preview !== null && preview.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA;
	});
	await page.evaluate((name) => {
		/** @type {{ t0: number | null, t0Epoch: number, t1: number | null, presentedFrames: number }} */
		const probe = { t0: null, t0Epoch: 0, t1: null, presentedFrames: 0 };
		Object.defineProperty(window, '__join', { value: probe });
		document.addEventListener(
			'click',
			(event) => {
				const button = event.target instanceof Element ? event.target.closest('button') : null;
				if (probe.t0 === null && button?.textContent?.trim() === 'Join now') {
					probe.t0 = performance.now();
					probe.t0Epoch = performance.timeOrigin + probe.t0;
				}
			},
			true
		);
		// A frame callback on every <video> the tile has had, registered as soon as it exists (and
		// again when its stream changes): the first frame presented is caught, not a later one.
		const hooked = new WeakMap();
		const scan = () => {
			if (probe.t1 !== null) return;
			for (const figure of document.querySelectorAll('figure')) {
				if (figure.querySelector('figcaption')?.textContent?.trim() !== name) continue;
				const video = figure.querySelector('video');
				if (!video || hooked.get(video) === video.srcObject) continue;
				hooked.set(video, video.srcObject);
				video.requestVideoFrameCallback((now, metadata) => {
					if (probe.t1 !== null || !figure.isConnected) return;
					probe.t1 = now;
					probe.presentedFrames = metadata.presentedFrames;
				});
			}
		};
		new MutationObserver(scan).observe(document.body, { childList: true, subtree: true });
		const timer = setInterval(() => (probe.t1 === null ? scan() : clearInterval(timer)), 5);
	}, remote);
}

/**
 * Average colour of the `<video>` in the tile named `name`, as the dominant channel (`r`, `g`, `b`)
 * or `none` when nothing is drawn; proves real frames crossed (ARCHITECTURE.md, "Tests").
 * @param {Page} page
 * @param {string} name
 * @returns {Promise<string>}
 */
async function tileColour(page, name) {
	return page
		.getByRole('figure', { name, exact: true })
		.locator('video')
		.evaluate((video) => {
			if (!(video instanceof HTMLVideoElement) || video.videoWidth === 0) return 'none';
			const canvas = document.createElement('canvas');
			canvas.width = 32;
			canvas.height = 24;
			const context = canvas.getContext('2d', { willReadFrequently: true });
			if (!context) return 'none';
			context.drawImage(video, 0, 0, canvas.width, canvas.height);
			const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
			const sum = [0, 0, 0];
			for (let i = 0; i < data.length; i += 4) for (let c = 0; c < 3; c++) sum[c] += data[i + c];
			const max = Math.max(...sum);
			if (max < (48 * data.length) / 4) return 'none';
			const strong = sum.filter((c) => c > 0.6 * max).length;
			return strong === 1 ? 'rgb'[sum.indexOf(max)] : 'mixed';
		});
}

/**
 * One run: the floor in `floorPage`, then Bob joins Alice's new meeting.
 * @param {Person} alice
 * @param {Person} bob
 * @param {Page} floorPage
 * @param {boolean} keepOpen leave both in the call and return their pages (for the chat)
 * @returns {Promise<Run & { pages: Page[] }>}
 */
async function run(alice, bob, floorPage, keepOpen) {
	const floor = await measureFloor(floorPage);
	const alicePage = await alice.context.newPage();
	const bobPage = await bob.context.newPage();
	try {
		const link = await aliceStartsMeeting(alicePage);
		await bobOnPrejoin(bobPage, link, 'Alice');
		await bobPage.getByRole('button', { name: 'Join now' }).click();
		const probe = await bobPage
			.waitForFunction(
				() => {
					const { t0, t0Epoch, t1, presentedFrames } = /** @type {any} */ (window).__join;
					return t0 !== null && t1 !== null && { t0, t0Epoch, t1, presentedFrames };
				},
				undefined,
				{ timeout: 30_000, polling: 50 }
			)
			.then((handle) => handle.jsonValue())
			.catch((error) => {
				throw new Error(`Bob never saw a frame of Alice's video: ${error.message}`);
			});
		const joinMs = probe.t1 - probe.t0;
		/** @type {TraceEvent[]} */
		const trace = [];
		/** @type {Record<string, number>} */
		const busyMs = {};
		for (const [name, page] of /** @type {const} */ ([
			['Bob', bobPage],
			['Alice', alicePage]
		])) {
			/** @type {TraceEvent[]} */
			const events = await page.evaluate(() => /** @type {any} */ (window).__trace);
			busyMs[name] = 0;
			for (const { at, what, ms } of events) {
				const after = at - probe.t0Epoch;
				if (what === 'long task' && ms !== undefined) {
					busyMs[name] += Math.max(0, Math.min(after + ms, joinMs) - Math.max(after, 0));
				} else if (after >= 0 && after <= joinMs) {
					trace.push({ at: after, what: `${name}: ${what}` });
				}
			}
		}
		const deadline = Date.now() + 10_000;
		let colour = await tileColour(bobPage, 'Alice');
		while (colour !== 'r' && Date.now() < deadline) {
			await delay(100);
			colour = await tileColour(bobPage, 'Alice');
		}
		if (colour !== 'r') throw new Error(`Bob sees Alice's video as "${colour}", not red`);
		const result = {
			joinMs,
			floorMs: floor.frameMs,
			floorConnectedMs: floor.connectedMs,
			presentedFrames: probe.presentedFrames,
			trace,
			busyMs
		};
		return { ...result, pages: keepOpen ? [alicePage, bobPage] : [] };
	} finally {
		if (!keepOpen) await Promise.all([alicePage.close(), bobPage.close()]);
	}
}

/**
 * Chat delivery: Alice sends `count` messages, one at a time; ms from her Enter to the message in
 * Bob's log, for each.
 * @param {Page} alicePage in the call
 * @param {Page} bobPage in the call with Alice
 * @param {number} count
 * @returns {Promise<number[]>}
 */
async function measureChat(alicePage, bobPage, count) {
	await bobPage.getByRole('button', { name: 'Chat' }).click();
	const log = bobPage.getByRole('region', { name: 'Chat' }).getByRole('log');
	await log.evaluate((element) => {
		/** @type {Map<number, number>} */
		const latencies = new Map();
		Object.defineProperty(window, '__chat', { value: latencies });
		new MutationObserver(() => {
			const arrived = Date.now();
			for (const item of element.querySelectorAll('li')) {
				const match = /bench (\d+) sent@(\d+)/.exec(item.textContent ?? '');
				if (match && !latencies.has(Number(match[1]))) {
					latencies.set(Number(match[1]), arrived - Number(match[2]));
				}
			}
		}).observe(element, { childList: true, subtree: true, characterData: true });
	});
	await alicePage.getByRole('button', { name: 'Chat' }).click();
	const box = alicePage
		.getByRole('region', { name: 'Chat' })
		.getByRole('textbox', { name: 'Message' });
	// At Enter (before the app's own keydown handler), the placeholder `@T` becomes Alice's clock.
	await box.evaluate((element) => {
		const textarea = /** @type {HTMLTextAreaElement} */ (element);
		window.addEventListener(
			'keydown',
			(event) => {
				if (event.target !== textarea || event.key !== 'Enter') return;
				textarea.value = textarea.value.replace('sent@T', `sent@${Date.now()}`);
				textarea.dispatchEvent(new Event('input', { bubbles: true }));
			},
			true
		);
	});
	/** @type {number[]} */
	const latencies = [];
	for (let i = 1; i <= count; i++) {
		await box.fill(`bench ${i} sent@T`);
		await box.press('Enter');
		const latency = await bobPage
			.waitForFunction(
				(id) => {
					const arrived = /** @type {Map<number, number>} */ (/** @type {any} */ (window).__chat);
					return arrived.has(id) && { ms: arrived.get(id) };
				},
				i,
				{ timeout: CHAT_TIMEOUT_MS, polling: 20 }
			)
			.then(async (handle) => (await handle.jsonValue()).ms)
			.catch(async (error) => {
				const shown = await log.textContent().catch(() => '?');
				throw new Error(
					`chat message ${i} did not reach Bob: ${error.message}\nBob's log: ${shown}`
				);
			});
		latencies.push(latency);
	}
	return latencies;
}

/**
 * The join in phases, each bounded by a traced step of Bob's (`null`: the click, or the first frame).
 * @type {[string, string | null, string | null][]}
 */
const PHASES = [
	['click → media call dialled (hello)', null, 'Bob: media pc created'],
	['dialled → offer sent (SDP, ICE)', 'Bob: media pc created', 'Bob: peerjs ws → OFFER'],
	['offer sent → answer received', 'Bob: peerjs ws → OFFER', 'Bob: peerjs ws ← ANSWER'],
	['answer → media call connected', 'Bob: peerjs ws ← ANSWER', 'Bob: media pc connected'],
	['media call connected → first frame', 'Bob: media pc connected', null]
];

/**
 * Median length of each of {@link PHASES}, ms, over the runs where both ends were traced.
 * @param {Run[]} runs
 * @returns {{ phase: string, ms: number, seen: number }[]}
 */
function phaseSummary(runs) {
	return PHASES.map(([phase, from, to]) => {
		/** @type {number[]} */
		const lengths = [];
		for (const { trace, joinMs } of runs) {
			const at = (/** @type {string | null} */ what, /** @type {number} */ none) =>
				what === null ? none : trace.find((e) => e.what === what)?.at;
			const start = at(from, 0);
			const end = at(to, joinMs);
			if (start !== undefined && end !== undefined) lengths.push(end - start);
		}
		return { phase, ms: lengths.length ? median(lengths) : NaN, seen: lengths.length };
	});
}

/**
 * A run's traced steps in order, one line each, ending with the first frame.
 * @param {Run} run
 * @returns {string[]}
 */
function timeline(run) {
	return [
		...[...run.trace]
			.sort((a, b) => a.at - b.at)
			.map(({ at, what }) => `${ms0(at).padStart(6)}  ${what}`),
		`${ms0(run.joinMs).padStart(6)}  Bob: first frame of Alice's video presented`
	];
}

/**
 * One table row: a label and right-aligned figures.
 * @param {string} label
 * @param {string[]} cells
 */
const row = (label, ...cells) => label.padEnd(30) + cells.map((c) => c.padStart(9)).join('');

/** @param {number} ms */
const ms0 = (ms) => ms.toFixed(0);

/**
 * Prints the figures.
 * @param {Run[]} runs
 * @param {number[]} chat
 * @param {number} warmup
 */
function report(runs, chat, warmup) {
	const join = runs.map((r) => r.joinMs);
	const floor = runs.map((r) => r.floorMs);
	const joinMedian = median(join);
	const floorMedian = median(floor);
	const joinP90 = quantile(join, 0.9);
	const floorP90 = quantile(floor, 0.9);
	const lines = [
		'',
		`bench:join: ${runs.length} runs (+${warmup} warm-up not counted), ${CHROMIUM}`,
		'',
		row('', 'median', 'p90'),
		row('join: click → frame (ms)', ms0(joinMedian), ms0(joinP90)),
		row('floor: 2 PCs → frame (ms)', ms0(floorMedian), ms0(floorP90)),
		row(
			'ratio join / floor',
			`${(joinMedian / floorMedian).toFixed(1)}×`,
			`${(joinP90 / floorP90).toFixed(1)}×`
		),
		row('', 'p50', 'p99'),
		row(
			`chat delivery, n=${chat.length} (ms)`,
			ms0(quantile(chat, 0.5)),
			ms0(quantile(chat, 0.99))
		),
		'',
		`target: join ≤ ${TARGET_RATIO}× floor — ${joinMedian <= TARGET_RATIO * floorMedian ? 'met' : 'not met'} (medians)`,
		'',
		`join per run (ms):  ${join.map(ms0).join(' ')}`,
		`floor per run (ms): ${floor.map(ms0).join(' ')}`,
		`floor, PCs connected (median ms): ${ms0(median(runs.map((r) => r.floorConnectedMs)))}`
	];
	const late = runs.filter((r) => r.presentedFrames > 1).length;
	if (late > 0)
		lines.push(`(in ${late} of the runs a later frame than the first was caught: join overstated)`);
	lines.push('', 'where the join goes (median ms; n = runs where traced, if not all):');
	for (const { phase, ms, seen } of phaseSummary(runs)) {
		lines.push(`${ms0(ms).padStart(6)}  ${phase}${seen < runs.length ? ` (n=${seen})` : ''}`);
	}
	const busy = (/** @type {string} */ name) => ms0(median(runs.map((r) => r.busyMs[name] ?? 0)));
	lines.push(`main thread in long tasks (≥ 50 ms): Bob ${busy('Bob')}, Alice ${busy('Alice')}`);
	const byJoin = [...runs].sort((a, b) => a.joinMs - b.joinMs);
	const typical = byJoin[(byJoin.length - 1) >> 1];
	const slowest = byJoin[byJoin.length - 1];
	lines.push(
		'',
		'the median run, step by step (ms after the click, machine clock):',
		...timeline(typical)
	);
	if (slowest.joinMs > 1.5 * typical.joinMs) {
		lines.push('', 'the slowest run, step by step:', ...timeline(slowest));
	}
	console.log(lines.join('\n'));
}

async function main() {
	const RUNS = envInteger('RUNS', 10, 1);
	const WARMUP = envInteger('WARMUP', 1, 0);
	buildIfMissing('bench:join');
	const origin = await startRelay(snapshotBuild('bench:join'));
	const alice = await launchPerson('Alice', 'red', 440, origin);
	const bob = await launchPerson('Bob', 'blue', 660, origin);
	await alice.context.addInitScript(traceInitScript);
	await bob.context.addInitScript(traceInitScript);
	const floorPage = await bob.context.newPage();
	await floorPage.route(`${origin}/__floor`, (route) =>
		route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>floor</title>' })
	);
	await floorPage.goto(`${origin}/__floor`);

	/** @type {Run[]} */
	const runs = [];
	/** @type {number[]} */
	let chat = [];
	for (let i = 0; i < WARMUP + RUNS; i++) {
		const last = i === WARMUP + RUNS - 1;
		const label = i < WARMUP ? `warm-up ${i + 1}` : `run ${i - WARMUP + 1}/${RUNS}`;
		const result = await withTimeout(run(alice, bob, floorPage, last), RUN_TIMEOUT_MS, label).catch(
			(error) => {
				const errors = [...alice.errors, ...bob.errors].slice(-10).join('\n');
				throw new Error(`${label}: ${error.message}${errors ? `\npage errors:\n${errors}` : ''}`);
			}
		);
		console.log(
			`${label}: join ${result.joinMs.toFixed(0)} ms, floor ${result.floorMs.toFixed(0)} ms`
		);
		if (i >= WARMUP) runs.push(result);
		if (last) {
			const [alicePage, bobPage] = result.pages;
			chat = await withTimeout(
				measureChat(alicePage, bobPage, CHAT_MESSAGES),
				RUN_TIMEOUT_MS,
				'chat delivery'
			);
		}
	}
	report(runs, chat, WARMUP);
}

await runBench('bench:join', main);
