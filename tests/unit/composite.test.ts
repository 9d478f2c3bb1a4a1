import { describe, expect, it } from 'vitest';
import { FRAME_RATES, FramePace } from '$lib/recording/pace';
import {
	blendOverlay,
	createI420,
	drawPlanes,
	evenRect,
	fillRect,
	overlayFromRgba,
	placement,
	rgbToYuv,
	type Planes
} from '$lib/recording/yuv';

/** An I420 source whose luma is `luma(x, y)` and whose chroma is `u`, `v` everywhere. */
function i420(
	width: number,
	height: number,
	luma: (x: number, y: number) => number,
	u = 100,
	v = 200
): Planes {
	const data = new Uint8Array(width * height * 1.5);
	for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = luma(x, y);
	data.fill(u, width * height, width * height * 1.25);
	data.fill(v, width * height * 1.25);
	return {
		format: 'I420',
		width,
		height,
		data,
		layout: [
			{ offset: 0, stride: width },
			{ offset: width * height, stride: width / 2 },
			{ offset: width * height * 1.25, stride: width / 2 }
		]
	};
}

const whole = (width: number, height: number) => ({ x: 0, y: 0, width, height });

describe('YUV compositing', () => {
	it('converts colours with BT.601 limited range', () => {
		expect(rgbToYuv(0, 0, 0)).toEqual([16, 128, 128]);
		expect(rgbToYuv(255, 255, 255)).toEqual([235, 128, 128]);
		expect(rgbToYuv(255, 0, 0)).toEqual([81, 90, 240]);
		expect(rgbToYuv(0, 0, 255)).toEqual([41, 240, 110]);
	});

	it('snaps rectangles to even pixels without moving their far edges by more than one', () => {
		expect(evenRect({ x: 7.6, y: 3, width: 100.2, height: 51 })).toEqual({
			x: 8,
			y: 4,
			width: 100,
			height: 50
		});
	});

	it('scales up by repeating samples and places them where asked', () => {
		const dst = createI420(16, 8);
		fillRect(dst, whole(16, 8), [16, 128, 128]);
		drawPlanes(
			dst,
			i420(4, 4, (x) => 50 + x * 10),
			whole(4, 4),
			{ x: 8, y: 0, width: 8, height: 8 }
		);
		// Left half untouched, right half each source column twice.
		expect([...dst.y.subarray(0, 16)]).toEqual([
			...Array(8).fill(16),
			50,
			50,
			60,
			60,
			70,
			70,
			80,
			80
		]);
		expect(dst.u[4]).toBe(100);
		expect(dst.v[7]).toBe(200);
		expect(dst.u[3]).toBe(128);
	});

	it('averages 2×2 blocks when shrinking, so fine lines become grey instead of vanishing', () => {
		const dst = createI420(4, 4);
		const stripes = i420(16, 16, (x) => (x % 2 === 0 ? 16 : 235));
		drawPlanes(dst, stripes, whole(16, 16), whole(4, 4));
		for (const sample of dst.y) expect(Math.abs(sample - 126)).toBeLessThanOrEqual(1);
	});

	it('reads NV12 chroma from its interleaved plane', () => {
		const data = new Uint8Array(4 * 4 * 1.5);
		data.fill(90, 0, 16);
		for (let i = 16; i < 24; i += 2) {
			data[i] = 60;
			data[i + 1] = 220;
		}
		const nv12: Planes = {
			format: 'NV12',
			width: 4,
			height: 4,
			data,
			layout: [
				{ offset: 0, stride: 4 },
				{ offset: 16, stride: 4 }
			]
		};
		const dst = createI420(4, 4);
		drawPlanes(dst, nv12, whole(4, 4), whole(4, 4));
		expect([...dst.y]).toEqual(Array(16).fill(90));
		expect([...dst.u]).toEqual([60, 60, 60, 60]);
		expect([...dst.v]).toEqual([220, 220, 220, 220]);
	});

	it('converts RGBA sources (a shared screen) to YUV as it draws them', () => {
		const rgba = new Uint8Array(4 * 4 * 4);
		for (let i = 0; i < rgba.length; i += 4) rgba.set([0, 0, 255, 255], i);
		const dst = createI420(4, 4);
		drawPlanes(
			dst,
			{ format: 'RGBA', width: 4, height: 4, data: rgba, layout: [{ offset: 0, stride: 16 }] },
			whole(4, 4),
			whole(4, 4)
		);
		expect(dst.y[5]).toBe(41);
		expect(dst.u[3]).toBe(240);
		expect(dst.v[0]).toBe(110);
	});

	it('crops a camera to fill its tile and letterboxes a screen inside it', () => {
		const tile = { x: 100, y: 50, width: 640, height: 360 };
		const cover = placement(640, 480, tile, 'cover');
		expect(cover.to).toEqual(tile);
		expect(cover.from).toEqual({ x: 0, y: 60, width: 640, height: 360 });
		const contain = placement(1000, 1000, tile, 'contain');
		expect(contain.from).toEqual({ x: 0, y: 0, width: 1000, height: 1000 });
		expect(contain.to).toEqual({ x: 240, y: 50, width: 360, height: 360 });
	});

	it('lays a translucent overlay over the picture, with its chroma opacity per 2×2 block', () => {
		const dst = createI420(4, 4);
		fillRect(dst, whole(4, 4), rgbToYuv(255, 255, 255));
		// Black at 60 % opacity on the left column pair; transparent on the right.
		const rgba = new Uint8ClampedArray(2 * 2 * 4);
		rgba.set([0, 0, 0, 153, 0, 0, 0, 0, 0, 0, 0, 153, 0, 0, 0, 0]);
		const overlay = overlayFromRgba(rgba, 2, 2);
		expect(overlay.chromaAlpha[0]).toBe(77);
		blendOverlay(dst, overlay, 2, 2);
		expect(dst.y[2 * 4 + 2]).toBe(Math.round(235 + ((16 - 235) * 153) / 255));
		expect(dst.y[2 * 4 + 3]).toBe(235);
		expect(dst.y[0]).toBe(235);
	});
});

describe('FramePace', () => {
	it('keeps 30 fps while frames are on time', () => {
		const pace = new FramePace(0);
		for (let t = 0; t < 10_000; t += 33) pace.record(1, 5, t);
		expect(pace.fps).toBe(30);
	});

	it('does not step down for one late frame, but does when frames stay late', () => {
		const pace = new FramePace(0);
		pace.record(100, 5, 33);
		expect(pace.fps).toBe(30);
		let t = 33;
		while (pace.fps === 30 && t < 2_000) pace.record(40, 5, (t += 33));
		expect(pace.fps).toBe(FRAME_RATES[1]);
		for (let i = 0; i < 200; i++) pace.record(0, 200, (t += 200));
		expect(pace.fps).toBe(FRAME_RATES[FRAME_RATES.length - 1]);
	});

	it('steps back up only after frames have been on time for a while', () => {
		const pace = new FramePace(0);
		let t = 0;
		while (pace.fps === 30) pace.record(40, 5, (t += 33));
		const down = t;
		while (pace.fps !== 30) pace.record(0, 5, (t += 50));
		expect(t - down).toBeGreaterThanOrEqual(5_000);
	});
});
