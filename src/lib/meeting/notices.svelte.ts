/**
 * What the person is told during a meeting, as codes: `ui/messages.ts` turns them into words (and
 * is where a translation would go).
 *
 * - `call-refused`: a call did not present the certificate its member announced, and was refused.
 * - `server-refused`: the relay refused the media connection (wrong key, server error).
 * - `browser-incompatible`: this browser cannot make WebRTC calls.
 * - `video-full`: the room is full for video, so the camera stays off.
 * - `video-full-joined`: joined with audio only, because the room is full for video.
 * - `message-too-long`: a chat message over the length limit was not sent.
 * - `copy-failed`: the meeting link could not be copied; the notice shows it (`detail`).
 * - `recording-no-space`, `recording-unsupported`, `recording-failed`: recording could not start.
 * - `recording-space-stopped`: recording stopped because the device is nearly full (kept).
 */
export type NoticeCode =
	| 'call-refused'
	| 'server-refused'
	| 'browser-incompatible'
	| 'video-full'
	| 'video-full-joined'
	| 'message-too-long'
	| 'copy-failed'
	| 'recording-no-space'
	| 'recording-unsupported'
	| 'recording-failed'
	| 'recording-space-stopped';

/** A notice on screen. */
export interface Notice {
	id: number;
	code: NoticeCode;
	/** Data the words need (a link, a number), if any. */
	detail: string | null;
	/** Whether it stays until dismissed (it asks for action) or goes away by itself. */
	sticky: boolean;
}

/** How long a notice that needs no action stays on screen (ms). */
export const NOTICE_MS = 8_000;

/** Codes that ask the person to act (or warn of tampering): they stay until dismissed. */
const STICKY = new Set<NoticeCode>([
	'call-refused',
	'server-refused',
	'browser-incompatible',
	'copy-failed',
	'recording-failed',
	'recording-space-stopped'
]);

let nextId = 1;

/**
 * The notices of one meeting, newest last. Each failure is shown once: reporting a code that is
 * already on screen (with the same detail) renews it instead of adding another.
 */
export class Notices {
	list = $state.raw<Notice[]>([]);
	#timers = new Map<number, ReturnType<typeof setTimeout>>();

	/** Shows the notice `code`; one that needs no action expires after {@link NOTICE_MS}. */
	add(code: NoticeCode, detail: string | null = null) {
		const existing = this.list.find((n) => n.code === code && n.detail === detail);
		const notice = existing ?? { id: nextId++, code, detail, sticky: STICKY.has(code) };
		if (!existing) this.list = [...this.list, notice];
		if (notice.sticky) return;
		clearTimeout(this.#timers.get(notice.id));
		this.#timers.set(
			notice.id,
			setTimeout(() => this.dismiss(notice.id), NOTICE_MS)
		);
	}

	/** Removes a notice. */
	dismiss(id: number) {
		clearTimeout(this.#timers.get(id));
		this.#timers.delete(id);
		this.list = this.list.filter((n) => n.id !== id);
	}

	/** Removes every notice (leaving the meeting). */
	clear() {
		for (const timer of this.#timers.values()) clearTimeout(timer);
		this.#timers.clear();
		this.list = [];
	}
}
