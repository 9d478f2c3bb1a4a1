// `npm run bench:record`: what recording a meeting costs the person recording. Prints figures,
// asserts nothing; exits non-zero only when something broke.
//
// For each room size in SIZES (default 2 and 4): Alice in a Chromium process of her own (so her
// CPU can be measured: her browser's whole process tree, from /proc/<pid>/stat), everyone else in
// one other Chromium process, all with fake cameras and tones, in one call. Alice's CPU per second
// of call is measured over WINDOW_S seconds (default 10) without recording, then over the same
// time while recording, in the same run. Then she stops, downloads the recording from the
// meeting's page, and ffprobe counts its frames (dropped = 30 fps × duration − frames) and its
// bitrate.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
	runBench,
	snapshotBuild,
	startMeeting,
	startRelay,
	treeTicks
} from './lib.mjs';

const BENCH = 'bench:record';
const WINDOW_S = envInteger('WINDOW_S', 10, 3);
const SIZES = (process.env.SIZES?.trim() || '2,4').split(',').map(Number);
const NAMES = ['Alice', 'Ben', 'Cai', 'Dee', 'Eve', 'Fay'];
const FPS = 30;

/** @typedef {import('@playwright/test').Page} Page */

/** CPU seconds per second of Alice's browser over `seconds`. @param {number} pid */
async function cpuOver(pid, seconds) {
	const ticks0 = treeTicks(pid);
	const t0 = performance.now();
	await delay(seconds * 1000);
	const ticks = treeTicks(pid) - ticks0;
	return ticks / clockTicks() / ((performance.now() - t0) / 1000);
}

/** @param {number} size */
async function scenario(size, origin, dir) {
	const aliceServer = await chromium.launchServer({
		executablePath: CHROMIUM,
		headless: true,
		args: participantArgs({ bench: BENCH, tone: 440, video: 'red' })
	});
	addCleanup(() => aliceServer.close());
	const pid = /** @type {number} */ (aliceServer.process().pid);
	const aliceBrowser = await chromium.connect(aliceServer.wsEndpoint());
	const othersServer = await chromium.launchServer({
		executablePath: CHROMIUM,
		headless: true,
		args: participantArgs({ bench: BENCH, tone: 880, video: 'blue' })
	});
	addCleanup(() => othersServer.close());
	const others = await chromium.connect(othersServer.wsEndpoint());
	/** @type {string[]} */
	const errors = [];
	const alice = await (
		await aliceBrowser.newContext({ ...contextOptions(origin), acceptDownloads: true })
	).newPage();
	collectErrors(alice, 'Alice', errors);
	const link = await startMeeting(alice);
	await joinCall(alice, 'Alice');
	for (const name of NAMES.slice(1, size)) {
		const page = await (await others.newContext(contextOptions(origin))).newPage();
		collectErrors(page, name, errors);
		await page.goto(link);
		await joinCall(page, name);
	}
	// Alice sees everyone's video.
	await alice.waitForFunction(
		(n) =>
			[...document.querySelectorAll('figure video')].filter(
				(v) => /** @type {HTMLVideoElement} */ (v).videoWidth > 0
			).length >= n,
		size,
		{ timeout: 60_000 }
	);
	await delay(3_000);
	const without = await cpuOver(pid, WINDOW_S);

	await alice.getByRole('button', { name: 'Record', exact: true }).click();
	await alice.getByRole('button', { name: 'Start recording' }).click();
	await delay(1_000);
	const withRecording = await cpuOver(pid, WINDOW_S);
	const record = alice.getByRole('button', { name: 'Record', exact: true });
	await record.click();
	// Saved once the button is off and enabled again.
	for (let i = 0; i < 600; i++) {
		if ((await record.getAttribute('aria-pressed')) === 'false' && (await record.isEnabled()))
			break;
		await delay(100);
	}

	const code = new URL(link).pathname.slice(1);
	await alice.getByRole('button', { name: 'Leave call' }).click();
	await alice.goto(`/meetings/${code}`);
	const item = alice.getByRole('region', { name: 'Recordings' }).getByRole('listitem').first();
	await item.waitFor({ timeout: 60_000 });
	const downloading = alice.waitForEvent('download');
	await item.getByRole('button', { name: 'Download' }).click();
	const path = join(dir, `recording-${size}`);
	await (await downloading).saveAs(path);
	const probe = JSON.parse(
		execFileSync(
			'ffprobe',
			[
				...['-v', 'error', '-count_frames', '-select_streams', 'v:0'],
				...['-show_entries', 'stream=nb_read_frames:format=duration,size', '-of', 'json', path]
			],
			{ encoding: 'utf8' }
		)
	);
	const duration = Number(probe.format.duration);
	const frames = Number(probe.streams[0].nb_read_frames);
	await aliceServer.close();
	await othersServer.close();
	return {
		size,
		without,
		withRecording,
		duration,
		frames,
		expected: Math.round(duration * FPS),
		kbps: (Number(probe.format.size) * 8) / duration / 1000,
		errors
	};
}

await runBench(BENCH, async () => {
	buildIfMissing(BENCH);
	const origin = await startRelay(snapshotBuild(BENCH));
	const dir = mkdtempSync(join(tmpdir(), 'confer-bench-record-'));
	addCleanup(async () => rmSync(dir, { recursive: true, force: true }));
	const results = [];
	for (const size of SIZES) results.push(await scenario(size, origin, dir));
	console.log(`\n${BENCH}: the recorder's browser, ${WINDOW_S} s windows, this machine`);
	console.log('people  CPU without  CPU recording  ratio   frames (expected)   dropped   bitrate');
	for (const r of results) {
		const dropped = Math.max(0, r.expected - r.frames);
		console.log(
			`${String(r.size).padStart(6)}  ${r.without.toFixed(2).padStart(9)} s/s ${r.withRecording.toFixed(2).padStart(10)} s/s ${(r.withRecording / r.without).toFixed(2).padStart(6)}  ${String(r.frames).padStart(7)} (${r.expected})  ${((dropped / r.expected) * 100).toFixed(1).padStart(6)} %  ${Math.round(r.kbps)} kbit/s`
		);
		if (r.errors.length > 0) console.log(`  page errors:\n    ${r.errors.join('\n    ')}`);
	}
});
