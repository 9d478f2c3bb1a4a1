/// <reference lib="webworker" />
/**
 * Background effects off the page's main thread (ARCHITECTURE.md, "Background effects"): reads the
 * camera's frames, asks the segmentation model where the person is (on one frame in
 * {@link SegmentationPace.every}), lays the person over a blurred copy of the frame or over an image
 * (`compose.ts`), and writes each frame out. Frames come from a `MediaStreamTrackProcessor` and go
 * to a `MediaStreamTrackGenerator`; in a browser without those, the page posts frames as
 * `ImageBitmap`s and gets them back the same way.
 *
 * A classic worker, not a module: the model's script is loaded with `importScripts`.
 * Protocol: {@link EffectsRequest} in, {@link EffectsReport} out. User Timing measures
 * "segmentation" and "effects-frame" record each model run and each frame written (the benchmark
 * reads them).
 */
import { copyPixels, createI420, drawPlanes, type I420 } from '$lib/recording/yuv';
import {
	blurredBackground,
	composite,
	featherMask,
	fittedImage,
	toRgba,
	type Gray,
	type PlaneSet
} from './compose';
import type { EffectsReport, EffectsRequest, WorkerBackground } from './protocol';
import { SegmentationPace } from './pace';
import { INPUT_HEIGHT, INPUT_WIDTH, Segmenter } from './segmenter';

/** Feathering of the mask's edge, in mask pixels (256×144): about 6 px on a 640×480 frame. */
const FEATHER = 2;
/** User Timing entries kept before older ones are cleared. */
const MAX_ENTRIES = 2_000;

const scope = self as unknown as DedicatedWorkerGlobalScope;
let segmenter: Segmenter | null = null;
let background: WorkerBackground = { kind: 'blur', strength: 'full' };
/** The image background fitted to the last frame size, dropped when either changes. */
let fitted: { width: number; height: number; planes: PlaneSet } | null = null;
/** Bumped for each new source: an older loop stops at its next frame. */
let generation = 0;
let inputFrames = 0;
let outputFrames = 0;
let segmentMs: number[] = [];
let everyNow = 1;
/** The bitmap-message source and sink of the fallback path, when it is in use. */
let posted: ReadableStreamDefaultController<VideoFrame> | null = null;

function report(message: EffectsReport) {
	scope.postMessage(message);
}

setInterval(() => {
	if (inputFrames === 0 && outputFrames === 0) return;
	segmentMs.sort((a, b) => a - b);
	report({
		type: 'stats',
		inputFps: inputFrames,
		outputFps: outputFrames,
		segmentMs: segmentMs[Math.floor(segmentMs.length / 2)] ?? 0,
		every: everyNow
	});
	inputFrames = outputFrames = 0;
	segmentMs = [];
	if (performance.getEntriesByType('measure').length > MAX_ENTRIES) performance.clearMeasures();
}, 1_000);

/** The frame's pixels as a packed I420 picture of even size, reusing `spare` when it fits. */
async function readFrame(frame: VideoFrame, spare: I420 | null): Promise<I420> {
	const visible = frame.visibleRect ?? { x: 0, y: 0 };
	const width = (frame.visibleRect?.width ?? frame.codedWidth) & ~1;
	const height = (frame.visibleRect?.height ?? frame.codedHeight) & ~1;
	const picture =
		spare && spare.width === width && spare.height === height ? spare : createI420(width, height);
	if (frame.format === 'I420' && visible.x % 2 === 0 && visible.y % 2 === 0) {
		// Cameras' usual format: copied straight into the picture's planes.
		const luma = width * height;
		await frame.copyTo(picture.data, {
			rect: { x: visible.x, y: visible.y, width, height },
			layout: [
				{ offset: 0, stride: width },
				{ offset: luma, stride: width / 2 },
				{ offset: luma + luma / 4, stride: width / 2 }
			]
		});
		return picture;
	}
	const planes = await copyPixels(frame, undefined);
	const rect = { x: 0, y: 0, width, height };
	drawPlanes(picture, planes, rect, rect);
	return picture;
}

function backgroundFor(picture: I420): PlaneSet {
	if (background.kind === 'blur') return blurredBackground(picture, background.strength);
	const { width, height } = picture;
	if (!fitted || fitted.width !== width || fitted.height !== height) {
		fitted = { width, height, planes: fittedImage(background.image, width, height) };
	}
	return fitted.planes;
}

/** Processes frames from `readable` into `writable` until either ends or a new source replaces it. */
async function run(readable: ReadableStream<VideoFrame>, writable: WritableStream<VideoFrame>) {
	const mine = ++generation;
	const reader = readable.getReader();
	const writer = writable.getWriter();
	const pace = new SegmentationPace(performance.now());
	const input = new ImageData(INPUT_WIDTH, INPUT_HEIGHT);
	let picture: I420 | null = null;
	let mask: Gray | null = null;
	let previous: number | null = null;
	try {
		for (;;) {
			const { value: frame, done } = await reader.read();
			if (done) break;
			if (mine !== generation || !segmenter) {
				frame.close();
				break;
			}
			const start = performance.now();
			inputFrames++;
			const periodMs = previous === null ? 1000 / 30 : (frame.timestamp - previous) / 1000;
			previous = frame.timestamp;
			const { timestamp } = frame;
			const colorSpace = frame.colorSpace.toJSON();
			try {
				picture = await readFrame(frame, picture);
			} finally {
				frame.close();
			}
			if (pace.due() || !mask) {
				toRgba(picture, input);
				const began = performance.now();
				mask = featherMask(await segmenter.segment(input), FEATHER);
				segmentMs.push(performance.measure('segmentation', { start: began }).duration);
			}
			composite(picture, backgroundFor(picture), mask);
			// While the sink has not taken the last frame, this one is dropped: frames never queue.
			if ((writer.desiredSize ?? 1) > 0) {
				const out = new VideoFrame(picture.data, {
					format: 'I420',
					codedWidth: picture.width,
					codedHeight: picture.height,
					timestamp,
					colorSpace
				});
				writer.write(out).catch(() => out.close());
				outputFrames++;
				performance.measure('effects-frame', { start });
			}
			pace.record(performance.now() - start, periodMs > 0 ? periodMs : 1000 / 30, start);
			everyNow = pace.every;
		}
	} catch {
		// The camera track ended or the page replaced the source: nothing more to do here.
	} finally {
		// The writer is released, not closed: closing would end the processed track, perhaps while a
		// call still sends it; the page stops it once it is replaced (`BackgroundEffects.release`).
		void reader.cancel().catch(() => undefined);
		writer.releaseLock();
	}
}

/** The fallback path's streams: frames arrive and leave as `ImageBitmap` messages. */
function postedStreams(): {
	readable: ReadableStream<VideoFrame>;
	writable: WritableStream<VideoFrame>;
} {
	const readable = new ReadableStream<VideoFrame>(
		{ start: (controller) => void (posted = controller) },
		{ highWaterMark: 1 }
	);
	const writable = new WritableStream<VideoFrame>({
		async write(frame) {
			const bitmap = await createImageBitmap(frame);
			frame.close();
			report({ type: 'frame', bitmap });
		}
	});
	return { readable, writable };
}

scope.onmessage = async ({ data }: MessageEvent<EffectsRequest>) => {
	switch (data.type) {
		case 'load':
			try {
				segmenter ??= await Segmenter.load(data.base);
				report({ type: 'loaded' });
			} catch (error) {
				report({ type: 'failed', reason: error instanceof Error ? error.message : String(error) });
			}
			break;
		case 'background':
			background = data.background;
			fitted = null;
			break;
		case 'source':
			generation++;
			posted?.close();
			posted = null;
			if (data.readable && data.writable) {
				void run(data.readable, data.writable);
			} else if (data.posted) {
				const { readable, writable } = postedStreams();
				void run(readable, writable);
			}
			break;
		case 'frame': {
			const frame = new VideoFrame(data.bitmap, { timestamp: data.timestamp });
			data.bitmap.close();
			// A frame that arrives while the last is still waiting replaces nothing: it is dropped.
			if (posted && (posted.desiredSize ?? 0) > 0) posted.enqueue(frame);
			else frame.close();
			break;
		}
	}
};
