/**
 * How much this device keeps, and whether the browser may evict it (Storage API:
 * `navigator.storage.estimate()` and `persist()`).
 */

/** What the Meetings page says about storage. */
export type StorageState = { usage: number; persistent: boolean; text: string };

/** Bytes in words: "3.2 MB". */
export function formatBytes(bytes: number): string {
	if (bytes < 1_000) return `${bytes} bytes`;
	if (bytes < 1_000_000) return `${(bytes / 1_000).toFixed(1)} kB`;
	if (bytes < 1_000_000_000) return `${(bytes / 1_000_000).toFixed(1)} MB`;
	return `${(bytes / 1_000_000_000).toFixed(2)} GB`;
}

/** The space Confer uses and whether it is kept for sure; null where the browser cannot tell. */
export async function describeStorage(): Promise<StorageState | null> {
	if (!navigator.storage?.estimate) return null;
	const [{ usage = 0 }, persistent] = await Promise.all([
		navigator.storage.estimate(),
		navigator.storage.persisted?.() ?? Promise.resolve(false)
	]);
	const kept = persistent
		? 'Storage is persistent: the browser will not clear it to make room.'
		: 'Storage is not persistent: the browser may clear it when space runs low. Keep a backup.';
	return { usage, persistent, text: `Confer uses ${formatBytes(usage)} on this device. ${kept}` };
}

/**
 * Asks the browser to keep Confer's data (it may decide without asking the person). Call once the
 * device holds a meeting. Never throws.
 *
 * @returns whether storage is persistent now
 */
export async function requestPersistence(): Promise<boolean> {
	try {
		if (!navigator.storage?.persist) return false;
		return (await navigator.storage.persisted()) || (await navigator.storage.persist());
	} catch {
		return false;
	}
}
