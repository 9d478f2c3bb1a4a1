/** Thrown when a step finishes after its {@link Scope} closed: its work was undone. */
export class Cancelled extends Error {
	constructor() {
		super('The meeting was left before this step finished.');
		this.name = 'Cancelled';
	}
}

/**
 * The life of one prejoin → call → left cycle. Steps that wait (devices, IndexedDB, the relay)
 * hand what they opened to {@link own}: if the person left meanwhile, it is released at once and
 * the step stops with {@link Cancelled}, so nothing outlives the meeting.
 */
export class Scope {
	#closed = false;

	/** Whether the cycle ended (left, or the page is going away). */
	get closed(): boolean {
		return this.#closed;
	}

	/** Ends the cycle: later {@link own} and {@link check} calls cancel. */
	close() {
		this.#closed = true;
	}

	/**
	 * Keeps `value` if the cycle is still on.
	 *
	 * @throws Cancelled after calling `release(value)`, when the cycle already ended
	 */
	own<T>(value: T, release: (value: T) => unknown): T {
		if (this.#closed) {
			void release(value);
			throw new Cancelled();
		}
		return value;
	}

	/** @throws Cancelled when the cycle already ended */
	check() {
		if (this.#closed) throw new Cancelled();
	}
}
