/**
 * The meetings kept on this device, read and removed without joining them and without a network:
 * each meeting's room document in IndexedDB (`confer-room-<code>`), its library entry, and its part
 * of the search index (ARCHITECTURE.md, "History and search").
 */
import * as Y from 'yjs';
import { deviceFiles } from '$lib/files/device';
import { OpfsFileStore } from '$lib/files/store';
import { deleteRecordingsOf } from '$lib/recording/files';
import { RecordingStore } from '$lib/recording/store';
import type { Library, MeetingEntry } from '$lib/library/library';
import { openPersistence, roomDbName } from '$lib/room/persistence';
import { RoomDoc, type ChatMessage } from '$lib/room/room-doc';
import { BackupError, createBackup, parseBackup, restoreBackup } from './backup';
import { meetingExport } from './export';
import { meetingDocId, type MeetingDoc, type MessageDoc } from './search-docs';
import type { HistorySearch } from './search-client';

/** The search documents of chat messages of meeting `code`. */
export function messageDocs(code: string, messages: readonly ChatMessage[]): MessageDoc[] {
	return messages.map((m) => ({
		kind: 'message',
		id: m.id,
		code,
		author: m.authorName,
		sentAt: m.sentAt,
		// A shared file is found by its name.
		text: m.file ? [m.file.name, m.text].filter(Boolean).join('\n') : m.text
	}));
}

/** The search document of a meeting: its title and the names of its people. */
export function meetingDoc(code: string, title: string, names: readonly string[]): MeetingDoc {
	return { kind: 'meeting', id: meetingDocId(code), code, title, names: names.join(' ') };
}

/** A stored room document, opened for reading (and merging a backup into). */
export type StoredRoom = {
	room: RoomDoc;
	/** Saves pending writes and closes the database. */
	close(): Promise<void>;
};

/**
 * Opens meeting `code`'s room document from this device's IndexedDB, with no network.
 *
 * @returns the room, or null when IndexedDB is unavailable
 */
export async function openStoredRoom(code: string): Promise<StoredRoom | null> {
	const doc = new Y.Doc();
	const persistence = await openPersistence(roomDbName(code), doc);
	if (!persistence) {
		doc.destroy();
		return null;
	}
	return {
		room: new RoomDoc(doc),
		async close() {
			await persistence.destroy();
			doc.destroy();
		}
	};
}

/** Thrown when a meeting's data cannot be deleted because a tab still has it open. */
export class MeetingOpenError extends Error {
	constructor(readonly code: string) {
		super(`Meeting ${code} is open in another tab. Close that tab, then delete it again.`);
		this.name = 'MeetingOpenError';
	}
}

/**
 * Deletes meeting `code` from this device: its room document, its library entry, its search
 * entries, its recordings and the files held for it that no other meeting shares.
 *
 * @throws MeetingOpenError when another tab keeps the room document open (nothing is deleted)
 */
export async function deleteMeeting(
	library: Library,
	search: HistorySearch,
	code: string
): Promise<void> {
	await deleteDatabase(roomDbName(code), code);
	await deviceFiles()?.held.forgetRoom(code);
	await deleteRecordingsOf(new RecordingStore(), code);
	library.forget(code);
	search.removeMeeting(code);
}

/** Deletes an IndexedDB database, refusing (rather than waiting) when a tab has it open. */
function deleteDatabase(name: string, code: string): Promise<void> {
	return new Promise((resolve, reject) => {
		const request = indexedDB.deleteDatabase(name);
		request.onsuccess = () => resolve();
		request.onerror = () => reject(request.error ?? new Error(`Could not delete ${name}.`));
		request.onblocked = () => reject(new MeetingOpenError(code));
	});
}

/**
 * Offers the search every message and the title of meetings it has nothing of yet: meetings from
 * before the search existed, or after its index was lost. Only those are read.
 *
 * @returns the codes indexed now
 */
export async function indexMissing(
	search: HistorySearch,
	entries: readonly MeetingEntry[]
): Promise<string[]> {
	const missing = await search.missing(entries.map((e) => e.code));
	for (const code of missing) {
		const stored = await openStoredRoom(code);
		if (!stored) continue;
		const entry = entries.find((e) => e.code === code);
		search.add([
			meetingDoc(code, stored.room.title || entry?.title || '', entry?.names ?? []),
			...messageDocs(code, stored.room.messages())
		]);
		await stored.close();
	}
	return missing;
}

/** The exports of meetings `codes`, read from this device (meetings without a room are skipped). */
export async function collectExports(library: Library, codes: readonly string[]) {
	const exports = [];
	for (const code of codes) {
		const stored = await openStoredRoom(code);
		if (!stored) continue;
		exports.push(meetingExport(code, library.meeting(code), stored.room));
		await stored.close();
	}
	return exports;
}

/** A backup of every meeting on this device (see `backup.ts`), as the file's text. */
export async function backupEverything(library: Library): Promise<string> {
	return createBackup(library.meetings(), async (code) => {
		const stored = await openStoredRoom(code);
		if (!stored) return null;
		const update = Y.encodeStateAsUpdate(stored.room.doc);
		await stored.close();
		return update;
	});
}

/**
 * Restores a backup file into this device: rooms merged (CRDT), meetings merged, and every message
 * offered to the search (already indexed ones are skipped).
 *
 * @returns the number of meetings in the backup
 * @throws BackupError when the file is not a backup Confer can restore (nothing is changed)
 */
export async function restoreFrom(
	text: string,
	library: Library,
	search: HistorySearch
): Promise<number> {
	const backup = parseBackup(text);
	return restoreBackup(backup, library, async (code, update) => {
		const stored = await openStoredRoom(code);
		if (!stored) throw new BackupError('This browser will not let Confer store data here.');
		Y.applyUpdate(stored.room.doc, update, 'backup');
		const entry = backup.meetings.find((m) => m.code === code);
		search.add([
			meetingDoc(code, stored.room.title || entry?.title || '', entry?.names ?? []),
			...messageDocs(code, stored.room.messages())
		]);
		await stored.close();
	});
}

/**
 * Deletes every meeting from this device: room documents, files, the meeting list and the search
 * index.
 * The profile and device settings stay.
 *
 * @throws MeetingOpenError when a tab keeps one open (the others are deleted)
 */
export async function deleteEverything(library: Library, search: HistorySearch): Promise<void> {
	let refused: MeetingOpenError | null = null;
	for (const { code } of library.meetings()) {
		try {
			await deleteMeeting(library, search, code);
		} catch (error) {
			if (!(error instanceof MeetingOpenError)) throw error;
			refused = error;
		}
	}
	if (refused) throw refused;
	search.clear();
	await OpfsFileStore.deleteAll();
}
