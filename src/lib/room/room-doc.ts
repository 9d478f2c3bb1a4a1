import * as Y from 'yjs';
import { readFileRef, type FileRef } from '$lib/files/manifest';
import { randomId } from './random';
import { isRecord, readFinite, readId, readName, truncate } from './sanitize';

/** One chat message, as stored in the room's `chat` array (ARCHITECTURE.md, "Room document"). */
export type ChatMessage = {
	/** random, 22 base64url characters for messages Confer sends */
	id: string;
	/** the author's profile id */
	authorId: string;
	/** the author's display name when sending */
	authorName: string;
	/** at most {@link MAX_MESSAGE_LENGTH} UTF-16 code units; empty only when a file is attached */
	text: string;
	/** ms since the epoch, by the sender's clock */
	sentAt: number;
	/** a file shared with the message: its description, never its bytes (ARCHITECTURE.md, "Files") */
	file?: FileRef;
};

/** Someone joined or left the call, as stored in the room's `attendance` array. */
export type AttendanceEvent = {
	/** the person's profile id */
	personId: string;
	/** their display name at that moment */
	name: string;
	event: 'join' | 'leave';
	/** ms since the epoch, by the recording device's clock */
	at: number;
};

/** Longest chat message, in UTF-16 code units (what `String.length` and `<textarea maxlength>` count). */
export const MAX_MESSAGE_LENGTH = 4000;

/** Longest meeting title, in UTF-16 code units. */
export const MAX_TITLE_LENGTH = 200;

/**
 * Orders messages by `(sentAt, id)`, comparing ids by UTF-16 code units (not `localeCompare`, which
 * differs between locales), so that every peer shows the same order.
 */
function compareMessages(a: ChatMessage, b: ChatMessage): number {
	if (a.sentAt !== b.sentAt) return a.sentAt - b.sentAt;
	return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Reads a chat entry written by any peer; null when it is not a message. Over-long text is cut. */
function readMessage(value: unknown): ChatMessage | null {
	if (!isRecord(value)) return null;
	const id = readId(value.id);
	const authorId = readId(value.authorId);
	const authorName = readName(value.authorName);
	const sentAt = readFinite(value.sentAt);
	const text = typeof value.text === 'string' ? truncate(value.text, MAX_MESSAGE_LENGTH) : '';
	// A file that does not read as one is dropped, and so is its message if it has no text.
	const file = value.file === undefined ? null : readFileRef(value.file);
	if (
		id === null ||
		authorId === null ||
		authorName === null ||
		sentAt === null ||
		(text.trim() === '' && file === null)
	) {
		return null;
	}
	return file
		? { id, authorId, authorName, text, sentAt, file }
		: { id, authorId, authorName, text, sentAt };
}

/** Reads an attendance entry written by any peer; null when it is not one. */
function readAttendance(value: unknown): AttendanceEvent | null {
	if (!isRecord(value)) return null;
	const personId = readId(value.personId);
	const name = readName(value.name);
	const at = readFinite(value.at);
	const event = value.event;
	if (
		personId === null ||
		name === null ||
		at === null ||
		(event !== 'join' && event !== 'leave')
	) {
		return null;
	}
	return { personId, name, event, at };
}

/**
 * The shared document of one meeting: `meta` (title, createdAt), `chat` and `attendance`
 * (ARCHITECTURE.md, "Room document"). Every participant holds a replica; the operations here only
 * append to the arrays or set map keys, so replicas converge whatever order updates arrive in.
 *
 * Peers are not trusted to write well-formed entries: {@link messages} and
 * {@link attendanceEvents} validate everything they return.
 */
export class RoomDoc {
	/** The underlying Yjs document, for providers. */
	readonly doc: Y.Doc;
	/** `title: string`, `createdAt: number` (ms since the epoch). */
	readonly meta: Y.Map<unknown>;
	/** Append-only; entries from peers may be malformed, read them through {@link messages}. */
	readonly chat: Y.Array<ChatMessage>;
	/** Append-only; entries from peers may be malformed, read them through {@link attendanceEvents}. */
	readonly attendance: Y.Array<AttendanceEvent>;

	/** @param doc the room's Yjs document (a new empty one by default) */
	constructor(doc: Y.Doc = new Y.Doc()) {
		this.doc = doc;
		this.meta = doc.getMap('meta');
		this.chat = doc.getArray('chat');
		this.attendance = doc.getArray('attendance');
	}

	/**
	 * Appends a chat message. Whitespace at both ends of `text` is removed; line breaks and spaces
	 * inside are kept.
	 *
	 * @param author the sender's profile id and display name
	 * @param text the message as typed (may be empty when a file is attached)
	 * @param now send time, ms since the epoch
	 * @param file a file shared with the message (its description, from `files/manifest.ts`)
	 * @returns the message as stored
	 * @throws Error when `text` is empty or only whitespace and there is no file
	 * @throws TypeError when `author.id` is empty or longer than 128 characters, or `now` is not finite
	 * @throws RangeError when `text` is longer than {@link MAX_MESSAGE_LENGTH} UTF-16 code units
	 */
	sendMessage(
		author: { id: string; name: string },
		text: string,
		now: number = Date.now(),
		file?: FileRef
	): ChatMessage {
		if (readId(author.id) === null) throw new TypeError('The author needs a profile id.');
		if (readFinite(now) === null) throw new TypeError('The send time must be a finite number.');
		const trimmed = text.trim();
		if (trimmed === '' && !file) throw new Error('A chat message cannot be empty.');
		if (trimmed.length > MAX_MESSAGE_LENGTH) {
			throw new RangeError(
				`A chat message can be at most ${MAX_MESSAGE_LENGTH} characters long (this one has ${trimmed.length}).`
			);
		}
		const message: ChatMessage = {
			id: randomId(),
			authorId: author.id,
			authorName: readName(author.name) ?? '',
			text: trimmed,
			sentAt: now,
			...(file ? { file: { ...file } } : {})
		};
		this.chat.push([message]);
		return message;
	}

	/**
	 * Reads the chat in display order, `(sentAt, id)` ascending, the same on every converged replica.
	 * Entries that are not well-formed messages are skipped; text longer than
	 * {@link MAX_MESSAGE_LENGTH} is cut; of entries sharing an id only the first in the array is kept
	 * (ids are unique render keys).
	 *
	 * @returns fresh objects, safe to hand to rendering
	 */
	messages(): ChatMessage[] {
		const seen = new Set<string>();
		const result: ChatMessage[] = [];
		for (const value of this.chat.toArray() as unknown[]) {
			const message = readMessage(value);
			if (message === null || seen.has(message.id)) continue;
			seen.add(message.id);
			result.push(message);
		}
		return result.sort(compareMessages);
	}

	/**
	 * Appends an attendance event.
	 *
	 * @param personId the person's profile id
	 * @param name their display name
	 * @param event `join` or `leave`
	 * @param at ms since the epoch
	 * @returns the event as stored
	 */
	recordAttendance(
		personId: string,
		name: string,
		event: 'join' | 'leave',
		at: number = Date.now()
	): AttendanceEvent {
		const entry: AttendanceEvent = { personId, name: readName(name) ?? '', event, at };
		this.attendance.push([entry]);
		return entry;
	}

	/**
	 * Reads the attendance log sorted by `at` (ties in array order, the same on every converged
	 * replica), skipping malformed entries.
	 */
	attendanceEvents(): AttendanceEvent[] {
		const result: AttendanceEvent[] = [];
		for (const value of this.attendance.toArray() as unknown[]) {
			const entry = readAttendance(value);
			if (entry !== null) result.push(entry);
		}
		return result.sort((a, b) => a.at - b.at);
	}

	/** The meeting title, `''` when none is set; at most {@link MAX_TITLE_LENGTH} code units. */
	get title(): string {
		const title = this.meta.get('title');
		return typeof title === 'string' ? truncate(title, MAX_TITLE_LENGTH) : '';
	}

	/**
	 * Sets the meeting title for everyone (last writer wins); whitespace at the ends is removed.
	 *
	 * @throws RangeError when longer than {@link MAX_TITLE_LENGTH} code units
	 */
	set title(title: string) {
		const trimmed = title.trim();
		if (trimmed.length > MAX_TITLE_LENGTH) {
			throw new RangeError(`A meeting title can be at most ${MAX_TITLE_LENGTH} characters long.`);
		}
		this.meta.set('title', trimmed);
	}

	/** When the meeting was created, ms since the epoch, or null when unknown. */
	get createdAt(): number | null {
		return readFinite(this.meta.get('createdAt'));
	}

	/**
	 * Sets `createdAt` unless this replica already has it. Call it after local state has loaded, from
	 * the person who creates the meeting; if two replicas set it concurrently, Yjs keeps one value
	 * everywhere.
	 *
	 * @param now ms since the epoch
	 */
	initMeta(now: number = Date.now()): void {
		if (!this.meta.has('createdAt')) this.meta.set('createdAt', now);
	}

	/**
	 * The distinct display names seen in this meeting (attendance, then chat authors), in order of
	 * first appearance, empty names omitted.
	 */
	namesSeen(): string[] {
		const names = new Set<string>();
		for (const { name } of this.attendanceEvents()) if (name !== '') names.add(name);
		for (const { authorName } of this.messages()) if (authorName !== '') names.add(authorName);
		return [...names];
	}

	/** The files shared in the chat, by SHA-256 (the first message sharing each). */
	files(): Map<string, FileRef> {
		const files = new Map<string, FileRef>();
		for (const { file } of this.messages()) {
			if (file && !files.has(file.sha256)) files.set(file.sha256, file);
		}
		return files;
	}

	/**
	 * Calls `cb` when a transaction, local or remote, has changed the chat, attendance or meta (once
	 * per changed type; re-read state in `cb` rather than counting calls).
	 *
	 * @returns a function that unsubscribes
	 */
	onChange(cb: () => void): () => void {
		const handler = (): void => cb();
		const types = [this.chat, this.attendance, this.meta] as const;
		for (const type of types) type.observeDeep(handler);
		return () => {
			for (const type of types) type.unobserveDeep(handler);
		};
	}

	/** Destroys the Yjs document, which also destroys providers bound to it. */
	destroy(): void {
		this.doc.destroy();
	}
}
