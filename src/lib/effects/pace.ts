/**
 * How often background effects run the segmentation model, and whether the output keeps up
 * (ARCHITECTURE.md, "Background effects"). Every frame is composed with the latest mask; while frames
 * are late the model runs on one frame in two, three or four, so the video keeps its frame rate and
 * only the mask's edge lags. Pure, so it is tested without a browser.
 */

/** The model runs on one frame in at most this many. */
export const MAX_EVERY = 4;
/** Weight of each frame in the running share of late frames (exponential moving average). */
const WEIGHT = 0.1;
/** Run the model less often when more than this share of recent frames were late... */
const STEP_DOWN = 0.25;
/** ...and more often when fewer than this share were, and nothing changed for {@link HOLD_MS}. */
const STEP_UP = 0.02;
const HOLD_MS = 3_000;
/** A frame whose work took more than this share of the time between frames is late. */
const LATE = 0.8;

export class SegmentationPace {
	/** The model runs on one frame in `every`. */
	every = 1;
	#count = 0;
	#late = 0;
	#changedAt: number;

	/** @param now the clock's current time (ms) */
	constructor(now: number) {
		this.#changedAt = now;
	}

	/** Whether this frame gets a new mask; call once per frame. */
	due(): boolean {
		const due = this.#count % this.every === 0;
		this.#count++;
		return due;
	}

	/**
	 * Records one frame's work.
	 * @param workMs time from reading the frame to handing the result over (ms)
	 * @param periodMs time between the camera's frames (ms)
	 * @param now the clock's current time (ms)
	 */
	record(workMs: number, periodMs: number, now: number): void {
		const late = workMs > periodMs * LATE ? 1 : 0;
		this.#late += (late - this.#late) * WEIGHT;
		if (this.#late > STEP_DOWN && this.every < MAX_EVERY) {
			this.every++;
		} else if (this.#late < STEP_UP && this.every > 1 && now - this.#changedAt >= HOLD_MS) {
			this.every--;
		} else {
			return;
		}
		this.#late = 0;
		this.#changedAt = now;
	}
}

/** Below this output rate (frames per second) the effect is too costly for the device... */
export const SLOW_FPS = 15;
/** ...when it lasts this many one-second reports in a row. */
const SLOW_REPORTS = 3;

/**
 * Decides from the worker's one-second reports whether the device cannot keep up: output below
 * {@link SLOW_FPS} for {@link SLOW_REPORTS} seconds in a row, while the camera delivered clearly
 * more (a camera that itself sends 10 frames a second is not the effect's fault).
 */
export class SlowWatch {
	#run = 0;

	/**
	 * @param outputFps frames written in the last second
	 * @param inputFps frames the camera delivered in the last second
	 * @returns whether the output is too slow now
	 */
	report(outputFps: number, inputFps: number): boolean {
		const slow = outputFps < SLOW_FPS && outputFps < inputFps * 0.8;
		this.#run = slow ? this.#run + 1 : 0;
		return this.#run >= SLOW_REPORTS;
	}
}
