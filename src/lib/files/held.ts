import { createStore, del, entries, get, update, type UseStore } from 'idb-keyval';
import { readFileRef, type FileRef } from './manifest';
import type { FileStore } from './store';

/** A file this device holds, and the meetings (by code) whose chat refers to it. */
export type HeldFile = {
	ref: FileRef;
	rooms: string[];
	/** when it was first stored here, ms since the epoch */
	at: number;
};

/**
 * Which files this device holds and for which meetings (IndexedDB `confer-files`, one entry per
 * SHA-256). The bytes are in a {@link FileStore}; a file is deleted once no meeting refers to it.
 */
export class HeldFiles {
	#db: UseStore;
	#store: FileStore;

	constructor(store: FileStore, db: UseStore = createStore('confer-files', 'held')) {
		this.#store = store;
		this.#db = db;
	}

	/** Whether the file is held here (the bytes and the record both exist). */
	async has(sha: string): Promise<boolean> {
		return (
			(await get(sha, this.#db)) !== undefined && (await this.#store.chunkHashes(sha)) !== null
		);
	}

	/** Records that meeting `room` refers to a file now held (its bytes were just stored). */
	async add(ref: FileRef, room: string): Promise<void> {
		await update<HeldFile>(
			ref.sha256,
			(held) =>
				held
					? { ...held, rooms: held.rooms.includes(room) ? held.rooms : [...held.rooms, room] }
					: { ref, rooms: [room], at: Date.now() },
			this.#db
		);
	}

	/** The files held for meeting `room`, oldest first. */
	async forRoom(room: string): Promise<HeldFile[]> {
		return (await this.#all()).filter((held) => held.rooms.includes(room));
	}

	/** SHA-256 of every file held for meeting `room`. */
	async hashesForRoom(room: string): Promise<Set<string>> {
		return new Set((await this.forRoom(room)).map((held) => held.ref.sha256));
	}

	/**
	 * Forgets meeting `room` (it is being deleted): files no other meeting refers to are deleted.
	 *
	 * @returns how many files were deleted
	 */
	async forgetRoom(room: string): Promise<number> {
		let deleted = 0;
		for (const held of await this.forRoom(room)) {
			const rooms = held.rooms.filter((r) => r !== room);
			if (rooms.length > 0) {
				await update<HeldFile>(held.ref.sha256, (h) => ({ ...(h ?? held), rooms }), this.#db);
			} else {
				await this.#store.delete(held.ref.sha256);
				await del(held.ref.sha256, this.#db);
				deleted++;
			}
		}
		return deleted;
	}

	async #all(): Promise<HeldFile[]> {
		const result: HeldFile[] = [];
		for (const [, value] of await entries<string, HeldFile>(this.#db)) {
			const ref = readFileRef(value?.ref);
			if (ref && Array.isArray(value.rooms)) {
				result.push({ ref, rooms: value.rooms.filter((r) => typeof r === 'string'), at: value.at });
			}
		}
		return result.sort((a, b) => a.at - b.at);
	}
}
