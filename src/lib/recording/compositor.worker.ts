/// <reference lib="webworker" />
/**
 * The recording's compositor off the page's main thread (ARCHITECTURE.md, "Recording"). It reads
 * each participant's video frames from a `MediaStreamTrackProcessor` stream and copies out the
 * latest one's pixels; at the rate {@link FramePace} allows it composes them in I420 (`yuv.ts`),
 * lays the names and avatars over them (painted once with `paint.ts`, then cached), and writes each
 * composite frame to a `MediaStreamTrackGenerator`: the recording's video track.
 * Protocol: {@link CompositorMessage}.
 */
import type { CompositorMessage } from './compositor';
import { compositeLayout, RECORDING_HEIGHT, RECORDING_WIDTH, type Rect } from './layout';
import { FramePace } from './pace';
import {
	BACKGROUND,
	labelBand,
	paintAvatar,
	paintLabel,
	TILE_BACKGROUND,
	type Tile
} from './paint';
import {
	blendOverlay,
	copyPixels,
	createI420,
	drawPlanes,
	evenRect,
	fillRect,
	I420_COLOR_SPACE,
	overlayFromRgba,
	placement,
	rgbToYuv,
	type I420,
	type Overlay,
	type Planes
} from './yuv';

const composite = createI420(RECORDING_WIDTH, RECORDING_HEIGHT);
/** Where avatars and names are painted before they are turned into YUV. */
const scratch = new OffscreenCanvas(RECORDING_WIDTH, RECORDING_HEIGHT);
const scratchContext = scratch.getContext('2d', {
	willReadFrequently: true
}) as OffscreenCanvasRenderingContext2D;
/** The pixels of the latest frame of each participant's video, by tile key. */
const pictures = new Map<number, Planes>();
/** The reader of each participant's video, by tile key. */
const readers = new Map<number, ReadableStreamDefaultReader<VideoFrame>>();
/** Avatars and name bands in YUV, by what they show; those not drawn in a frame are dropped. */
let painted = new Map<string, Overlay>();
let tiles: Tile[] = [];
let writer: WritableStreamDefaultWriter<VideoFrame> | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;

const hex = (color: string) =>
	rgbToYuv(
		parseInt(color.slice(1, 3), 16),
		parseInt(color.slice(3, 5), 16),
		parseInt(color.slice(5, 7), 16)
	);
const background = hex(BACKGROUND);
const tileBackground = hex(TILE_BACKGROUND);

/** Keeps the pixels of `key`'s latest frame until the stream ends or is replaced. */
async function read(key: number, readable: ReadableStream<VideoFrame>) {
	const reader = readable.getReader();
	const previous = readers.get(key);
	readers.set(key, reader);
	void previous?.cancel();
	// Two buffers: one is drawn while the next frame is copied into the other.
	let spare: Planes | undefined;
	try {
		for (;;) {
			const { value: frame, done } = await reader.read();
			if (done || readers.get(key) !== reader) break;
			try {
				const planes = await copyPixels(frame, spare);
				spare = pictures.get(key);
				pictures.set(key, planes);
			} finally {
				frame.close();
			}
		}
	} catch {
		// The track ended or the reader was cancelled: the tile shows the avatar.
	} finally {
		if (readers.get(key) === reader) {
			readers.delete(key);
			pictures.delete(key);
		}
	}
}

/** Paints with `paint` into the scratch canvas and returns that area as an overlay. */
function overlay(area: Rect, paint: (context: OffscreenCanvasRenderingContext2D) => void): Overlay {
	scratchContext.clearRect(0, 0, area.width, area.height);
	paint(scratchContext);
	const pixels = scratchContext.getImageData(0, 0, area.width, area.height).data;
	return overlayFromRgba(pixels, area.width, area.height);
}

/** The cached overlay `id`, painted on first use. */
function cached(id: string, used: Map<string, Overlay>, make: () => Overlay): Overlay {
	const found = painted.get(id) ?? make();
	used.set(id, found);
	return found;
}

/** The overlay as planes `drawPlanes` copies one to one. */
function asPlanes(picture: I420): Planes {
	const luma = picture.width * picture.height;
	return {
		format: 'I420',
		width: picture.width,
		height: picture.height,
		data: picture.data,
		layout: [
			{ offset: 0, stride: picture.width },
			{ offset: luma, stride: picture.width / 2 },
			{ offset: luma + luma / 4, stride: picture.width / 2 }
		]
	};
}

/** Composes the call as it is now into `composite`. */
function compose() {
	fillRect(composite, { x: 0, y: 0, width: RECORDING_WIDTH, height: RECORDING_HEIGHT }, background);
	const used = new Map<string, Overlay>();
	const rects = compositeLayout(tiles).map(evenRect);
	tiles.forEach((tile, i) => {
		const rect = rects[i] as Rect;
		const size = { x: 0, y: 0, width: rect.width, height: rect.height };
		const picture = tile.cam || tile.screen ? pictures.get(tile.key) : undefined;
		if (picture) {
			const { from, to } = placement(
				picture.width,
				picture.height,
				rect,
				tile.screen ? 'contain' : 'cover'
			);
			if (tile.screen) fillRect(composite, rect, tileBackground);
			drawPlanes(composite, picture, from, to);
		} else {
			const id = `avatar ${tile.name} ${tile.color} ${rect.width}×${rect.height}`;
			const avatar = cached(id, used, () =>
				overlay(size, (context) => paintAvatar(context, tile, size))
			);
			drawPlanes(composite, asPlanes(avatar), size, rect);
		}
		const band = labelBand(scratchContext, tile, size);
		const area = evenRect({ x: band.x, y: band.y, width: band.width, height: band.height });
		const label = cached(`label ${band.label} ${area.width}×${area.height}`, used, () =>
			overlay(area, (context) => paintLabel(context, band, -area.x, -area.y))
		);
		blendOverlay(composite, label, rect.x + area.x, rect.y + area.y);
	});
	painted = used;
}

function start(writable: WritableStream<VideoFrame>) {
	writer = writable.getWriter();
	const pace = new FramePace(performance.now());
	let due = performance.now();
	const tick = () => {
		const now = performance.now();
		// While the encoder has not taken the last frame, this one is skipped: frames never queue.
		if (writer && (writer.desiredSize ?? 1) > 0) {
			compose();
			const frame = new VideoFrame(composite.data, {
				format: 'I420',
				codedWidth: RECORDING_WIDTH,
				codedHeight: RECORDING_HEIGHT,
				timestamp: Math.round(now * 1000),
				colorSpace: I420_COLOR_SPACE
			});
			// The generator's sink closes each frame it is given.
			writer.write(frame).catch(() => frame.close());
			pace.record(now - due, performance.now() - now, performance.now());
		} else {
			pace.record(now - due, pace.interval, performance.now());
		}
		due = Math.max(due + pace.interval, performance.now());
		timer = setTimeout(tick, due - performance.now());
	};
	tick();
}

function stop() {
	clearTimeout(timer);
	for (const reader of readers.values()) void reader.cancel();
	readers.clear();
	pictures.clear();
	void writer?.close().catch(() => undefined);
	writer = null;
}

self.onmessage = ({ data }: MessageEvent<CompositorMessage>) => {
	switch (data.type) {
		case 'start':
			return start(data.writable);
		case 'tiles':
			tiles = data.tiles;
			return;
		case 'video':
			return void read(data.key, data.readable);
		case 'drop':
			return void readers.get(data.key)?.cancel();
		case 'stop':
			return stop();
	}
};
