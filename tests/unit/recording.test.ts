import { createStore } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import { compositeLayout, GAP, type Rect } from '$lib/recording/layout';
import { RecordingStore, type RecordingMeta } from '$lib/recording/store';

const W = 1280;
const H = 720;

function inside(r: Rect) {
	return r.x >= 0 && r.y >= 0 && r.x + r.width <= W + 1e-9 && r.y + r.height <= H + 1e-9;
}

function overlap(a: Rect, b: Rect) {
	return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

const people = (n: number, screen = -1) =>
	Array.from({ length: n }, (_, i) => ({ screen: i === screen }));

describe('compositeLayout', () => {
	it('fills the picture with one 16:9 tile for one person', () => {
		const [tile] = compositeLayout(people(1));
		// As large as fits: it touches the margins top and bottom (720 is the tighter side).
		expect(tile?.height).toBeCloseTo(H - 2 * GAP);
		expect(inside(tile as Rect)).toBe(true);
		expect((tile as Rect).width / (tile as Rect).height).toBeCloseTo(16 / 9);
	});

	it.each([2, 3, 4, 5, 6, 9])(
		'lays out %i people as a grid of equal 16:9 tiles, inside and apart',
		(n) => {
			const rects = compositeLayout(people(n));
			expect(rects).toHaveLength(n);
			for (const r of rects) {
				expect(inside(r)).toBe(true);
				expect(r.width / r.height).toBeCloseTo(16 / 9);
				expect(r.width).toBeCloseTo((rects[0] as Rect).width);
			}
			for (let i = 0; i < n; i++)
				for (let j = i + 1; j < n; j++)
					expect(overlap(rects[i] as Rect, rects[j] as Rect)).toBe(false);
		}
	);

	it('puts two people side by side and four in two rows of two', () => {
		const two = compositeLayout(people(2));
		expect(two[0]?.y).toBe(two[1]?.y);
		const four = compositeLayout(people(4));
		expect(new Set(four.map((r) => r.y)).size).toBe(2);
	});

	it('centres a shorter last row', () => {
		const rects = compositeLayout(people(3));
		const last = rects[2] as Rect;
		expect(last.x + last.width / 2).toBeCloseTo(W / 2);
	});

	it('shows a shared screen large, everyone else in a column beside it', () => {
		const rects = compositeLayout(people(4, 2));
		const screen = rects[2] as Rect;
		const others = rects.filter((_, i) => i !== 2);
		for (const r of others) {
			expect(r.width * r.height).toBeLessThan((screen.width * screen.height) / 4);
			expect(r.x).toBeGreaterThan(screen.x + screen.width);
			expect(inside(r)).toBe(true);
		}
		expect(screen.width).toBeGreaterThan(W * 0.7);
		for (let i = 0; i < 4; i++)
			for (let j = i + 1; j < 4; j++)
				expect(overlap(rects[i] as Rect, rects[j] as Rect)).toBe(false);
	});

	it('lays out nobody as nothing', () => {
		expect(compositeLayout([])).toEqual([]);
	});
});

describe('RecordingStore', () => {
	const meta = (id: string, code: string, startedAt: number): RecordingMeta => ({
		id,
		code,
		title: '',
		startedAt,
		state: 'recording',
		mimeType: 'video/webm',
		ext: 'webm',
		durationMs: 0,
		size: 0
	});
	let n = 0;
	const fresh = () =>
		new RecordingStore(
			createStore(`meta-${++n}`, 'recordings'),
			createStore(`chunks-${n}`, 'chunks')
		);

	it('keeps chunks in recording order, past ten of them, and counts their bytes', async () => {
		const store = fresh();
		await store.begin(meta('r1', 'abc', 1));
		await store.begin(meta('r10', 'abc', 2));
		for (let seq = 0; seq < 12; seq++) await store.append('r1', seq, new Uint8Array([seq]));
		await store.append('r10', 0, new Uint8Array([99]));
		const blob = await store.assemble('r1', 'video/webm');
		expect([...new Uint8Array(await blob.arrayBuffer())]).toEqual([...Array(12).keys()]);
		expect(blob.type).toBe('video/webm');
		expect((await store.get('r1'))?.size).toBe(12);
	});

	it('lists unfinished recordings (to recover) and finished ones by meeting, newest first', async () => {
		const store = fresh();
		await store.begin(meta('a', 'abc', 1));
		await store.begin(meta('b', 'abc', 2));
		await store.begin(meta('c', 'xyz', 3));
		await store.finish('b', { state: 'done', durationMs: 8_000, size: 100 });
		expect((await store.unfinished()).map((m) => m.id).sort()).toEqual(['a', 'c']);
		expect((await store.list('abc')).map((m) => m.id)).toEqual(['b', 'a']);
		await store.append('a', 0, new Uint8Array([1]));
		await store.remove('a');
		expect(await store.get('a')).toBeNull();
		expect((await store.assemble('a', 'video/webm')).size).toBe(0);
	});
});
