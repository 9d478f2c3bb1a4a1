/**
 * The composite's frame rate, lowered while frames are late and raised again once they are on
 * time, so that a busy device records a steady lower rate instead of a stuttering high one.
 * Pure, so it is tested without a browser.
 */

/** Frame rates the composite steps through, highest first (frames per second). */
export const FRAME_RATES = [30, 20, 15, 10] as const;
/** Weight of each tick in the running share of late ticks (exponential moving average). */
const WEIGHT = 0.1;
/** Step down when more than this share of recent ticks are late. */
const STEP_DOWN = 0.25;
/** Step up when fewer than this share are late... */
const STEP_UP = 0.02;
/** ...and the rate has not changed for this long (ms). */
const HOLD_MS = 5_000;

export class FramePace {
	#level = 0;
	#late = 0;
	#changedAt: number;

	/** @param now the clock's current time (ms) */
	constructor(now: number) {
		this.#changedAt = now;
	}

	/** Frames per second now: one of {@link FRAME_RATES}. */
	get fps(): number {
		return FRAME_RATES[this.#level] as number;
	}

	/** Milliseconds between frames now. */
	get interval(): number {
		return 1000 / this.fps;
	}

	/**
	 * Records one frame.
	 *
	 * @param lateMs how long after its due time the frame's timer fired (ms)
	 * @param workMs how long drawing and handing the frame over took (ms)
	 * @param now the clock's current time (ms)
	 */
	record(lateMs: number, workMs: number, now: number): void {
		const interval = this.interval;
		const late = lateMs > interval / 2 || workMs > interval * 0.75 ? 1 : 0;
		this.#late += (late - this.#late) * WEIGHT;
		if (this.#late > STEP_DOWN && this.#level < FRAME_RATES.length - 1) {
			this.#level++;
		} else if (this.#late < STEP_UP && this.#level > 0 && now - this.#changedAt >= HOLD_MS) {
			this.#level--;
		} else {
			return;
		}
		this.#late = 0;
		this.#changedAt = now;
	}
}
