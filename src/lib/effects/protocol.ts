/**
 * Messages between the page and the background-effects worker (`effects.worker.ts`).
 */
import type { BlurStrength } from './compose';

/** What the worker lays behind the person: a blur of the frame, or an image's RGBA pixels. */
export type WorkerBackground =
	{ kind: 'blur'; strength: BlurStrength } | { kind: 'image'; image: ImageData };

/** Page → worker. */
export type EffectsRequest =
	/** Load the model from `base` (a URL ending in `/`) and check that it runs. */
	| { type: 'load'; base: string }
	| { type: 'background'; background: WorkerBackground }
	/**
	 * Process frames from `readable` into `writable` (transferred streams), or, with `posted`, from
	 * `frame` messages into `frame` reports; with neither, stop.
	 */
	| {
			type: 'source';
			readable?: ReadableStream<VideoFrame>;
			writable?: WritableStream<VideoFrame>;
			posted?: boolean;
	  }
	/** A camera frame, on the fallback path. @param timestamp microseconds */
	| { type: 'frame'; bitmap: ImageBitmap; timestamp: number };

/** Worker → page. */
export type EffectsReport =
	| { type: 'loaded' }
	| { type: 'failed'; reason: string }
	/** A processed frame, on the fallback path. */
	| { type: 'frame'; bitmap: ImageBitmap }
	/**
	 * Once a second while frames flow: frames read and written in that second, the median time of
	 * one model run (ms), and on one frame in how many the model ran.
	 */
	| { type: 'stats'; inputFps: number; outputFps: number; segmentMs: number; every: number };
