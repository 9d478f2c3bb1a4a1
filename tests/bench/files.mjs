// `npm run bench:files`: files in chat between two browsers in a call, on loopback. Prints figures,
// asserts nothing; exits non-zero only when something broke.
//
// Alice and Bob join a meeting (each a Chromium process with a fake camera, as in a real call).
// A file of SIZE_MB random megabytes (default 200) is then sent from Alice to Bob twice, in turn:
// 1. the floor: a bare RTCDataChannel between the same two pages, sending the same file's bytes
//    read with `File.slice()`, 5-byte header + 128 KiB per message with the same bufferedAmount
//    back-pressure, the receiver only counting bytes;
// 2. Confer: Alice attaches the file in the chat, Bob clicks "Download NAME"; timed from the click
//    to "Save NAME" showing, so it includes opening the data connection, the chunk list, hashing
//    and verifying every chunk, writing to OPFS and the whole-file SHA-256.
// Both are timed from the start of the transfer to its last byte, by the wall clock. Beside them:
// Bob's JS heap (CDP `Performance.getMetrics`, sampled every 100 ms) and the longest main-thread
// task in Bob's page during the transfer (PerformanceObserver "longtask", tasks over 50 ms).
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import {
	CHROMIUM,
	addCleanup,
	buildIfMissing,
	collectErrors,
	contextOptions,
	envInteger,
	joinCall,
	participantArgs,
	runBench,
	snapshotBuild,
	startMeeting,
	startRelay
} from './lib.mjs';

const BENCH = 'bench:files';
const SIZE = envInteger('SIZE_MB', 200, 1) * 1024 * 1024;
const NAME = 'bench.bin';
/** The app's chunk size, frame header and send-buffer marks (src/lib/files/). */
const CHUNK = 128 * 1024;
const HIGH_WATER = 4 * 1024 * 1024;
const LOW_WATER = 1024 * 1024;

/** @typedef {import('@playwright/test').Page} Page */

/** Writes SIZE random bytes to a temporary file; returns its path and SHA-256. */
function randomFile() {
	const dir = mkdtempSync(join(tmpdir(), 'confer-bench-files-'));
	const path = join(dir, NAME);
	const fd = openSync(path, 'w');
	const hash = createHash('sha256');
	for (let written = 0; written < SIZE; written += 16 * 1024 * 1024) {
		const bytes = randomBytes(Math.min(16 * 1024 * 1024, SIZE - written));
		hash.update(bytes);
		writeSync(fd, bytes);
	}
	closeSync(fd);
	return { path, dir, sha256: hash.digest('hex') };
}

/**
 * The floor: a bare RTCDataChannel from `sender` to `receiver` (signalled through this process),
 * sending the file picked into `sender`'s `window.__file`.
 * @param {Page} sender
 * @param {Page} receiver
 * @returns {Promise<{ ms: number }>}
 */
async function floor(sender, receiver) {
	const started = Date.now();
	const offer = await sender.evaluate(async () => {
		const pc = new RTCPeerConnection();
		const channel = pc.createDataChannel('floor', { ordered: true });
		channel.binaryType = 'arraybuffer';
		Object.assign(window, { __floorPc: pc, __floorChannel: channel });
		await pc.setLocalDescription(await pc.createOffer());
		await new Promise((resolve) => {
			if (pc.iceGatheringState === 'complete') resolve(undefined);
			pc.addEventListener('icegatheringstatechange', () => {
				if (pc.iceGatheringState === 'complete') resolve(undefined);
			});
		});
		return pc.localDescription?.toJSON();
	});
	const answer = await receiver.evaluate(async (offer) => {
		const pc = new RTCPeerConnection();
		/** @type {Promise<number>} */
		const done = new Promise((resolve) => {
			pc.addEventListener('datachannel', ({ channel }) => {
				channel.binaryType = 'arraybuffer';
				let bytes = 0;
				channel.addEventListener('message', ({ data }) => {
					bytes += data.byteLength - 5;
					if (bytes >= window.__floorSize) resolve(Date.now());
				});
			});
		});
		Object.assign(window, { __floorPc: pc, __floorDone: done });
		await pc.setRemoteDescription(offer);
		await pc.setLocalDescription(await pc.createAnswer());
		await new Promise((resolve) => {
			if (pc.iceGatheringState === 'complete') resolve(undefined);
			pc.addEventListener('icegatheringstatechange', () => {
				if (pc.iceGatheringState === 'complete') resolve(undefined);
			});
		});
		return pc.localDescription?.toJSON();
	}, offer);
	await sender.evaluate(
		async ({ answer, chunk, high, low }) => {
			const pc = window.__floorPc;
			const channel = window.__floorChannel;
			await pc.setRemoteDescription(answer);
			await new Promise((resolve) => channel.addEventListener('open', resolve, { once: true }));
			channel.bufferedAmountLowThreshold = low;
			const file = window.__file;
			for (let index = 0; index * chunk < file.size; index++) {
				if (channel.bufferedAmount > high) {
					await new Promise((resolve) =>
						channel.addEventListener('bufferedamountlow', resolve, { once: true })
					);
				}
				const payload = new Uint8Array(
					await file.slice(index * chunk, (index + 1) * chunk).arrayBuffer()
				);
				const frame = new Uint8Array(5 + payload.length);
				new DataView(frame.buffer).setUint32(1, index);
				frame.set(payload, 5);
				channel.send(frame.buffer);
			}
		},
		{ answer, chunk: CHUNK, high: HIGH_WATER, low: LOW_WATER }
	);
	const ended = await receiver.evaluate(() => window.__floorDone);
	await Promise.all(
		[sender, receiver].map((page) => page.evaluate(() => window.__floorPc.close()))
	);
	return { ms: ended - started };
}

/**
 * Samples `page`'s JS heap every 100 ms until stopped.
 * @param {Page} page
 */
async function heapSampler(page) {
	const cdp = await page.context().newCDPSession(page);
	await cdp.send('Performance.enable');
	const read = async () => {
		const { metrics } = await cdp.send('Performance.getMetrics');
		return metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? NaN;
	};
	await cdp.send('HeapProfiler.collectGarbage');
	const baseline = await read();
	let peak = baseline;
	let running = true;
	const loop = (async () => {
		while (running) {
			peak = Math.max(peak, await read());
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
	})();
	return {
		baseline,
		async stop() {
			running = false;
			await loop;
			return peak;
		}
	};
}

/** Starts collecting long tasks in `page`, from now on. @param {Page} page */
async function watchLongTasks(page) {
	await page.evaluate(() => {
		window.__longTasks = [];
		new PerformanceObserver((list) => {
			for (const entry of list.getEntries()) window.__longTasks.push(entry.duration);
		}).observe({ type: 'longtask' });
	});
}

const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);

await runBench(BENCH, async () => {
	buildIfMissing(BENCH);
	const origin = await startRelay(snapshotBuild(BENCH));
	const file = randomFile();
	addCleanup(async () =>
		(await import('node:fs')).rmSync(file.dir, { recursive: true, force: true })
	);

	/** @type {string[]} */
	const errors = [];
	const open = async (name, video) => {
		const browser = await chromium.launch({
			executablePath: CHROMIUM,
			headless: true,
			args: participantArgs({ bench: BENCH, tone: 440, video })
		});
		addCleanup(() => browser.close());
		const context = await browser.newContext({ ...contextOptions(origin), acceptDownloads: true });
		const page = await context.newPage();
		collectErrors(page, name, errors);
		return page;
	};
	const alice = await open('Alice', 'red');
	const bob = await open('Bob', 'blue');
	const link = await startMeeting(alice);
	await joinCall(alice, 'Alice');
	await bob.goto(link);
	await joinCall(bob, 'Bob');
	// Both see each other's video: the call is up, as in a meeting.
	await bob.getByRole('figure', { name: 'Alice', exact: true }).locator('video').waitFor();

	// The floor reads the same file, picked into Alice's page.
	await alice.evaluate(() => {
		const input = document.createElement('input');
		input.type = 'file';
		input.id = 'bench-file';
		input.hidden = true;
		input.addEventListener('change', () => (window.__file = input.files?.[0]));
		document.body.append(input);
	});
	await alice.setInputFiles('#bench-file', file.path);
	await bob.evaluate((size) => (window.__floorSize = size), SIZE);
	const bare = await floor(alice, bob);

	// Confer: attach in Alice's chat, download in Bob's.
	await alice.getByRole('button', { name: 'Chat' }).click();
	const chat = (page) => page.getByRole('region', { name: 'Chat' });
	const chooser = alice.waitForEvent('filechooser');
	await chat(alice).getByRole('button', { name: 'Attach a file' }).click();
	const attachStart = Date.now();
	await (await chooser).setFiles(file.path);
	await chat(alice).getByRole('button', { name: 'Send' }).waitFor();
	await alice.waitForFunction(
		() =>
			!document.querySelector('[aria-label="Attached files"]')?.textContent?.includes('Preparing'),
		undefined,
		{ timeout: 600_000, polling: 50 }
	);
	const attachMs = Date.now() - attachStart;
	await chat(alice).getByRole('button', { name: 'Send' }).click();

	await bob.getByRole('button', { name: 'Chat' }).click();
	const download = chat(bob).getByRole('button', { name: `Download ${NAME}` });
	await download.waitFor();
	const heap = await heapSampler(bob);
	await watchLongTasks(bob);
	const started = Date.now();
	await download.click();
	await chat(bob)
		.getByRole('button', { name: `Save ${NAME}` })
		.waitFor({ timeout: 600_000 });
	const conferMs = Date.now() - started;
	const peak = await heap.stop();
	const longest = await bob.evaluate(() => Math.max(0, ...window.__longTasks));

	// The bytes are right: Bob saves the file and it hashes to the original.
	const saving = bob.waitForEvent('download');
	await chat(bob)
		.getByRole('button', { name: `Save ${NAME}` })
		.click();
	const savedPath = await (await saving).path();
	const saved = createHash('sha256');
	for await (const part of (await import('node:fs')).createReadStream(savedPath))
		saved.update(part);
	const verified = saved.digest('hex') === file.sha256;

	const rate = (ms) => SIZE / 1024 / 1024 / (ms / 1000);
	const rows = [
		['bare RTCDataChannel (floor)', bare.ms, 1],
		['Confer (verified, to OPFS)', conferMs, bare.ms / conferMs]
	];
	console.log(`\n${BENCH}: ${mb(SIZE)} MiB from Alice to Bob, in a call, loopback, this machine`);
	console.log('                               time      throughput    vs floor');
	for (const [label, ms, ratio] of rows) {
		console.log(
			`${label.padEnd(30)} ${(ms / 1000).toFixed(2).padStart(6)} s ${rate(ms).toFixed(1).padStart(7)} MiB/s ${ratio.toFixed(2).padStart(8)}`
		);
	}
	console.log(`attaching (hash + copy to OPFS) ${(attachMs / 1000).toFixed(2)} s`);
	console.log(
		`Bob's JS heap: ${mb(heap.baseline)} MiB before, peak ${mb(peak)} MiB (growth ${mb(peak - heap.baseline)} MiB)`
	);
	console.log(
		`Bob's longest main-thread task during the transfer: ${longest > 0 ? `${Math.round(longest)} ms` : 'none over 50 ms'}`
	);
	console.log(`saved file's SHA-256 ${verified ? 'equals' : 'DIFFERS FROM'} the original`);
	if (errors.length > 0) console.log(`page errors:\n  ${errors.join('\n  ')}`);
	if (!verified) throw new Error('the received file differs from the original');
});
