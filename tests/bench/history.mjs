// `npm run bench:history`: the history at scale. Prints figures, asserts nothing; exits non-zero
// only when something broke.
//
// MEETINGS meetings (default 500) with MESSAGES messages in all (default 100,000) are written as a
// Confer backup (room documents as Yjs updates, the same shape RoomDoc writes) and restored through
// the app's own "Restore backup" in a real Chromium: restoring runs the app's backup, library and
// search modules, so the index is built as it would be on a device. Then, on the Meetings page:
// 1. time until the page is usable (its heading, with the search box, has rendered) and until the
//    whole list shows, from navigation start; the home page's time beside it as the yardstick;
// 2. search latency, from the input event to the results heading updating (Meetings page, main
//    thread, includes the worker round trip and rendering), for 1-, 2- and 3-word queries;
// 3. main-thread tasks over 50 ms while typing (PerformanceObserver "longtask");
// 4. the index's size in IndexedDB (its snapshot, as JSON), and the origin's storage use;
// 5. time from an arriving message reaching the search worker to a search finding it;
// 6. backup time and size ("Download backup"), restore time and size.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import * as Y from 'yjs';
import {
	CHROMIUM,
	ROOT,
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
const QUERIES = envInteger('QUERIES', 100, 1);

/** Real words, some with diacritics, among the most frequent of the vocabulary. */
const WORDS = (
	'meeting budget design review café résumé naïve déjà plan launch invoice customer release ' +
	'roadmap mockup slides deadline coffee office Zürich Málaga München straße report feedback ' +
	'sprint retro hiring offsite travel boots project account marketing numbers quarter forecast'
).split(' ');
const NAMES = ['Alice', 'Bob', 'Zoë', 'José', 'Chloé', 'Dmitri', 'Aiyana', 'Søren'];
/** Words in the vocabulary: chat text has thousands of distinct words, not a handful. */
const VOCABULARY_SIZE = envInteger('VOCABULARY', 5_000, WORDS.length);

const id = () => randomBytes(16).toString('base64url');
const pick = (list) => list[Math.floor(Math.random() * list.length)];

/**
 * The vocabulary, most frequent first: pseudo-words of 2–4 syllables, with the real words spread
 * over ranks 10–200. Words are drawn by Zipf's law (rank r with weight 1/r), as in natural text.
 */
const SYLLABLES = 'ka lo mi ne ru sa te vi do pa re lu no si ta be fo gu ha ji'.split(' ');
const vocabulary = Array.from({ length: VOCABULARY_SIZE - WORDS.length }, (_, i) =>
	Array.from({ length: 2 + (i % 3) }, () => pick(SYLLABLES)).join('')
);
for (const [i, word] of WORDS.entries()) vocabulary.splice(10 + i * 5, 0, word);
const cumulative = [];
vocabulary.reduce((sum, _, rank) => (cumulative[rank] = sum + 1 / (rank + 1)), 0);
/** A word drawn by frequency. */
function word() {
	const x = Math.random() * cumulative.at(-1);
	let lo = 0;
	let hi = cumulative.length - 1;
	while (lo < hi) {
		const mid = (lo + hi) >> 1;
		if (cumulative[mid] < x) lo = mid + 1;
		else hi = mid;
	}
	return vocabulary[lo];
}
const sentence = (n) => Array.from({ length: n }, word).join(' ');

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

	// Open the page as someone would, with the history in place. The page notes, on its own clock
	// (from navigation start), when the heading and search box show and when the whole list does.
	await page.addInitScript((meetings) => {
		const longTasks = [];
		const marks = {};
		Object.assign(window, { longTasks, marks });
		new PerformanceObserver((list) => {
			for (const entry of list.getEntries()) longTasks.push(entry.duration);
		}).observe({ type: 'longtask', buffered: true });
		const observer = new MutationObserver(() => {
			if (!marks.usable && document.querySelector('h1')) marks.usable = performance.now();
			if (document.querySelectorAll('ul[aria-labelledby="all-heading"] > li').length >= meetings) {
				marks.list = performance.now();
				observer.disconnect();
			}
		});
		observer.observe(document, { subtree: true, childList: true });
	}, MEETINGS);
	// The home page, on the same machine and data, as the yardstick: the app's own start-up.
	await page.goto('/');
	await page.waitForFunction(() => window.marks.usable !== undefined);
	const home = await page.evaluate(() => window.marks.usable);
	await page.goto('/meetings');
	await page.waitForFunction(() => window.marks.list !== undefined);
	const { usable: firstRender, list: listReady } = await page.evaluate(() => window.marks);
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
			// Done when the results section holds the answer to this query (no longer aria-busy).
			const done = new Promise((resolve) => {
				const observer = new MutationObserver(() => {
					const section = document.getElementById('results-heading')?.closest('section');
					if (section?.getAttribute('aria-busy') === 'false') {
						observer.disconnect();
						resolve(performance.now() - start);
					}
				});
				observer.observe(document.body, { subtree: true, childList: true, attributes: true });
			});
			input.value = q;
			input.dispatchEvent(new Event('input', { bubbles: true }));
			return done;
		}, query);
	await page.evaluate(() => (window.longTasks.length = 0));
	const rows = [];
	// Queries are words people look for: drawn by frequency, leaving out the ten most frequent
	// (the "the" and "and" of the text), typed in part (3–6 letters) or whole.
	const queryWord = (i) => {
		let w;
		do w = word();
		while (vocabulary.indexOf(w) < 10);
		return w.slice(0, 3 + (i % 5));
	};
	for (const words of [1, 2, 3]) {
		const samples = [];
		for (let i = 0; i < QUERIES; i++) {
			samples.push(await latency(Array.from({ length: words }, () => queryWord(i)).join(' ')));
		}
		rows.push({ words, samples });
	}
	// The worst case: the most frequent word, in about two messages out of three.
	const worst = [];
	for (let i = 0; i < 5; i++) worst.push(await latency(vocabulary[0]));
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

	// An arriving message: from handing it to the search worker (the app's own, built script) to a
	// search finding it; the worker has the history loaded, as it does once the page searched.
	const workerScript = readdirSync(join(ROOT, 'build/_app/immutable/workers')).find((f) =>
		f.startsWith('search.worker')
	);
	const arriving = await page.evaluate(async (url) => {
		const worker = new Worker(url, { type: 'module' });
		const ask = (request) =>
			new Promise((resolve) => {
				worker.onmessage = (event) => resolve(event.data);
				worker.postMessage(request);
			});
		await ask({ type: 'search', id: 0, query: 'warm up', limit: 1 });
		const samples = [];
		for (let i = 1; i <= 20; i++) {
			const word = `zq${Math.random().toString(36).slice(2, 10)}`;
			const start = performance.now();
			worker.postMessage({
				type: 'add',
				docs: [
					{
						kind: 'message',
						id: `bench-${word}`,
						code: 'abc-defg-hij',
						author: 'Bench',
						sentAt: Date.now(),
						text: `arriving ${word}`
					}
				]
			});
			const answer = await ask({ type: 'search', id: i, query: word, limit: 1 });
			if (answer.hits.length === 1) samples.push(performance.now() - start);
		}
		worker.terminate();
		return samples;
	}, `/_app/immutable/workers/${workerScript}`);

	await box.fill('');
	t = Date.now();
	const downloading = page.waitForEvent('download', { timeout: 600_000 });
	await page.getByRole('button', { name: 'Download backup' }).click();
	const backupFile = await (await downloading).path();
	const backupMs = Date.now() - t;

	const fmt = (n) => `${n.toFixed(1)} ms`;
	console.log(
		`\nbench:history: ${MEETINGS} meetings, ${MESSAGES} messages, ${VOCABULARY_SIZE} words (Chromium, this machine)`
	);
	console.log(
		`  Meetings page: usable ${fmt(firstRender)} (home page ${fmt(home)}, ratio ${(firstRender / home).toFixed(2)}), whole list ${fmt(listReady)}`
	);
	console.log(`  first search (loads the index into the worker): ${firstSearch} ms`);
	for (const { words, samples } of rows) {
		console.log(
			`  search, ${words} word${words > 1 ? 's' : ' '}: p50 ${fmt(median(samples))}, p95 ${fmt(quantile(samples, 0.95))} (${samples.length} queries)`
		);
	}
	console.log(
		`  search, the most frequent word ("${vocabulary[0]}"): p50 ${fmt(median(worst))}, worst ${fmt(Math.max(...worst))}`
	);
	console.log(
		`  main-thread tasks over 50 ms while searching and typing: ${longTasks.length}` +
			(longTasks.length ? ` (longest ${fmt(Math.max(...longTasks))})` : '')
	);
	console.log(`  index snapshot: ${mb(sizes.index)}; origin storage in use: ${mb(sizes.usage)}`);
	console.log(`  backup: ${backupMs} ms, ${mb(statSync(backupFile).size)}`);
	console.log(`  restore: ${restoreMs} ms, ${mb(statSync(backupPath).size)}`);
	console.log(
		`  an arriving message, from the worker receiving it to a search finding it: p50 ${fmt(median(arriving))}, p95 ${fmt(quantile(arriving, 0.95))} (${arriving.length} of 20 found)`
	);
	if (errors.length) console.log(`  page errors:\n    ${errors.join('\n    ')}`);
});
