// Files in chat, peer to peer: attached by picker or drag and drop, previewed, fetched from whoever
// holds them (late joiners included), verified by SHA-256, and finished from another holder when
// the one sending leaves half way.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { formatViolations, seriousViolations } from './support/index.js';
import { chatLog, join, newMeeting, perTest } from './app.js';

const { cleanup, person } = perTest();

/** A file of `size` random bytes in a temporary directory; returns its path and SHA-256. */
async function randomFile(name: string, size: number): Promise<{ path: string; sha256: string }> {
	const dir = await mkdtemp(joinPath(tmpdir(), 'confer-files-'));
	cleanup.push(() => rm(dir, { recursive: true, force: true }));
	const path = joinPath(dir, name);
	const bytes = randomBytes(size);
	await writeFile(path, bytes);
	return { path, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** A 64×48 PNG of one colour, made with ffmpeg. */
async function solidPng(color: string): Promise<Buffer> {
	const dir = await mkdtemp(joinPath(tmpdir(), 'confer-png-'));
	const path = joinPath(dir, 'image.png');
	execFileSync('ffmpeg', [
		'-v',
		'error',
		'-f',
		'lavfi',
		'-i',
		`color=c=${color}:s=64x48`,
		'-frames:v',
		'1',
		path
	]);
	const bytes = await readFile(path);
	await rm(dir, { recursive: true, force: true });
	return bytes;
}

const chat = (page: Page) => page.getByRole('region', { name: 'Chat' });

/** Attaches a file with the "Attach a file" button and the file picker, then sends it. */
async function attachAndSend(page: Page, path: string) {
	await chatLog(page);
	const chooser = page.waitForEvent('filechooser');
	await chat(page).getByRole('button', { name: 'Attach a file' }).click();
	await (await chooser).setFiles(path);
	await expect(chat(page).getByRole('button', { name: 'Send' })).toBeEnabled({ timeout: 60_000 });
	await chat(page).getByRole('button', { name: 'Send' }).click();
}

/** Drops a file onto the chat, as dragging it from the desktop does, then sends it. */
async function dropAndSend(page: Page, name: string, type: string, bytes: Buffer) {
	await chatLog(page);
	const dataTransfer = await page.evaluateHandle(
		({ name, type, base64 }) => {
			const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
			const transfer = new DataTransfer();
			transfer.items.add(new File([data], name, { type }));
			return transfer;
		},
		{ name, type, base64: bytes.toString('base64') }
	);
	for (const event of ['dragenter', 'dragover', 'drop']) {
		await chat(page).dispatchEvent(event, { dataTransfer });
	}
	await expect(chat(page).getByRole('button', { name: 'Send' })).toBeEnabled({ timeout: 30_000 });
	await chat(page).getByRole('button', { name: 'Send' }).click();
}

/** Clicks "Save NAME" and returns the SHA-256 of what the browser saved, and its file name. */
async function saved(page: Page, name: string): Promise<{ sha256: string; filename: string }> {
	const download = page.waitForEvent('download');
	await chat(page)
		.getByRole('button', { name: `Save ${name}` })
		.click();
	const file = await download;
	const bytes = await readFile((await file.path()) as string);
	return {
		sha256: createHash('sha256').update(bytes).digest('hex'),
		filename: file.suggestedFilename()
	};
}

/** The average colour of a shown image, read back through a canvas. */
async function imageColor(page: Page, name: string): Promise<[number, number, number]> {
	const img = chat(page).getByRole('img', { name });
	await expect(img).toBeVisible({ timeout: 30_000 });
	return img.evaluate(async (el: HTMLImageElement) => {
		await el.decode();
		const canvas = document.createElement('canvas');
		canvas.width = el.naturalWidth;
		canvas.height = el.naturalHeight;
		const context = canvas.getContext('2d') as CanvasRenderingContext2D;
		context.drawImage(el, 0, 0);
		const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
		let [r, g, b] = [0, 0, 0];
		for (let i = 0; i < data.length; i += 4) {
			r += data[i] as number;
			g += data[i + 1] as number;
			b += data[i + 2] as number;
		}
		const n = data.length / 4;
		return [r / n, g / n, b / n] as [number, number, number];
	});
}

test('a file goes device to device, verified; images show inline; a late joiner fetches from whoever is here', async () => {
	test.setTimeout(240_000);
	const big = await randomFile('results 2026.bin', 30 * 1024 * 1024);
	const png = await solidPng('0xff00ff');
	const alice = await person({ video: 'red', tone: 'silent' });
	const bob = await person({ video: 'blue', tone: 'silent' });
	const link = await newMeeting(alice.page);
	await join(alice.page, link, 'Alice');
	await join(bob.page, link, 'Bob');

	await attachAndSend(alice.page, big.path);
	await dropAndSend(alice.page, 'magenta.png', 'image/png', png);
	// The sender holds both at once.
	await expect(
		chat(alice.page).getByRole('button', { name: 'Save results 2026.bin' })
	).toBeVisible();

	// Bob: the image came by itself and shows inline; the big file waits for a click.
	await chatLog(bob.page);
	const [r, g, b] = await imageColor(bob.page, 'magenta.png');
	expect(r).toBeGreaterThan(200);
	expect(b).toBeGreaterThan(200);
	expect(g).toBeLessThan(60);
	const bigCard = chat(bob.page).getByRole('group', { name: 'results 2026.bin' });
	await expect(bigCard).toContainText('31.5 MB');
	await bigCard.getByRole('button', { name: 'Download results 2026.bin' }).click();
	await expect(
		bigCard.getByRole('progressbar', { name: 'Receiving results 2026.bin' })
	).toBeVisible();
	await expect(bigCard.getByRole('button', { name: 'Save results 2026.bin' })).toBeVisible({
		timeout: 120_000
	});
	const atBob = await saved(bob.page, 'results 2026.bin');
	expect(atBob).toEqual({ sha256: big.sha256, filename: 'results 2026.bin' });

	// Alice leaves; Carol joins late, sees the files in the chat history and gets them from Bob.
	await alice.page.getByRole('button', { name: 'Leave call' }).click();
	const carol = await person({ video: 'green', tone: 'silent' });
	await join(carol.page, link, 'Carol');
	await chatLog(carol.page);
	const [r2, , b2] = await imageColor(carol.page, 'magenta.png');
	expect(Math.min(r2, b2)).toBeGreaterThan(200);
	const carolsCard = chat(carol.page).getByRole('group', { name: 'results 2026.bin' });
	await carolsCard.getByRole('button', { name: 'Download results 2026.bin' }).click();
	await expect(carolsCard).toContainText('from Bob');
	await expect(carolsCard.getByRole('button', { name: 'Save results 2026.bin' })).toBeVisible({
		timeout: 120_000
	});
	expect((await saved(carol.page, 'results 2026.bin')).sha256).toBe(big.sha256);
	const violations = await seriousViolations(carol.page);
	expect(violations, formatViolations(violations)).toEqual([]);

	// On Carol's device the files are listed with the meeting, and deleted with it.
	await carol.page.getByRole('button', { name: 'Leave call' }).click();
	await carol.page.goto(`/meetings/${new URL(link).pathname.slice(1)}`);
	const kept = carol.page.getByRole('region', { name: 'Files on this device' });
	await expect(kept.getByRole('button', { name: 'Save results 2026.bin' })).toBeVisible();
	await expect(kept.getByRole('button', { name: 'Save magenta.png' })).toBeVisible();
	expect(await storedFiles(carol.page)).toHaveLength(4);
	await carol.page.getByRole('button', { name: 'Delete from this device' }).click();
	await expect(carol.page.getByRole('dialog', { name: 'Delete this meeting?' })).toContainText(
		'2 files'
	);
	await carol.page.getByRole('button', { name: 'Delete', exact: true }).click();
	await expect(carol.page.getByRole('heading', { name: 'Meetings', level: 1 })).toBeVisible();
	expect(await storedFiles(carol.page)).toEqual([]);
});

/** The entries of Confer's directory in the page's Origin Private File System. */
function storedFiles(page: Page): Promise<string[]> {
	return page.evaluate(async () => {
		const root = await navigator.storage.getDirectory();
		const names: string[] = [];
		const dir = await root.getDirectoryHandle('confer-files', { create: true });
		for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) {
			names.push(name);
		}
		return names;
	});
}

test('a transfer cut off by its holder leaving half way finishes from another holder', async () => {
	test.setTimeout(300_000);
	const big = await randomFile('dataset.bin', 24 * 1024 * 1024);
	const people = {
		Alice: await person({ video: 'red', tone: 'silent' }),
		Bob: await person({ video: 'blue', tone: 'silent' })
	};
	const link = await newMeeting(people.Alice.page);
	await join(people.Alice.page, link, 'Alice');
	await join(people.Bob.page, link, 'Bob');
	await attachAndSend(people.Alice.page, big.path);
	await chatLog(people.Bob.page);
	await chat(people.Bob.page).getByRole('button', { name: 'Download dataset.bin' }).click();
	await expect(chat(people.Bob.page).getByRole('button', { name: 'Save dataset.bin' })).toBeVisible(
		{
			timeout: 180_000
		}
	);

	// Carol fetches from one of them; that one leaves when she has about half.
	const carol = await person({ video: 'green', tone: 'silent' });
	await join(carol.page, link, 'Carol');
	await chatLog(carol.page);
	const card = chat(carol.page).getByRole('group', { name: 'dataset.bin' });
	// Every holder the transfer names ("… · from Bob"), in order.
	await card.evaluate((el) => {
		const sources: string[] = [];
		(window as unknown as { __sources: string[] }).__sources = sources;
		new MutationObserver(() => {
			const from = /· from (\w+)/.exec(el.textContent ?? '')?.[1];
			if (from && sources.at(-1) !== from) sources.push(from);
		}).observe(el, { subtree: true, childList: true, characterData: true });
	});
	await card.getByRole('button', { name: 'Download dataset.bin' }).click();
	await expect(card).toContainText(/from (Alice|Bob)/);
	const first = (
		/from (Alice|Bob)/.exec((await card.textContent()) ?? '') as RegExpExecArray
	)[1] as 'Alice' | 'Bob';
	const other = first === 'Alice' ? 'Bob' : 'Alice';
	await carol.page.waitForFunction(
		() => {
			const bar = document.querySelector('[role="progressbar"]');
			return Number(bar?.getAttribute('aria-valuenow') ?? 0) >= 40;
		},
		undefined,
		{ polling: 'raf', timeout: 120_000 }
	);
	await people[first].page.getByRole('button', { name: 'Leave call' }).click();
	const progress = Number(
		await card
			.getByRole('progressbar')
			.getAttribute('aria-valuenow')
			.catch(() => '100')
	);
	expect(progress, 'the transfer should still be under way when the holder leaves').toBeLessThan(
		100
	);
	await expect(card.getByRole('button', { name: 'Save dataset.bin' })).toBeVisible({
		timeout: 180_000
	});
	const sources = await carol.page.evaluate(
		() => (window as unknown as { __sources: string[] }).__sources
	);
	expect(sources).toEqual([first, other]);
	expect((await saved(carol.page, 'dataset.bin')).sha256).toBe(big.sha256);
});
