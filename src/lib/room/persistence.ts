import { IndexeddbPersistence } from 'y-indexeddb';
import type * as Y from 'yjs';

/** The IndexedDB database of one meeting's room document (ARCHITECTURE.md, "Room document"). */
export function roomDbName(code: string): string {
	return `confer-room-${code}`;
}

/**
 * Binds `doc` to the IndexedDB database `name` with y-indexeddb and waits until the stored state
 * has been applied to `doc`, so that local data shows before any network.
 *
 * y-indexeddb's `whenSynced` never settles when the database cannot be opened (storage disabled,
 * some private modes); this resolves null instead, and the caller carries on without persistence.
 *
 * @param name IndexedDB database name (`confer-room-<code>`, `confer-library`)
 * @param doc the document to load into and save from
 * @returns the persistence provider, or null when IndexedDB is unavailable
 */
export async function openPersistence(
	name: string,
	doc: Y.Doc
): Promise<IndexeddbPersistence | null> {
	const persistence = new IndexeddbPersistence(name, doc);
	const opened = await Promise.race([
		persistence.whenSynced.then(() => true),
		persistence._db.then(
			() => new Promise<never>(() => {}),
			() => false
		)
	]);
	if (opened) return persistence;
	// Unbinds from `doc`; the returned promise rejects with the same open error, already handled.
	persistence.destroy().catch(() => {});
	return null;
}
