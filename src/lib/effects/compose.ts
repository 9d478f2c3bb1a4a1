/**
 * Background effects composed in I420, the format cameras deliver and encoders take
 * (ARCHITECTURE.md, "Background effects"): the person, where the segmentation mask says so, over a
 * blurred copy of the frame or over an image. Working in YUV skips converting every frame to RGB and
 * back, which in a browser without a GPU costs more than the rest together (see `recording/yuv.ts`).
 *
 * The blur is a box blur run three times (close to a Gaussian, W. Jarosz, "Fast Image Convolutions",
 * 2001) on a copy shrunk by whole blocks, then stretched back with bilinear sampling: a large blur for
 * the cost of a small one. The mask is softened the same way, so the person's edge fades over a few
 * pixels instead of cutting. Pure, so it is tested without a browser.
 */
import { createI420, drawPlanes, placement, type I420, type Planes } from '$lib/recording/yuv';

/** A picture of one channel: a plane of a picture, or a mask (0 background … 255 person). */
export type Gray = { width: number; height: number; data: Uint8Array };

/** A picture as three planes of any sizes, each sampled over the whole frame. */
export type PlaneSet = { y: Gray; u: Gray; v: Gray };

/** How strongly the background is blurred. */
export type BlurStrength = 'slight' | 'full';

/**
 * The shrink factor (per 160 pixels of frame width) and box radius of each strength. At 640×480,
 * "slight" shrinks by 4 and blurs with radius 1 (a Gaussian of σ ≈ 6 px on the frame), "full" by 8
 * with radius 2 (σ ≈ 20 px): σ of three box passes of radius r is √(r(r+1)), times the factor.
 */
const BLUR: Record<BlurStrength, { perWidth: number; radius: number }> = {
	slight: { perWidth: 160, radius: 1 },
	full: { perWidth: 80, radius: 2 }
};

/** Box passes per blur: three come within 3 % of a Gaussian (Jarosz 2001). */
const PASSES = 3;

/**
 * The standard deviation (pixels of the frame) of the blur {@link blurredBackground} applies.
 * @param width frame width in pixels
 */
export function blurSigma(strength: BlurStrength, width: number): number {
	const { radius } = BLUR[strength];
	return shrinkFactor(strength, width) * Math.sqrt(radius * (radius + 1));
}

function shrinkFactor(strength: BlurStrength, width: number): number {
	return Math.max(2, Math.round(width / BLUR[strength].perWidth / 2) * 2);
}

/** A blank single-channel picture. */
export function createGray(width: number, height: number): Gray {
	return { width, height, data: new Uint8Array(width * height) };
}

/**
 * Shrinks `src` by `factor` in both directions, each output sample the mean of its block (the last
 * row and column of blocks may be partial).
 */
export function shrink(src: Gray, factor: number): Gray {
	const width = Math.ceil(src.width / factor);
	const height = Math.ceil(src.height / factor);
	const out = createGray(width, height);
	const sums = new Uint32Array(width);
	const data = src.data;
	for (let j = 0; j < height; j++) {
		sums.fill(0);
		const rowEnd = Math.min(src.height, (j + 1) * factor);
		for (let row = j * factor; row < rowEnd; row++) {
			let at = row * src.width;
			for (let i = 0; i < width; i++) {
				const end = Math.min(at + factor, (row + 1) * src.width);
				let sum = 0;
				for (; at < end; at++) sum += data[at] as number;
				sums[i] = (sums[i] as number) + sum;
			}
		}
		const rows = rowEnd - j * factor;
		for (let i = 0; i < width; i++) {
			const columns = Math.min(factor, src.width - i * factor);
			out.data[j * width + i] = Math.round((sums[i] as number) / (columns * rows));
		}
	}
	return out;
}

/**
 * Blurs `picture` in place with {@link PASSES} box passes of `radius` in each direction; edges
 * repeat their last sample.
 */
export function boxBlur(picture: Gray, radius: number): void {
	if (radius <= 0) return;
	const { width, height, data } = picture;
	// Each line is copied with `radius + 1` repeats of its end samples on both sides, so the
	// sliding sum needs no bounds checks.
	const padded = new Uint16Array(Math.max(width, height) + 2 * radius + 2);
	const size = 2 * radius + 1;
	const pass = (count: number, start: number, step: number) => {
		const first = data[start] as number;
		const last = data[start + (count - 1) * step] as number;
		for (let i = 0; i <= radius; i++) padded[i] = first;
		for (let i = 0; i < count; i++) padded[radius + 1 + i] = data[start + i * step] as number;
		for (let i = 0; i <= radius; i++) padded[radius + 1 + count + i] = last;
		let sum = 0;
		for (let i = 1; i <= size; i++) sum += padded[i] as number;
		for (let i = 0; i < count; i++) {
			data[start + i * step] = ((sum + (size >> 1)) / size) | 0;
			sum += (padded[i + size + 1] as number) - (padded[i + 1] as number);
		}
	};
	for (let p = 0; p < PASSES; p++) {
		for (let y = 0; y < height; y++) pass(width, y * width, 1);
		for (let x = 0; x < width; x++) pass(height, x, width);
	}
}

/** The Y, U or V plane of an I420 picture as a {@link Gray} (shares its memory). */
function planeOf(picture: I420, plane: 'y' | 'u' | 'v'): Gray {
	const scale = plane === 'y' ? 1 : 2;
	return { width: picture.width / scale, height: picture.height / scale, data: picture[plane] };
}

/**
 * The frame blurred for a background: each plane shrunk, blurred, and left small; {@link composite}
 * stretches it back.
 */
export function blurredBackground(frame: I420, strength: BlurStrength): PlaneSet {
	const factor = shrinkFactor(strength, frame.width);
	const { radius } = BLUR[strength];
	const blurred = (plane: 'y' | 'u' | 'v', by: number) => {
		const small = shrink(planeOf(frame, plane), by);
		boxBlur(small, radius);
		return small;
	};
	return { y: blurred('y', factor), u: blurred('u', factor / 2), v: blurred('v', factor / 2) };
}

/**
 * An image fitted to a `width`×`height` frame (scaled to cover it, cropped at the centre), as
 * planes for {@link composite}.
 * @param image RGBA pixels as `getImageData` gives them
 */
export function fittedImage(
	image: { data: Uint8ClampedArray | Uint8Array; width: number; height: number },
	width: number,
	height: number
): PlaneSet {
	const picture = createI420(width, height);
	const planes: Planes = {
		format: 'RGBA',
		width: image.width,
		height: image.height,
		data: new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength),
		layout: [{ offset: 0, stride: image.width * 4 }]
	};
	const { from, to } = placement(image.width, image.height, { x: 0, y: 0, width, height }, 'cover');
	drawPlanes(picture, planes, from, to);
	return { y: planeOf(picture, 'y'), u: planeOf(picture, 'u'), v: planeOf(picture, 'v') };
}

/**
 * Where the mask's values 0 … 255 land after {@link featherMask}: below `LOW` is background, above
 * `HIGH` the person, with a linear ramp between (the model's own edge is a wide, uncertain one).
 */
const LOW = 64;
const HIGH = 192;

/**
 * Softens a segmentation mask for compositing: stretches the model's uncertain middle to a clear
 * edge, then blurs it with `radius` (mask pixels), so the edge fades instead of cutting.
 * @returns a new mask of the same size
 */
export function featherMask(mask: Gray, radius: number): Gray {
	const out = createGray(mask.width, mask.height);
	for (let i = 0; i < mask.data.length; i++) {
		const value = mask.data[i] as number;
		out.data[i] =
			value <= LOW ? 0 : value >= HIGH ? 255 : Math.round(((value - LOW) * 255) / (HIGH - LOW));
	}
	boxBlur(out, radius);
	return out;
}

/** Bilinear sampling of `count` outputs from `size` inputs: first index and weight (0–256) of each. */
type Taps = { index: Int32Array; weight: Int32Array };

const tapsCache = new Map<string, Taps>();

function taps(count: number, size: number): Taps {
	const key = `${count}/${size}`;
	const cached = tapsCache.get(key);
	if (cached) return cached;
	const index = new Int32Array(count);
	const weight = new Int32Array(count);
	for (let i = 0; i < count; i++) {
		const at = Math.min(size - 1, Math.max(0, ((i + 0.5) * size) / count - 0.5));
		const first = Math.max(0, Math.min(size - 2, Math.floor(at)));
		index[i] = first;
		weight[i] = size === 1 ? 0 : Math.round((at - first) * 256);
	}
	const result = { index, weight };
	tapsCache.set(key, result);
	return result;
}

/**
 * Row `y` of `g` stretched to `out.length` samples (bilinear): the two nearest source rows are
 * mixed, then that row is stretched. Values keep 8 bits of fraction (0 … 255 × 256).
 */
function stretchedRow(
	g: Gray,
	rows: Taps,
	columns: Taps,
	y: number,
	mixed: Uint16Array,
	out: Uint16Array
) {
	const top = (rows.index[y] as number) * g.width;
	const bottom = g.height > 1 ? top + g.width : top;
	const wy = rows.weight[y] as number;
	const d = g.data;
	for (let i = 0; i < g.width; i++) {
		mixed[i] = (d[top + i] as number) * (256 - wy) + (d[bottom + i] as number) * wy;
	}
	const right = g.width > 1 ? 1 : 0;
	for (let x = 0; x < out.length; x++) {
		const col = columns.index[x] as number;
		const wx = columns.weight[x] as number;
		out[x] = ((mixed[col] as number) * (256 - wx) + (mixed[col + right] as number) * wx + 128) >> 8;
	}
}

/**
 * Lays the background under the person, in place: each sample of `frame` becomes
 * `background + mask × (frame − background)`, with the mask and the background stretched
 * (bilinear) from whatever size they have to the frame's.
 */
export function composite(frame: I420, background: PlaneSet, mask: Gray): void {
	mix(planeOf(frame, 'y'), background.y, mask);
	mix(planeOf(frame, 'u'), background.u, mask);
	mix(planeOf(frame, 'v'), background.v, mask);
}

function mix(plane: Gray, background: Gray, mask: Gray) {
	const { width, height, data } = plane;
	const maskX = taps(width, mask.width);
	const maskY = taps(height, mask.height);
	const backX = taps(width, background.width);
	const backY = taps(height, background.height);
	const mixed = new Uint16Array(Math.max(mask.width, background.width));
	const alphas = new Uint16Array(width);
	const backs = new Uint16Array(width);
	for (let y = 0; y < height; y++) {
		stretchedRow(mask, maskY, maskX, y, mixed, alphas);
		stretchedRow(background, backY, backX, y, mixed, backs);
		const row = y * width;
		for (let x = 0; x < width; x++) {
			// Both in 1/256ths: alpha 0 … 65280, background 0 … 65280.
			const alpha = alphas[x] as number;
			if (alpha >= 65280) continue;
			const back = (backs[x] as number) >> 8;
			data[row + x] =
				alpha === 0
					? back
					: (back + (((data[row + x] as number) - back) * alpha + 32640) / 65280) | 0;
		}
	}
}

/**
 * A small RGBA copy of an I420 frame for the segmentation model (nearest sample, BT.601 limited
 * range to full-range RGB), written into `out` whatever its size.
 */
export function toRgba(
	frame: I420,
	out: { data: Uint8ClampedArray; width: number; height: number }
) {
	const { width, height, data } = out;
	const half = frame.width / 2;
	for (let j = 0; j < height; j++) {
		const sy = Math.min(frame.height - 1, Math.floor(((j + 0.5) * frame.height) / height));
		for (let i = 0; i < width; i++) {
			const sx = Math.min(frame.width - 1, Math.floor(((i + 0.5) * frame.width) / width));
			const c = ((sy >> 1) * half + (sx >> 1)) as number;
			const y = 1.164 * ((frame.y[sy * frame.width + sx] as number) - 16);
			const u = (frame.u[c] as number) - 128;
			const v = (frame.v[c] as number) - 128;
			const at = (j * width + i) * 4;
			data[at] = y + 1.596 * v;
			data[at + 1] = y - 0.392 * u - 0.813 * v;
			data[at + 2] = y + 2.017 * u;
			data[at + 3] = 255;
		}
	}
}
