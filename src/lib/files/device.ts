import { HeldFiles } from './held';
import { OpfsFileStore, opfsAvailable, type FileStore } from './store';

/** This device's file storage: the bytes (OPFS) and which meetings refer to them. */
export type DeviceFiles = { store: FileStore; held: HeldFiles };

let shared: DeviceFiles | null | undefined;

/**
 * The device's file storage, one per page; null when the browser has no OPFS (files can then be
 * neither sent nor received, and the chat says so).
 */
export function deviceFiles(): DeviceFiles | null {
	if (shared === undefined) {
		if (opfsAvailable()) {
			const store = new OpfsFileStore();
			shared = { store, held: new HeldFiles(store) };
		} else {
			shared = null;
		}
	}
	return shared;
}
