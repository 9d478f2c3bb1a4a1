/**
 * Backup and restore of everything Confer keeps on this device: the meeting list, and every
 * meeting's room document as a Yjs update (README, "Your meetings"). Restoring merges: room
 * documents are CRDTs (Yjs applies each update once, whatever is already there), and meeting
 * entries merge field by field (`Library.merge`). Restoring the same backup twice changes nothing.
 */
import { fromBase64, toBase64 } from 'lib0/buffer';
import * as Y from 'yjs';
import { isMeetingCode } from '$lib/room/link';
import { isRecord } from '$lib/room/sanitize';
import type { Library, MeetingEntry } from '$lib/library/library';

/**
 * The backup file (JSON). `library` is the meeting list as entries; `rooms` maps each meeting code
 * to its room document, `Y.encodeStateAsUpdate` in base64.
 */
export type BackupFile = {
	format: 'confer-backup';
	version: 1;
	/** ms since the epoch */
	createdAt: number;
	meetings: MeetingEntry[];
	rooms: Record<string, string>;
};

/** A backup read and checked, ready to restore. */
export type Backup = {
	createdAt: number;
	meetings: MeetingEntry[];
	rooms: Map<string, Uint8Array>;
};

/** Why a file is not a backup Confer can restore; `message` says it in words. */
export class BackupError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'BackupError';
	}
}

/**
 * Writes a backup of `meetings` and their room documents.
 *
 * @param roomUpdate the room document of a meeting as one Yjs update (null if it has none)
 */
export async function createBackup(
	meetings: readonly MeetingEntry[],
	roomUpdate: (code: string) => Promise<Uint8Array | null>,
	now: number = Date.now()
): Promise<string> {
	const rooms: Record<string, string> = {};
	for (const { code } of meetings) {
		const update = await roomUpdate(code);
		if (update) rooms[code] = toBase64(update);
	}
	const file: BackupFile = {
		format: 'confer-backup',
		version: 1,
		createdAt: now,
		meetings: [...meetings],
		rooms
	};
	return JSON.stringify(file);
}

/**
 * Reads and checks a backup file completely, before anything is restored.
 *
 * @throws BackupError when the file is not JSON, not a Confer backup, from a newer version, or
 *   damaged (a room that is not a valid Yjs update)
 */
export function parseBackup(text: string): Backup {
	let file: unknown;
	try {
		file = JSON.parse(text);
	} catch {
		throw new BackupError(
			'This file is not a Confer backup: it is damaged or incomplete (it does not read as JSON). Nothing was changed.'
		);
	}
	if (!isRecord(file) || file.format !== 'confer-backup') {
		throw new BackupError('This file is not a Confer backup. Nothing was changed.');
	}
	if (file.version !== 1) {
		throw new BackupError(
			'This backup was made by a newer version of Confer. Update Confer, then restore it. Nothing was changed.'
		);
	}
	const { meetings, rooms, createdAt } = file;
	if (!Array.isArray(meetings) || !isRecord(rooms) || typeof createdAt !== 'number') {
		throw new BackupError('This backup is damaged: parts of it are missing. Nothing was changed.');
	}
	const checked = new Map<string, Uint8Array>();
	for (const [code, base64] of Object.entries(rooms)) {
		if (!isMeetingCode(code) || typeof base64 !== 'string') {
			throw new BackupError(`This backup is damaged (meeting "${code}"). Nothing was changed.`);
		}
		try {
			const update = fromBase64(base64);
			// Applying to a scratch document checks the whole update.
			Y.applyUpdate(new Y.Doc(), update);
			checked.set(code, update);
		} catch {
			throw new BackupError(
				`This backup is damaged: meeting ${code} cannot be read. Nothing was changed.`
			);
		}
	}
	return { createdAt, meetings: meetings as MeetingEntry[], rooms: checked };
}

/**
 * Merges `backup` into this device.
 *
 * @param mergeRoom merges one room document's update into the stored one
 * @returns the number of meetings in the backup
 */
export async function restoreBackup(
	backup: Backup,
	library: Library,
	mergeRoom: (code: string, update: Uint8Array) => Promise<void>
): Promise<number> {
	for (const [code, update] of backup.rooms) await mergeRoom(code, update);
	library.merge(backup.meetings);
	return backup.meetings.length;
}
