/**
 * Short-lived messages that sighted people see and screen readers hear ("Bob joined", a new chat
 * message while the chat is closed). Unlike notices (`meeting/notices.svelte.ts`), nothing here
 * needs an answer: each toast goes away by itself, and only the newest few are kept.
 */

/** A toast on screen. */
export interface Toast {
	id: number;
	/** The words shown and announced. */
	text: string;
	/** What activating the toast does (opening the chat, say); none makes it plain text. */
	action: (() => void) | null;
}

/** How long a toast stays (ms). */
export const TOAST_MS = 6_000;
/** At most this many toasts at once; a new one pushes out the oldest. */
export const MAX_TOASTS = 3;

let nextId = 1;

/** The toasts of one call screen, oldest first. */
export class Toasts {
	list = $state.raw<Toast[]>([]);
	#timers = new Map<number, ReturnType<typeof setTimeout>>();

	/**
	 * Shows `text` for {@link TOAST_MS}.
	 *
	 * @param action run when the person activates the toast (it then goes away)
	 */
	add(text: string, action: (() => void) | null = null) {
		const toast: Toast = { id: nextId++, text, action };
		const kept = this.list.slice(-(MAX_TOASTS - 1));
		for (const old of this.list) if (!kept.includes(old)) this.#forget(old.id);
		this.list = [...kept, toast];
		this.#timers.set(
			toast.id,
			setTimeout(() => this.dismiss(toast.id), TOAST_MS)
		);
	}

	/** Removes a toast. */
	dismiss(id: number) {
		this.#forget(id);
		this.list = this.list.filter((t) => t.id !== id);
	}

	/** Removes every toast (the call screen goes away). */
	clear() {
		for (const timer of this.#timers.values()) clearTimeout(timer);
		this.#timers.clear();
		this.list = [];
	}

	#forget(id: number) {
		clearTimeout(this.#timers.get(id));
		this.#timers.delete(id);
	}
}
