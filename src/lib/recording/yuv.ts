/**
 * The composite's pixels in planar YUV 4:2:0 (I420), the format cameras deliver and video
 * encoders take (ARCHITECTURE.md, "Recording"). Composing in it skips the two costliest steps of a
 * 2D canvas in a browser without a GPU: converting every incoming frame to RGB to draw it, and
 * converting the composite back for the encoder. Measured in Chromium on a 2-core VM: four
 * 640×480 frames into a 1280×720 canvas take 20–35 ms per frame; here about 3 ms.
 *
 * Colours use BT.601 with limited range (ITU-R BT.601-7, Y 16–235, Cb/Cr 16–240), which is how the
 * composite's `VideoFrame` declares itself ({@link I420_COLOR_SPACE}).
 */
import type { Rect } from './layout';

/** A picture in I420: a full-size Y plane, then U and V at half width and half height. */
export type I420 = {
	width: number;
	height: number;
	/** all three planes, one after another, as `VideoFrame` takes them */
	data: Uint8Array;
	y: Uint8Array;
	u: Uint8Array;
	v: Uint8Array;
};

/** How the composite's `VideoFrame`s declare their colours: BT.601, limited range. */
export const I420_COLOR_SPACE: VideoColorSpaceInit = {
	matrix: 'smpte170m',
	primaries: 'smpte170m',
	transfer: 'smpte170m',
	fullRange: false
};

/** A blank I420 picture. @param width, height even numbers of pixels */
export function createI420(width: number, height: number): I420 {
	const luma = width * height;
	const chroma = luma / 4;
	const data = new Uint8Array(luma + 2 * chroma);
	return {
		width,
		height,
		data,
		y: data.subarray(0, luma),
		u: data.subarray(luma, luma + chroma),
		v: data.subarray(luma + chroma)
	};
}

/** One colour as Y, U, V (BT.601, limited range). @param r, g, b 0–255 */
export function rgbToYuv(r: number, g: number, b: number): [number, number, number] {
	return [
		Math.round(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255),
		Math.round(128 + (-37.797 * r - 74.203 * g + 112 * b) / 255),
		Math.round(128 + (112 * r - 93.786 * g - 18.214 * b) / 255)
	];
}

/** A rectangle snapped to even pixels, so that it covers whole chroma samples. */
export function evenRect(rect: Rect): Rect {
	const x = Math.round(rect.x / 2) * 2;
	const y = Math.round(rect.y / 2) * 2;
	return {
		x,
		y,
		width: Math.round((rect.x + rect.width - x) / 2) * 2,
		height: Math.round((rect.y + rect.height - y) / 2) * 2
	};
}

/** Fills `rect` (even pixels) with one colour. @param yuv from {@link rgbToYuv} */
export function fillRect(dst: I420, rect: Rect, [y, u, v]: readonly number[]): void {
	for (let row = rect.y; row < rect.y + rect.height; row++) {
		const start = row * dst.width + rect.x;
		dst.y.fill(y as number, start, start + rect.width);
	}
	const half = dst.width / 2;
	for (let row = rect.y / 2; row < (rect.y + rect.height) / 2; row++) {
		const start = row * half + rect.x / 2;
		dst.u.fill(u as number, start, start + rect.width / 2);
		dst.v.fill(v as number, start, start + rect.width / 2);
	}
}

/**
 * A video frame's pixels as copied out by `VideoFrame.copyTo`: I420 (three planes), NV12 (Y, then
 * U and V interleaved) or RGBA (one plane, four bytes a pixel).
 */
export type Planes = {
	format: 'I420' | 'NV12' | 'RGBA';
	width: number;
	height: number;
	data: Uint8Array;
	/** offset and stride (bytes) of each plane */
	layout: readonly { offset: number; stride: number }[];
};

/**
 * Copies a frame's pixels out in a format {@link drawPlanes} reads, into `spare` when it has the
 * right size. The caller still closes the frame.
 */
export async function copyPixels(frame: VideoFrame, spare: Planes | undefined): Promise<Planes> {
	const native = frame.format === 'I420' || frame.format === 'I420A' || frame.format === 'NV12';
	const options: VideoFrameCopyToOptions = native ? {} : { format: 'RGBA' };
	const size = frame.allocationSize(options);
	const data = spare && spare.data.byteLength === size ? spare.data : new Uint8Array(size);
	const layout = await frame.copyTo(data, options);
	return {
		format: native ? (frame.format === 'NV12' ? 'NV12' : 'I420') : 'RGBA',
		width: frame.visibleRect?.width ?? frame.codedWidth,
		height: frame.visibleRect?.height ?? frame.codedHeight,
		data,
		layout
	};
}

/**
 * Where a picture of `width`×`height` goes in `rect`: scaled to cover it and cropped at the
 * centre (`cover`, for cameras), or scaled to fit inside it and centred (`contain`, for screens).
 *
 * @returns the part of the source to read and the part of `rect` to write (even pixels)
 */
export function placement(
	width: number,
	height: number,
	rect: Rect,
	fit: 'cover' | 'contain'
): { from: Rect; to: Rect } {
	const scale = (fit === 'cover' ? Math.max : Math.min)(rect.width / width, rect.height / height);
	if (fit === 'cover') {
		const fromWidth = Math.min(width, rect.width / scale);
		const fromHeight = Math.min(height, rect.height / scale);
		return {
			from: {
				x: (width - fromWidth) / 2,
				y: (height - fromHeight) / 2,
				width: fromWidth,
				height: fromHeight
			},
			to: rect
		};
	}
	const to = evenRect({
		x: rect.x + (rect.width - width * scale) / 2,
		y: rect.y + (rect.height - height * scale) / 2,
		width: width * scale,
		height: height * scale
	});
	return { from: { x: 0, y: 0, width, height }, to };
}

/** For each of `count` output samples, the source sample it reads (nearest, at its centre). */
function sampleIndex(count: number, from: number, span: number, limit: number): Int32Array {
	const index = new Int32Array(count);
	for (let i = 0; i < count; i++) {
		index[i] = Math.min(limit - 1, Math.floor(from + ((i + 0.5) * span) / count));
	}
	return index;
}

/**
 * Draws `src` scaled from its part `from` into `to` (even pixels) of `dst`, by nearest sample;
 * when shrinking to less than three quarters, each sample is the mean of a 2×2 block, which keeps
 * fine lines (a screen's text) from flickering in and out.
 */
export function drawPlanes(dst: I420, src: Planes, from: Rect, to: Rect): void {
	const box = to.width < from.width * 0.75;
	const columns = sampleIndex(to.width, from.x, from.width, src.width - (box ? 1 : 0));
	const rows = sampleIndex(to.height, from.y, from.height, src.height - (box ? 1 : 0));
	if (src.format === 'RGBA') return drawRgba(dst, src, columns, rows, to);
	const [lumaPlane, chromaPlane, vPlane] = src.layout as { offset: number; stride: number }[];
	if (!lumaPlane || !chromaPlane) throw new Error(`A ${src.format} frame needs its planes.`);
	plane(dst.y, dst.width, src.data, lumaPlane, columns, rows, to, 1, 0, box);
	const halfColumns = sampleIndex(
		to.width / 2,
		from.x / 2,
		from.width / 2,
		src.width / 2 - (box ? 1 : 0)
	);
	const halfRows = sampleIndex(
		to.height / 2,
		from.y / 2,
		from.height / 2,
		src.height / 2 - (box ? 1 : 0)
	);
	const half = { x: to.x / 2, y: to.y / 2, width: to.width / 2, height: to.height / 2 };
	if (src.format === 'I420') {
		if (!vPlane) throw new Error('An I420 frame needs three planes.');
		plane(dst.u, dst.width / 2, src.data, chromaPlane, halfColumns, halfRows, half, 1, 0, box);
		plane(dst.v, dst.width / 2, src.data, vPlane, halfColumns, halfRows, half, 1, 0, box);
	} else {
		// NV12: U and V interleaved in one plane.
		plane(dst.u, dst.width / 2, src.data, chromaPlane, halfColumns, halfRows, half, 2, 0, box);
		plane(dst.v, dst.width / 2, src.data, chromaPlane, halfColumns, halfRows, half, 2, 1, box);
	}
}

function plane(
	dst: Uint8Array,
	dstStride: number,
	src: Uint8Array,
	{ offset, stride }: { offset: number; stride: number },
	columns: Int32Array,
	rows: Int32Array,
	to: Rect,
	step: number,
	shift: number,
	box: boolean
) {
	for (let j = 0; j < to.height; j++) {
		const from = offset + (rows[j] as number) * stride + shift;
		const out = (to.y + j) * dstStride + to.x;
		if (box) {
			for (let i = 0; i < to.width; i++) {
				const at = from + (columns[i] as number) * step;
				dst[out + i] =
					((src[at] as number) +
						(src[at + step] as number) +
						(src[at + stride] as number) +
						(src[at + stride + step] as number) +
						2) >>
					2;
			}
		} else {
			for (let i = 0; i < to.width; i++)
				dst[out + i] = src[from + (columns[i] as number) * step] as number;
		}
	}
}

function drawRgba(dst: I420, src: Planes, columns: Int32Array, rows: Int32Array, to: Rect) {
	const { offset, stride } = src.layout[0] as { offset: number; stride: number };
	const data = src.data;
	const half = dst.width / 2;
	for (let j = 0; j < to.height; j++) {
		const from = offset + (rows[j] as number) * stride;
		const out = (to.y + j) * dst.width + to.x;
		const chromaRow = (j & 1) === 0 ? ((to.y + j) / 2) * half + to.x / 2 : -1;
		for (let i = 0; i < to.width; i++) {
			const at = from + (columns[i] as number) * 4;
			const r = data[at] as number;
			const g = data[at + 1] as number;
			const b = data[at + 2] as number;
			dst.y[out + i] = (16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255 + 0.5) | 0;
			if (chromaRow >= 0 && (i & 1) === 0) {
				dst.u[chromaRow + i / 2] = (128 + (-37.797 * r - 74.203 * g + 112 * b) / 255 + 0.5) | 0;
				dst.v[chromaRow + i / 2] = (128 + (112 * r - 93.786 * g - 18.214 * b) / 255 + 0.5) | 0;
			}
		}
	}
}

/** An RGBA picture turned into YUV with its opacity, to lay over the composite. */
export type Overlay = I420 & {
	/** opacity of each pixel, 0–255 */
	alpha: Uint8Array;
	/** opacity of each chroma sample (the mean of its 2×2 block) */
	chromaAlpha: Uint8Array;
};

/** Converts RGBA pixels (premultiplied or not, as `getImageData` gives) into an {@link Overlay}. */
export function overlayFromRgba(rgba: Uint8ClampedArray, width: number, height: number): Overlay {
	const picture = createI420(width, height);
	const alpha = new Uint8Array(width * height);
	const chromaAlpha = new Uint8Array((width * height) / 4);
	for (let j = 0; j < height; j++) {
		for (let i = 0; i < width; i++) {
			const at = (j * width + i) * 4;
			const [y] = rgbToYuv(rgba[at] as number, rgba[at + 1] as number, rgba[at + 2] as number);
			picture.y[j * width + i] = y;
			alpha[j * width + i] = rgba[at + 3] as number;
		}
	}
	for (let j = 0; j < height / 2; j++) {
		for (let i = 0; i < width / 2; i++) {
			let r = 0;
			let g = 0;
			let b = 0;
			let a = 0;
			for (const [dx, dy] of [
				[0, 0],
				[1, 0],
				[0, 1],
				[1, 1]
			] as const) {
				const at = ((2 * j + dy) * width + 2 * i + dx) * 4;
				const weight = rgba[at + 3] as number;
				r += (rgba[at] as number) * weight;
				g += (rgba[at + 1] as number) * weight;
				b += (rgba[at + 2] as number) * weight;
				a += weight;
			}
			const [, u, v] = a > 0 ? rgbToYuv(r / a, g / a, b / a) : [0, 128, 128];
			picture.u[j * (width / 2) + i] = u as number;
			picture.v[j * (width / 2) + i] = v as number;
			chromaAlpha[j * (width / 2) + i] = Math.round(a / 4);
		}
	}
	return { ...picture, alpha, chromaAlpha };
}

/** Lays `overlay` over `dst` with its top left at (`x`, `y`), both even. */
export function blendOverlay(dst: I420, overlay: Overlay, x: number, y: number): void {
	blendPlane(dst.y, dst.width, overlay.y, overlay.alpha, overlay.width, overlay.height, x, y);
	const half = overlay.width / 2;
	const rows = overlay.height / 2;
	blendPlane(dst.u, dst.width / 2, overlay.u, overlay.chromaAlpha, half, rows, x / 2, y / 2);
	blendPlane(dst.v, dst.width / 2, overlay.v, overlay.chromaAlpha, half, rows, x / 2, y / 2);
}

function blendPlane(
	dst: Uint8Array,
	dstStride: number,
	src: Uint8Array,
	alpha: Uint8Array,
	width: number,
	height: number,
	x: number,
	y: number
) {
	for (let j = 0; j < height; j++) {
		const out = (y + j) * dstStride + x;
		for (let i = 0; i < width; i++) {
			const a = alpha[j * width + i] as number;
			if (a === 0) continue;
			const under = dst[out + i] as number;
			dst[out + i] = under + Math.round((((src[j * width + i] as number) - under) * a) / 255);
		}
	}
}
