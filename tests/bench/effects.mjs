// `npm run bench:effects`: what each background effect costs the person using it, side by side with
// the same camera and no effect, in one run. Prints figures, asserts nothing; exits non-zero only
// when something broke.
//
// Alice's camera is the 640×480, 30 fps checkerboard fixture; she is in a call with Bob (another
// Chromium process, red camera). Alice has a Chromium process of her own, so her CPU is her
// browser's whole process tree (/proc/<pid>/stat). For each effect she picks it in Settings, waits
// WARM_S seconds (default 3), then over WINDOW_S seconds (default 10) the bench reads:
// - segmentation ms per model run (p50, p95): the worker's User Timing "segmentation" measures;
// - the worker's whole work per frame (p50, ms; "effects-frame" measures: read, model when due,
//   compose);
// - model runs per second, and the output frame rate: frames her self view presents
//   (`requestVideoFrameCallback`), and frames Bob's tile of her presents;
// - CPU seconds per second of her browser;
// - her page's longest main-thread task (Long Tasks API, tasks over 50 ms; "–" when none).
import { chromium } from '@playwright/test';
import {
	CHROMIUM,
	addCleanup,
	buildIfMissing,
	clockTicks,
	collectErrors,
	contextOptions,
	delay,
	envInteger,
	joinCall,
	participantArgs,
	quantile,
	runBench,
	snapshotBuild,
	startMeeting,
	startRelay,
	treeTicks
} from './lib.mjs';

const BENCH = 'bench:effects';
const WINDOW_S = envInteger('WINDOW_S', 10, 3);
const WARM_S = envInteger('WARM_S', 3, 1);
const EFFECTS = ['None', 'Blur slightly', 'Blur', 'Replace background'];

/** @typedef {import('@playwright/test').Page} Page */

/**
 * Counts the frames a `<video>` presents, and its page's long tasks, until {@link stopCounting}.
 * @param {import('@playwright/test').Locator} video
 */
async function startCounting(video) {
	await video.evaluate((video) => {
		const state = /** @type {any} */ (window);
		state.__bench = { frames: 0, longest: 0, running: true };
		const count = () => {
			if (!state.__bench.running) return;
			state.__bench.frames++;
			video.requestVideoFrameCallback(count);
		};
		video.requestVideoFrameCallback(count);
		state.__benchObserver?.disconnect();
		state.__benchObserver = new PerformanceObserver((list) => {
			for (const entry of list.getEntries())
				state.__bench.longest = Math.max(state.__bench.longest, entry.duration);
		});
		state.__benchObserver.observe({ type: 'longtask' });
	});
}

/** @param {Page} page @returns {Promise<{ frames: number, longest: number }>} */
async function stopCounting(page) {
	return page.evaluate(() => {
		const state = /** @type {any} */ (window);
		state.__bench.running = false;
		state.__benchObserver.disconnect();
		return { frames: state.__bench.frames, longest: state.__bench.longest };
	});
}

/**
 * What the effects worker measured since `since` (its clock, ms): each model run's time and each
 * written frame's whole work (read, model when due, compose), in ms.
 */
async function workerTimings(page, since) {
	const worker = page.workers().find((w) => w.url().includes('effects.worker'));
	if (!worker) return { times: [], frames: [], now: 0 };
	return worker.evaluate((since) => {
		const durations = (name) =>
			performance
				.getEntriesByName(name)
				.filter((e) => e.startTime >= since)
				.map((e) => e.duration);
		return {
			times: durations('segmentation'),
			frames: durations('effects-frame'),
			now: performance.now()
		};
	}, since);
}

async function measure(alice, bob, pid, effect) {
	const settings = alice.getByRole('dialog', { name: 'Settings' });
	await settings
		.getByRole('group', { name: 'Background' })
		.getByRole('radio', { name: effect, exact: true })
		.check();
	await settings
		.getByText('Preparing background effects…')
		.waitFor({ state: 'detached', timeout: 60_000 });
	await delay(WARM_S * 1000);
	const since = (await workerTimings(alice, 0)).now;
	await startCounting(
		alice.getByRole('figure', { name: 'Alice (you)', exact: true }).locator('video')
	);
	await startCounting(bob.getByRole('figure', { name: 'Alice', exact: true }).locator('video'));
	const ticks0 = treeTicks(pid);
	const t0 = performance.now();
	await delay(WINDOW_S * 1000);
	const seconds = (performance.now() - t0) / 1000;
	const cpu = (treeTicks(pid) - ticks0) / clockTicks() / seconds;
	const self = await stopCounting(alice);
	const received = await stopCounting(bob);
	const { times, frames } = await workerTimings(alice, since);
	return {
		effect,
		p50: times.length ? quantile(times, 0.5) : null,
		p95: times.length ? quantile(times, 0.95) : null,
		frameP50: frames.length ? quantile(frames, 0.5) : null,
		runs: times.length / seconds,
		fps: self.frames / seconds,
		received: received.frames / seconds,
		cpu,
		longest: self.longest
	};
}

await runBench(BENCH, async () => {
	buildIfMissing(BENCH);
	const origin = await startRelay(snapshotBuild(BENCH));
	const aliceServer = await chromium.launchServer({
		executablePath: CHROMIUM,
		headless: true,
		args: participantArgs({ bench: BENCH, tone: 440, video: 'checkerboard' })
	});
	addCleanup(() => aliceServer.close());
	const pid = /** @type {number} */ (aliceServer.process().pid);
	const bobServer = await chromium.launchServer({
		executablePath: CHROMIUM,
		headless: true,
		args: participantArgs({ bench: BENCH, tone: 880, video: 'red' })
	});
	addCleanup(() => bobServer.close());
	/** @type {string[]} */
	const errors = [];
	const alice = await (
		await (await chromium.connect(aliceServer.wsEndpoint())).newContext(contextOptions(origin))
	).newPage();
	collectErrors(alice, 'Alice', errors);
	const link = await startMeeting(alice);
	await joinCall(alice, 'Alice');
	const bob = await (
		await (await chromium.connect(bobServer.wsEndpoint())).newContext(contextOptions(origin))
	).newPage();
	collectErrors(bob, 'Bob', errors);
	await bob.goto(link);
	await joinCall(bob, 'Bob');
	await bob
		.getByRole('figure', { name: 'Alice', exact: true })
		.locator('video')
		.evaluate(
			(video) =>
				new Promise((resolve) =>
					/** @type {HTMLVideoElement} */ (video).requestVideoFrameCallback(resolve)
				)
		);
	await alice.getByRole('button', { name: 'More options', exact: true }).click();
	await alice.getByRole('menuitem', { name: 'Settings' }).click();

	const results = [];
	for (const effect of EFFECTS) results.push(await measure(alice, bob, pid, effect));

	const none = results[0];
	const ms = (v) => (v === null ? '–' : v.toFixed(1));
	console.log(
		`\n${BENCH}: Alice's 640×480 30 fps camera in a two-person call, ${WINDOW_S} s per effect, this machine`
	);
	console.log(
		'effect               segmentation p50 / p95   frame work p50   model runs/s   output fps   Bob receives fps   CPU (ratio to None)   longest main-thread task'
	);
	for (const r of results) {
		console.log(
			`${r.effect.padEnd(20)} ${`${ms(r.p50)} / ${ms(r.p95)} ms`.padStart(22)}   ${`${ms(r.frameP50)} ms`.padStart(14)}   ${r.runs.toFixed(1).padStart(12)}   ${r.fps.toFixed(1).padStart(10)}   ${r.received.toFixed(1).padStart(16)}   ${`${r.cpu.toFixed(2)} s/s (${(r.cpu / none.cpu).toFixed(2)}×)`.padStart(19)}   ${r.longest > 0 ? `${Math.round(r.longest)} ms` : '– (none over 50 ms)'}`
		);
	}
	if (errors.length > 0) console.log(`  page errors:\n    ${errors.join('\n    ')}`);
});
