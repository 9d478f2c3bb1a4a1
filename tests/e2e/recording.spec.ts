// Recording a meeting on one's own device: everyone is told, the file is one seekable picture of
// the whole call with everyone's sound, and a reload in the middle leaves a recovered recording.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { expectVideoColor, join, newMeeting, perTest } from './app.js';

const { cleanup, person } = perTest();

async function tempDir(): Promise<string> {
	const dir = await mkdtemp(joinPath(tmpdir(), 'confer-recording-'));
	cleanup.push(() => rm(dir, { recursive: true, force: true }));
	return dir;
}

/** Clicks "Record" and confirms that everyone will be told. */
async function startRecording(page: Page) {
	await page.getByRole('button', { name: 'Record', exact: true }).click();
	await page
		.getByRole('dialog', { name: 'Record this meeting?' })
		.getByRole('button', { name: 'Start recording' })
		.click();
	await expect(page.getByRole('button', { name: 'Record', exact: true })).toHaveAttribute(
		'aria-pressed',
		'true'
	);
}

/**
 * Opens the meeting's page in the history (through the Meetings list, which counts its recordings,
 * when the recording is not a recovered one) and downloads its first recording.
 */
async function downloadRecording(page: Page, code: string, dir: string, recovered = false) {
	if (recovered) {
		await page.goto(`/meetings/${code}`);
	} else {
		await page.goto('/meetings');
		const entry = page.getByRole('link', { name: /· 1 recording/ });
		await entry.click();
	}
	const list = page.getByRole('region', { name: 'Recordings' });
	const item = list.getByRole('listitem').first();
	await expect(item).toBeVisible({ timeout: 30_000 });
	if (recovered) await expect(item).toContainText('recovered');
	const download = page.waitForEvent('download');
	await item.getByRole('button', { name: 'Download' }).click();
	const file = await download;
	const path = joinPath(dir, file.suggestedFilename());
	await file.saveAs(path);
	return { path, name: file.suggestedFilename(), item };
}

type Probe = {
	format: { duration?: string; format_name: string };
	streams: { codec_type: string }[];
};

function probe(path: string): Probe {
	return JSON.parse(
		execFileSync('ffprobe', ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', path], {
			encoding: 'utf8'
		})
	) as Probe;
}

/**
 * The frame at `seconds`, decoded by ffmpeg after seeking there with the file's index, as raw RGB
 * at 64×36; returns the share of pixels near each colour.
 */
function colorsAt(path: string, seconds: number): { red: number; blue: number } {
	const raw = execFileSync('ffmpeg', [
		'-v',
		'error',
		'-ss',
		String(seconds),
		'-i',
		path,
		'-frames:v',
		'1',
		'-vf',
		'scale=64:36',
		'-f',
		'rawvideo',
		'-pix_fmt',
		'rgb24',
		'-'
	]);
	let red = 0;
	let blue = 0;
	for (let i = 0; i + 2 < raw.length; i += 3) {
		const [r, g, b] = [raw[i] as number, raw[i + 1] as number, raw[i + 2] as number];
		if (r > 180 && g < 80 && b < 80) red++;
		if (b > 180 && r < 80 && g < 80) blue++;
	}
	const pixels = raw.length / 3;
	return { red: red / pixels, blue: blue / pixels };
}

/** The energy of the recording's audio at `hz`, relative to the loudest of a set of probes. */
function toneEnergy(path: string, frequencies: number[]): Map<number, number> {
	const raw = execFileSync('ffmpeg', [
		'-v',
		'error',
		'-i',
		path,
		'-ss',
		'1',
		'-t',
		'4',
		'-ac',
		'1',
		'-ar',
		'8000',
		'-f',
		's16le',
		'-'
	]);
	const samples = new Int16Array(raw.buffer, raw.byteOffset, raw.length >> 1);
	const energy = new Map<number, number>();
	for (const hz of frequencies) {
		// Goertzel: the power of one frequency bin.
		const coefficient = 2 * Math.cos((2 * Math.PI * hz) / 8000);
		let [s1, s2] = [0, 0];
		for (const sample of samples) {
			const s0 = sample / 32768 + coefficient * s1 - s2;
			s2 = s1;
			s1 = s0;
		}
		energy.set(hz, (s1 * s1 + s2 * s2 - coefficient * s1 * s2) / samples.length);
	}
	return energy;
}

test('a recording of the call: everyone is told, and the file seeks, shows both people and holds both voices', async () => {
	test.setTimeout(180_000);
	const dir = await tempDir();
	const alice = await person({ video: 'red', tone: 440 });
	const bob = await person({ video: 'blue', tone: 880 });
	const link = await newMeeting(alice.page);
	await join(alice.page, link, 'Alice');
	await join(bob.page, link, 'Bob');
	await expectVideoColor(alice.page, 'Bob', 'blue');
	await expectVideoColor(bob.page, 'Alice', 'red');

	await startRecording(alice.page);
	// The indicator (the toast says "Alice is recording this meeting").
	const status = bob.page.getByRole('status').filter({ hasText: /^\s*Alice is recording\s*$/ });
	await expect(status).toBeVisible();
	await alice.page.waitForTimeout(8_000);
	await alice.page.getByRole('button', { name: 'Record', exact: true }).click();
	await expect(status).toHaveCount(0);
	await expect(alice.page.getByRole('button', { name: 'Record', exact: true })).toHaveAttribute(
		'aria-pressed',
		'false',
		{ timeout: 30_000 }
	);

	const code = new URL(link).pathname.slice(1);
	await alice.page.getByRole('button', { name: 'Leave call' }).click();
	const { path, name, item } = await downloadRecording(alice.page, code, dir);
	expect(name).toMatch(new RegExp(`^confer-${code}-\\d{4}-\\d{2}-\\d{2}\\.(webm|mp4)$`));
	await expect(item).toContainText(/0:0[6-9]|0:10/);

	const info = probe(path);
	const duration = Number(info.format.duration);
	expect(duration).toBeGreaterThan(6);
	expect(duration).toBeLessThan(10);
	expect(info.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
	// Seeking lands on a picture of both people, early and late.
	for (const at of [2, duration - 2]) {
		const { red, blue } = colorsAt(path, at);
		expect(red, `Alice's red at ${at} s`).toBeGreaterThan(0.05);
		expect(blue, `Bob's blue at ${at} s`).toBeGreaterThan(0.05);
	}
	// Both tones are in the mix, well above a frequency nobody sent.
	const energy = toneEnergy(path, [440, 880, 1500]);
	const noise = energy.get(1500) as number;
	expect(energy.get(440) as number).toBeGreaterThan(noise * 50);
	expect(energy.get(880) as number).toBeGreaterThan(noise * 50);

	// It plays in the browser, and Delete removes it.
	await item.getByRole('button', { name: 'Play' }).click();
	const player = alice.page.getByRole('dialog').locator('video');
	await expect
		.poll(() => player.evaluate((v: HTMLVideoElement) => v.duration), { timeout: 15_000 })
		.toBeGreaterThan(6);
	await alice.page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
	await item.getByRole('button', { name: 'Delete' }).click();
	await alice.page
		.getByRole('dialog', { name: 'Delete this recording?' })
		.getByRole('button', { name: 'Delete' })
		.click();
	await expect(alice.page.getByRole('region', { name: 'Recordings' })).toContainText('None');
});

test('a reload in the middle of a recording leaves a recovered, playable recording', async () => {
	test.setTimeout(180_000);
	const dir = await tempDir();
	const alice = await person({ video: 'red', tone: 440 });
	const link = await newMeeting(alice.page);
	await join(alice.page, link, 'Alice');
	await startRecording(alice.page);
	await alice.page.waitForTimeout(5_000);
	await alice.page.reload();
	await expect(alice.page.getByRole('button', { name: 'Join now' })).toBeVisible();

	const code = new URL(link).pathname.slice(1);
	const { path } = await downloadRecording(alice.page, code, dir, true);
	const duration = Number(probe(path).format.duration);
	expect(duration).toBeGreaterThan(3);
	expect(duration).toBeLessThan(8);
	expect(colorsAt(path, duration - 1).red).toBeGreaterThan(0.05);
});
