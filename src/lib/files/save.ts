import { safeFileName, type FileRef } from './manifest';
import type { FileStore } from './store';

/**
 * Hands a held file to the browser's downloads under its original name, made safe for file
 * systems. The blob is typed `application/octet-stream`, so a received file is saved, never
 * opened as a page.
 *
 * @returns false when the file is not held here
 */
export async function saveFile(store: FileStore, ref: FileRef): Promise<boolean> {
	const file = await store.file(ref.sha256);
	if (!file) return false;
	const url = URL.createObjectURL(new Blob([file], { type: 'application/octet-stream' }));
	const a = document.createElement('a');
	a.href = url;
	a.download = safeFileName(ref.name);
	a.rel = 'noopener';
	a.click();
	// The download has started reading by then; the URL is not needed afterwards.
	setTimeout(() => URL.revokeObjectURL(url), 60_000);
	return true;
}
