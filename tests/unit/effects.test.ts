import { describe, expect, it } from 'vitest';
import {
	blurSigma,
	blurredBackground,
	boxBlur,
	composite,
	createGray,
	featherMask,
	fittedImage,
	shrink,
	toRgba,
	type Gray,
	type PlaneSet
} from '$lib/effects/compose';
import { MAX_EVERY, SegmentationPace, SlowWatch } from '$lib/effects/pace';
import { createI420, rgbToYuv, type I420 } from '$lib/recording/yuv';

/** A black-and-white checkerboard of `square`-pixel squares, neutral chroma. */
function checkerboard(width: number, height: number, square: number): I420 {
	const picture = createI420(width, height);
	for (let y = 0; y < height; y++)
		for (let x = 0; x < width; x++)
			picture.y[y * width + x] = (Math.floor(x / square) + Math.floor(y / square)) % 2 ? 235 : 16;
	picture.u.fill(128);
	picture.v.fill(128);
	return picture;
}

/** Variance of the 4-neighbour Laplacian of the luma: high-frequency energy. */
function laplacianVariance(picture: I420): number {
	const { width, height, y } = picture;
	const values: number[] = [];
	for (let j = 1; j < height - 1; j++)
		for (let i = 1; i < width - 1; i++) {
			const at = j * width + i;
			values.push(
				4 * (y[at] as number) -
					(y[at - 1] as number) -
					(y[at + 1] as number) -
					(y[at - width] as number) -
					(y[at + width] as number)
			);
		}
	const mean = values.reduce((a, b) => a + b, 0) / values.length;
	return values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
}

/** A mask of `width`×`height` that is `inside` where `person(x, y)`, else 0. */
function mask(width: number, height: number, person: (x: number, y: number) => boolean): Gray {
	const out = createGray(width, height);
	for (let y = 0; y < height; y++)
		for (let x = 0; x < width; x++) out.data[y * width + x] = person(x, y) ? 255 : 0;
	return out;
}

/** One colour as a full-size plane set. */
function solid(width: number, height: number, [y, u, v]: number[]): PlaneSet {
	const plane = (w: number, h: number, value: number) => {
		const g = createGray(w, h);
		g.data.fill(value);
		return g;
	};
	return {
		y: plane(width, height, y as number),
		u: plane(width / 2, height / 2, u as number),
		v: plane(width / 2, height / 2, v as number)
	};
}

describe('blur', () => {
	it('keeps a flat picture flat and the mean of any picture', () => {
		const flat = createGray(20, 10);
		flat.data.fill(77);
		boxBlur(flat, 2);
		expect(new Set(flat.data)).toEqual(new Set([77]));

		const board = shrink({ width: 64, height: 64, data: checkerboard(64, 64, 4).y }, 1);
		const before = board.data.reduce((a, b) => a + b, 0) / board.data.length;
		boxBlur(board, 1);
		const after = board.data.reduce((a, b) => a + b, 0) / board.data.length;
		expect(Math.abs(after - before)).toBeLessThan(1.5);
	});

	it('spreads a bright run by three times the radius on each side, no further', () => {
		for (const radius of [1, 2]) {
			// Five lit samples, so that the faint tails stay above zero after rounding.
			const line = createGray(41, 1);
			for (let i = 18; i <= 22; i++) line.data[i] = 255;
			boxBlur(line, radius);
			const lit = [...line.data].map((v, i) => (v > 0 ? i : -1)).filter((i) => i >= 0);
			expect(Math.min(...lit)).toBe(18 - 3 * radius);
			expect(Math.max(...lit)).toBe(22 + 3 * radius);
		}
	});

	it('blurs "Blur" about three times as wide as "Blur slightly", in proportion to the frame', () => {
		expect(blurSigma('slight', 640)).toBeCloseTo(4 * Math.SQRT2, 5);
		expect(blurSigma('full', 640)).toBeCloseTo(8 * Math.sqrt(6), 5);
		expect(blurSigma('full', 1280)).toBeCloseTo(2 * blurSigma('full', 640), 5);
	});

	it('takes most high-frequency energy out of a checkerboard, "Blur" more than "Blur slightly"', () => {
		const width = 320;
		const height = 240;
		const sharp = laplacianVariance(checkerboard(width, height, 8));
		const energy = (strength: 'slight' | 'full') => {
			const frame = checkerboard(width, height, 8);
			// An all-background mask: the whole frame is the blurred background.
			composite(frame, blurredBackground(frame, strength), createGray(16, 9));
			return laplacianVariance(frame);
		};
		const slight = energy('slight');
		const full = energy('full');
		expect(slight).toBeLessThan(sharp * 0.2);
		expect(full).toBeLessThan(slight * 0.5);
	});
});

describe('compositing with a mask', () => {
	const width = 64;
	const height = 32;
	const green = rgbToYuv(0, 255, 0);

	it('keeps the person where the mask is full and shows the background where it is empty', () => {
		const frame = checkerboard(width, height, 4);
		const original = frame.data.slice();
		composite(
			frame,
			solid(width, height, green),
			mask(16, 8, () => true)
		);
		expect(frame.data).toEqual(original);

		composite(frame, solid(width, height, green), createGray(16, 8));
		expect(new Set(frame.y)).toEqual(new Set([green[0]]));
		expect(new Set(frame.u)).toEqual(new Set([green[1]]));
	});

	it('fades the edge of a hard mask over a few pixels after feathering', () => {
		const frame = createI420(width, height);
		frame.y.fill(235);
		frame.u.fill(128);
		frame.v.fill(128);
		// The left half is the person (white); the right half becomes the black background.
		const hard = mask(32, 16, (x) => x < 16);
		composite(frame, solid(width, height, [16, 128, 128]), featherMask(hard, 2));
		const row = [...frame.y.subarray(16 * width, 17 * width)];
		expect(row[0]).toBe(235);
		expect(row[width - 1]).toBe(16);
		for (let x = 1; x < width; x++)
			expect(row[x] as number).toBeLessThanOrEqual(row[x - 1] as number);
		const between = row.filter((v) => v > 16 && v < 235).length;
		// Radius 2 mask pixels, three passes, ×2 to the frame: the ramp spans about 2×3×2×2 px.
		expect(between).toBeGreaterThanOrEqual(8);
		expect(between).toBeLessThanOrEqual(28);

		const unfeathered = createI420(width, height);
		unfeathered.y.fill(235);
		composite(unfeathered, solid(width, height, [16, 128, 128]), hard);
		const sharpRow = [...unfeathered.y.subarray(16 * width, 17 * width)];
		expect(sharpRow.filter((v) => v > 16 && v < 235).length).toBeLessThan(between);
	});

	it('turns the model’s uncertain middle into a clear edge', () => {
		const soft = createGray(5, 1);
		soft.data.set([0, 64, 128, 192, 255]);
		expect([...featherMask(soft, 0).data]).toEqual([0, 0, 128, 255, 255]);
	});
});

describe('image fit', () => {
	it('covers the frame and crops the image at its centre', () => {
		// 4:1, green outer quarters, red middle half; into a 4:3 frame only the red middle shows.
		const width = 200;
		const height = 50;
		const data = new Uint8ClampedArray(width * height * 4);
		for (let y = 0; y < height; y++)
			for (let x = 0; x < width; x++) {
				const at = (y * width + x) * 4;
				const middle = x >= 50 && x < 150;
				data.set(middle ? [255, 0, 0, 255] : [0, 255, 0, 255], at);
			}
		const planes = fittedImage({ data, width, height }, 40, 30);
		const red = rgbToYuv(255, 0, 0);
		expect(new Set(planes.y.data)).toEqual(new Set([red[0]]));
		expect(new Set(planes.v.data)).toEqual(new Set([red[2]]));
		expect(planes.y.width).toBe(40);
		expect(planes.u.width).toBe(20);
	});

	it('scales a small image up to fill the frame', () => {
		const data = new Uint8ClampedArray(2 * 2 * 4).fill(255);
		const planes = fittedImage({ data, width: 2, height: 2 }, 64, 48);
		expect(planes.y.data.length).toBe(64 * 48);
		expect(new Set(planes.y.data)).toEqual(new Set([235]));
	});
});

describe('model input', () => {
	it('turns I420 back into the RGB it came from', () => {
		const frame = createI420(32, 18);
		const [y, u, v] = rgbToYuv(200, 40, 90);
		frame.y.fill(y);
		frame.u.fill(u);
		frame.v.fill(v);
		const out = { width: 16, height: 9, data: new Uint8ClampedArray(16 * 9 * 4) };
		toRgba(frame, out);
		const [r, g, b, a] = out.data;
		expect(Math.abs((r as number) - 200)).toBeLessThanOrEqual(3);
		expect(Math.abs((g as number) - 40)).toBeLessThanOrEqual(3);
		expect(Math.abs((b as number) - 90)).toBeLessThanOrEqual(3);
		expect(a).toBe(255);
	});
});

describe('segmentation pace', () => {
	it('runs the model on every frame while frames are on time', () => {
		const pace = new SegmentationPace(0);
		for (let t = 0; t < 10_000; t += 33) pace.record(10, 33, t);
		expect(pace.every).toBe(1);
		expect([pace.due(), pace.due()]).toEqual([true, true]);
	});

	it('runs it less often while frames are late, not for one late frame, and back after 3 s', () => {
		const pace = new SegmentationPace(0);
		pace.record(60, 33, 0);
		expect(pace.every).toBe(1);
		let t = 0;
		for (; pace.every < MAX_EVERY; t += 33) pace.record(60, 33, t);
		const stepped = t - 33;
		for (let i = 0; i < 5; i++, t += 33) pace.record(60, 33, t);
		expect(pace.every).toBe(MAX_EVERY);
		expect(Array.from({ length: 8 }, () => pace.due())).toEqual([
			true,
			false,
			false,
			false,
			true,
			false,
			false,
			false
		]);
		// Back up only once 3 s have passed since the last step.
		for (; t < stepped + 2_950; t += 33) pace.record(5, 33, t);
		expect(pace.every).toBe(MAX_EVERY);
		for (; t < stepped + 3_100; t += 33) pace.record(5, 33, t);
		expect(pace.every).toBe(MAX_EVERY - 1);
	});

	it('calls the output slow after three slow seconds, unless the camera itself is slow', () => {
		const watch = new SlowWatch();
		expect([watch.report(10, 30), watch.report(10, 30), watch.report(10, 30)]).toEqual([
			false,
			false,
			true
		]);
		expect(watch.report(25, 30)).toBe(false);
		const slowCamera = new SlowWatch();
		for (let i = 0; i < 5; i++) expect(slowCamera.report(10, 10)).toBe(false);
	});
});
