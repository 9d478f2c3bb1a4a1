// `npm run bench:history`: the history at scale. Prints figures, asserts nothing; exits non-zero
// only when something broke.
//
// MEETINGS meetings (default 500) with MESSAGES messages in all (default 100,000) are written as a
// Confer backup (room documents as Yjs updates, the same shape RoomDoc writes) and restored through
// the app's own "Restore backup" in a real Chromium: restoring runs the app's backup, library and
// search modules, so the index is built as it would be on a device. Then, on the Meetings page:
// 1. time to first render (the heading) and to the whole list, from navigation start;
// 2. search latency, from the input event to the results heading updating (Meetings page, main
//    thread, includes the worker round trip and rendering), for 1-, 2- and 3-word queries;
// 3. main-thread tasks over 50 ms while typing (PerformanceObserver "longtask");
// 4. the index's size in IndexedDB (its snapshot, as JSON), and the origin's storage use;
// 5. backup time and size ("Download backup"), restore time and size.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import * as Y from 'yjs';
import {
	CHROMIUM,
	addCleanup,
	buildIfMissing,
	collectErrors,
	contextOptions,
	envInteger,
	median,
	participantArgs,
	quantile,
	runBench,
	snapshotBuild,
	startRelay
} from './lib.mjs';

const BENCH = 'bench:history';
const MEETINGS = envInteger('MEETINGS', 500, 1);
const MESSAGES = envInteger('MESSAGES', 100_000, 1);
const QUERIES = envInteger('QUERIES', 30, 1);

const WORDS = (
	'meeting budget design review café résumé naïve déjà plan launch invoice customer release ' +
	'roadmap mockup slides deadline coffee office Zürich Málaga München straße report feedback ' +
	'sprint retro hiring offsite travel boots project account marketing numbers quarter forecast'
).split(' ');
const NAMES = ['Alice', 'Bob', 'Zoë', 'José', 'Chloé', 'Dmitri', 'Aiyana', 'Søren'];

const id = () => randomBytes(16).toString('base64url');
const pick = (list) => list[Math.floor(Math.random() * list.length)];
const sentence = (n) => Array.from({ length: n }, () => pick(WORDS)).join(' ');

/** A backup file of MEETINGS meetings and MESSAGES messages; returns its path. */
function writeBackup() {
	const dir = mkdtempSync(join(tmpdir(), 'confer-bench-history-'));
	const meetings = [];
	const rooms = {};
	const start = Date.UTC(2025, 0, 1);
	for (let m = 0; m < MEETINGS; m++) {
		const code = `${'abc'}-${String(m)
			.padStart(4, '0')
			.replace(/\d/g, (d) => 'abcdefghij'[d])}-xyz`;
		const doc = new Y.Doc();
		const at = start + m * 3_600_000;
		const people = [pick(NAMES), pick(NAMES), pick(NAMES)];
		doc.getMap('meta').set('title', `${sentence(2)} ${m}`);
		doc.getMap('meta').set('createdAt', at);
		doc
			.getArray('attendance')
			.push(people.map((name, i) => ({ personId: id(), name, event: 'join', at: at + i * 1000 })));
		const count = Math.floor(MESSAGES / MEETINGS) + (m < MESSAGES % MEETINGS ? 1 : 0);
		const chat = [];
		for (let i = 0; i < count; i++) {
			const author = pick(people);
			chat.push({
				id: id(),
				authorId: id(),
				authorName: author,
				text: sentence(4 + Math.floor(Math.random() * 12)),
				sentAt: at + i * 10_000
			});
		}
		doc.getArray('chat').push(chat);
		rooms[code] = Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64');
		meetings.push({
			code,
			link: `https://confer.example/${code}#k=${id()}`,
			title: '',
			firstJoinedAt: at,
			lastJoinedAt: at,
			totalMs: 45 * 60_000,
			names: [...new Set(people)],
			messageCount: count
		});
	}
	const path = join(dir, 'backup.json');
	writeFileSync(
		path,
		JSON.stringify({ format: 'confer-backup', version: 1, createdAt: Date.now(), meetings, rooms })
	);
	return path;
}

const mb = (bytes) => `${(bytes / 1_000_000).toFixed(1)} MB`;

await runBench(BENCH, async () => {
	buildIfMissing(BENCH);
	const origin = await startRelay(snapshotBuild(BENCH));
	const backupPath = writeBackup();
	const errors = [];
	const browser = await chromium.launch({
		executablePath: CHROMIUM,
		args: participantArgs({ bench: BENCH, tone: 440, video: undefined })
	});
	addCleanup(() => browser.close());
	const context = await browser.newContext({ ...contextOptions(origin), acceptDownloads: true });
	const page = await context.newPage();
	collectErrors(page, 'page', errors);

	// Restore through the app.
	await page.goto('/meetings');
	await page.getByRole('heading', { name: 'Meetings', level: 1 }).waitFor();
	let t = Date.now();
	await page.locator('input[type="file"]').setInputFiles(backupPath);
	await page
		.getByRole('status')
		.filter({ hasText: `Restored ${MEETINGS} meeting` })
		.waitFor({ timeout: 600_000 });
	const restoreMs = Date.now() - t;
	// The restored messages are logged; the worker folds them into a snapshot when idle.
	await page.waitForTimeout(8_000);

	// Open the page as someone would, with the history in place.
	await page.addInitScript(() => {
		const longTasks = [];
		Object.assign(window, { longTasks });
		new PerformanceObserver((list) => {
			for (const entry of list.getEntries()) longTasks.push(entry.duration);
		}).observe({ type: 'longtask', buffered: true });
	});
	await page.goto('/meetings');
	await page.getByRole('heading', { name: 'Meetings', level: 1 }).waitFor();
	const firstRender = await page.evaluate(() => performance.now());
	await page
		.getByRole('list', { name: 'All meetings' })
		.getByRole('link')
		.nth(MEETINGS - 1)
		.waitFor();
	const listReady = await page.evaluate(() => performance.now());
	// The first search loads the index into the worker: timed on its own.
	const box = page.getByRole('searchbox', { name: 'Search meetings and messages' });
	t = Date.now();
	await box.fill('budget');
	await page.getByRole('heading', { name: /results?$/ }).waitFor({ timeout: 120_000 });
	const firstSearch = Date.now() - t;
	await box.fill('');

	const latency = async (query) =>
		page.evaluate(async (q) => {
			const input = document.querySelector('input[type="search"]');
			input.value = '';
			input.dispatchEvent(new Event('input', { bubbles: true }));
			await new Promise((r) => setTimeout(r, 30));
			const start = performance.now();
			const done = new Promise((resolve) => {
				const observer = new MutationObserver(() => {
					const heading = document.getElementById('results-heading');
					if (heading && heading.textContent.trim() !== '') {
						observer.disconnect();
						resolve(performance.now() - start);
					}
				});
				observer.observe(document.body, { subtree: true, childList: true, characterData: true });
			});
			input.value = q;
			input.dispatchEvent(new Event('input', { bubbles: true }));
			return done;
		}, query);
	await page.evaluate(() => (window.longTasks.length = 0));
	const rows = [];
	for (const words of [1, 2, 3]) {
		const samples = [];
		for (let i = 0; i < QUERIES; i++) {
			const query = Array.from({ length: words }, () => pick(WORDS).slice(0, 3 + (i % 4))).join(
				' '
			);
			samples.push(await latency(query));
		}
		rows.push({ words, samples });
	}
	// Typing, key by key, as a person would.
	await box.fill('');
	await box.pressSequentially('roadmap launch coffee', { delay: 60 });
	await page.waitForTimeout(500);
	const longTasks = await page.evaluate(() => window.longTasks);

	const sizes = await page.evaluate(async () => {
		const db = await new Promise((resolve, reject) => {
			const r = indexedDB.open('confer-search');
			r.onsuccess = () => resolve(r.result);
			r.onerror = () => reject(r.error);
		});
		const snapshot = await new Promise((resolve) => {
			const r = db.transaction('index').objectStore('index').get('snapshot');
			r.onsuccess = () => resolve(r.result);
		});
		db.close();
		const { usage = 0 } = await navigator.storage.estimate();
		return { index: snapshot ? JSON.stringify(snapshot).length : 0, usage };
	});

	await box.fill('');
	t = Date.now();
	const downloading = page.waitForEvent('download', { timeout: 600_000 });
	await page.getByRole('button', { name: 'Download backup' }).click();
	const backupFile = await (await downloading).path();
	const backupMs = Date.now() - t;

	const fmt = (n) => `${n.toFixed(1)} ms`;
	console.log(
		`\nbench:history: ${MEETINGS} meetings, ${MESSAGES} messages (Chromium, this machine)`
	);
	console.log(`  Meetings page: first render ${fmt(firstRender)}, whole list ${fmt(listReady)}`);
	console.log(`  first search (loads the index into the worker): ${firstSearch} ms`);
	for (const { words, samples } of rows) {
		console.log(
			`  search, ${words} word${words > 1 ? 's' : ' '}: p50 ${fmt(median(samples))}, p95 ${fmt(quantile(samples, 0.95))} (${samples.length} queries)`
		);
	}
	console.log(
		`  main-thread tasks over 50 ms while searching and typing: ${longTasks.length}` +
			(longTasks.length ? ` (longest ${fmt(Math.max(...longTasks))})` : '')
	);
	console.log(`  index snapshot: ${mb(sizes.index)}; origin storage in use: ${mb(sizes.usage)}`);
	console.log(`  backup: ${backupMs} ms, ${mb(statSync(backupFile).size)}`);
	console.log(`  restore: ${restoreMs} ms, ${mb(statSync(backupPath).size)}`);
	console.log(
		'  adding one arriving message: one IndexedDB log write in the search worker, off the page (not timed here)'
	);
	if (errors.length) console.log(`  page errors:\n    ${errors.join('\n    ')}`);
});
