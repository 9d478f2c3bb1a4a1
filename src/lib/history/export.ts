/**
 * Exports of meetings, for reading and for other tools: a Markdown transcript, and JSON in a
 * documented, versioned schema ({@link ExportFile}; README, "Your meetings"). Exports leave out the
 * meeting's key: a transcript can be shared without letting anyone into the meeting.
 */
import type { MeetingEntry } from '$lib/library/library';
import type { RoomDoc } from '$lib/room/room-doc';

/** One meeting, as exported. Times are ms since the epoch; durations ms. */
export type MeetingExport = {
	code: string;
	title: string;
	firstJoinedAt: number | null;
	lastJoinedAt: number | null;
	/** time this device spent in the meeting */
	totalMs: number;
	people: string[];
	attendance: { name: string; event: 'join' | 'leave'; at: number }[];
	/** `file`: a file shared with the message (name, size in bytes, MIME type, SHA-256 in hex) */
	messages: {
		id: string;
		author: string;
		sentAt: number;
		text: string;
		file?: { name: string; size: number; type: string; sha256: string };
	}[];
};

/** The JSON export file: `format` and `version` identify it; `version` changes with the schema. */
export type ExportFile = {
	format: 'confer-export';
	version: 1;
	/** ms since the epoch */
	exportedAt: number;
	meetings: MeetingExport[];
};

/** A meeting's export from its library entry (if any) and its room document. */
export function meetingExport(
	code: string,
	entry: MeetingEntry | null,
	room: RoomDoc
): MeetingExport {
	return {
		code,
		title: room.title || entry?.title || '',
		firstJoinedAt: entry?.firstJoinedAt ?? null,
		lastJoinedAt: entry?.lastJoinedAt ?? null,
		totalMs: entry?.totalMs ?? 0,
		people: [...new Set([...(entry?.names ?? []), ...room.namesSeen()])],
		attendance: room.attendanceEvents().map(({ name, event, at }) => ({ name, event, at })),
		messages: room.messages().map(({ id, authorName, sentAt, text, file }) => ({
			id,
			author: authorName,
			sentAt,
			text,
			...(file
				? { file: { name: file.name, size: file.size, type: file.type, sha256: file.sha256 } }
				: {})
		}))
	};
}

/** The JSON export of `meetings`, pretty-printed. */
export function toJSON(meetings: MeetingExport[], now: number = Date.now()): string {
	const file: ExportFile = { format: 'confer-export', version: 1, exportedAt: now, meetings };
	return JSON.stringify(file, null, 2);
}

/** `2026-11-30 14:05` in UTC: exports read the same wherever they are opened. */
function stamp(ms: number): string {
	return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** Minutes and hours, for a transcript. */
function duration(ms: number): string {
	const minutes = Math.round(ms / 60_000);
	return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * A readable Markdown transcript of `meetings`: per meeting a heading with its title, when, how
 * long and who, then every message with its time (UTC) and author. Message text is kept as typed,
 * each line quoted, so Markdown in a message cannot break the transcript's structure.
 */
export function toMarkdown(meetings: MeetingExport[]): string {
	const parts: string[] = [];
	for (const m of meetings) {
		const lines = [`# ${m.title || m.code}`, ''];
		if (m.firstJoinedAt !== null) lines.push(`- When: ${stamp(m.firstJoinedAt)} UTC`);
		lines.push(`- Code: ${m.code}`);
		if (m.totalMs > 0) lines.push(`- Time in the meeting: ${duration(m.totalMs)}`);
		if (m.people.length > 0) lines.push(`- People: ${m.people.join(', ')}`);
		lines.push('', '## Messages', '');
		if (m.messages.length === 0) lines.push('No messages.', '');
		for (const message of m.messages) {
			lines.push(`**${message.author}** · ${stamp(message.sentAt)} UTC`, '');
			if (message.file) lines.push(`> 📎 ${message.file.name} (${message.file.size} bytes)`);
			if (message.text) lines.push(...message.text.split('\n').map((line) => `> ${line}`));
			lines.push('');
		}
		parts.push(lines.join('\n'));
	}
	return parts.join('\n---\n\n');
}

/**
 * A file name for an export: `confer-<title or code>-<date>.<ext>`, with only letters, digits and
 * dashes from the title.
 */
export function exportFileName(what: string, ext: string, now: number = Date.now()): string {
	const slug =
		what
			.normalize('NFD')
			.replace(/\p{M}+/gu, '')
			.toLowerCase()
			.replace(/[^a-z0-9]+/g, '-')
			.replace(/^-+|-+$/g, '')
			.slice(0, 60) || 'meeting';
	return `confer-${slug}-${new Date(now).toISOString().slice(0, 10)}.${ext}`;
}

/** Offers `text` as a download named `name`. */
export function download(name: string, content: BlobPart, type: string): void {
	const url = URL.createObjectURL(new Blob([content], { type }));
	const a = document.createElement('a');
	a.href = url;
	a.download = name;
	a.click();
	setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
