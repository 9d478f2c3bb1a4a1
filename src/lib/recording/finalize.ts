/**
 * Finishing recordings: their files in the Origin Private File System are written by remuxing
 * MediaRecorder's output with mediabunny (https://mediabunny.dev). MediaRecorder's WebM has no
 * duration and no cues (its size is unknown while it streams), so players cannot seek it;
 * the remuxed file has both. Packets are copied, not re-encoded.
 */
import {
	ALL_FORMATS,
	BlobSource,
	Conversion,
	Input,
	Mp4OutputFormat,
	Output,
	StreamTarget,
	WebMOutputFormat,
	type StreamTargetChunk
} from 'mediabunny';
import { deleteRecording, recordingFileName, recordingLock, recordingsDirectory } from './files';
import type { RecordingMeta, RecordingStore } from './store';

/**
 * Turns a recording's stored chunks into its seekable file, records its duration and size, then
 * deletes the chunks.
 *
 * @param state `done` after a normal stop, `recovered` after a crash or reload
 * @returns the updated record
 * @throws Error when the chunks hold no playable media (nothing was recorded)
 */
export async function finalizeRecording(
	store: RecordingStore,
	meta: RecordingMeta,
	state: 'done' | 'recovered'
): Promise<RecordingMeta> {
	const raw = await store.assemble(meta.id, meta.mimeType);
	const dir = await recordingsDirectory();
	const handle = await dir.getFileHandle(recordingFileName(meta), { create: true });
	const writable = await handle.createWritable();
	try {
		const input = new Input({ source: new BlobSource(raw), formats: ALL_FORMATS });
		const output = new Output({
			format: meta.ext === 'mp4' ? new Mp4OutputFormat() : new WebMOutputFormat(),
			target: new StreamTarget(writable as unknown as WritableStream<StreamTargetChunk>)
		});
		const conversion = await Conversion.init({ input, output, showWarnings: false });
		if (!conversion.isValid) throw new Error('The recording holds no playable media.');
		await conversion.execute();
	} catch (error) {
		await writable.abort().catch(() => undefined);
		await dir.removeEntry(recordingFileName(meta)).catch(() => undefined);
		throw error;
	}
	const file = await handle.getFile();
	const input = new Input({ source: new BlobSource(file), formats: ALL_FORMATS });
	const durationMs = Math.round((await input.computeDuration()) * 1000);
	await store.finish(meta.id, { state, durationMs, size: file.size });
	await store.dropChunks(meta.id);
	return { ...meta, state, durationMs, size: file.size };
}

/**
 * Finishes recordings cut short by a crash or a reload: those still marked `recording` whose tab
 * no longer holds their lock. Each becomes a file marked `recovered`; one with nothing playable
 * is deleted.
 *
 * @returns how many were recovered
 */
export async function recoverRecordings(store: RecordingStore): Promise<number> {
	if (!navigator.locks) return 0;
	let recovered = 0;
	for (const meta of await store.unfinished()) {
		await navigator.locks.request(recordingLock(meta.id), { ifAvailable: true }, async (lock) => {
			if (!lock) return; // Still being recorded in another tab.
			try {
				await finalizeRecording(store, meta, 'recovered');
				recovered++;
			} catch {
				await deleteRecording(store, meta);
			}
		});
	}
	return recovered;
}
