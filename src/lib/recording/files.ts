/**
 * Finished recordings as files in the Origin Private File System (`confer-recordings/<id>.<ext>`):
 * finding, deleting, and the Web Lock of a recording in progress. Writing them is `finalize.ts`.
 */
import type { RecordingMeta, RecordingStore } from './store';

const DIRECTORY = 'confer-recordings';

/** The OPFS directory of finished recordings. */
export async function recordingsDirectory(): Promise<FileSystemDirectoryHandle> {
	const root = await navigator.storage.getDirectory();
	return root.getDirectoryHandle(DIRECTORY, { create: true });
}

/** A recording's file name in {@link recordingsDirectory}: `<id>.<ext>`. */
export function recordingFileName(meta: Pick<RecordingMeta, 'id' | 'ext'>): string {
	return `${meta.id}.${meta.ext}`;
}

/** A recording's finished file, read from disk as it is used; null when there is none. */
export async function recordingFile(meta: RecordingMeta): Promise<File | null> {
	try {
		return await (
			await (await recordingsDirectory()).getFileHandle(recordingFileName(meta))
		).getFile();
	} catch {
		return null;
	}
}

/** Deletes a recording: its file, its chunks and its record. */
export async function deleteRecording(store: RecordingStore, meta: RecordingMeta): Promise<void> {
	try {
		await (await recordingsDirectory()).removeEntry(recordingFileName(meta));
	} catch {
		// No file (never finished), or no OPFS here: the record still goes.
	}
	await store.remove(meta.id);
}

/** Deletes every recording of meeting `code` (the meeting is being deleted). */
export async function deleteRecordingsOf(store: RecordingStore, code: string): Promise<void> {
	for (const meta of await store.list(code)) await deleteRecording(store, meta);
}

/** The Web Lock a tab holds while it records `id` (so other tabs do not take it for crashed). */
export function recordingLock(id: string): string {
	return `confer-recording:${id}`;
}
