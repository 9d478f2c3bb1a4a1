import { randomId } from '$lib/room/random';
import { createCompositor, type Compositor, type RecordSource } from './compositor';
import { deleteRecording, recordingLock } from './files';
import { finalizeRecording } from './finalize';
import { AudioMixer } from './mixer';
import { RecordingStore, type RecordingMeta } from './store';

/** Why a recording could not start, or stopped by itself. */
export type RecordingProblem = 'space' | 'unsupported' | 'failed';

/** A recording could not start; `reason` says why. */
export class RecordingError extends Error {
	constructor(readonly reason: RecordingProblem) {
		super(`The recording could not start: ${reason}.`);
		this.name = 'RecordingError';
	}
}

/** Free space needed to start recording (bytes, 300 MB: about 15 minutes at the bitrates below). */
export const MIN_FREE_TO_START = 300 * 1000 ** 2;
/** The recording stops by itself, keeping what it has, when free space falls below 100 MB. */
export const MIN_FREE_TO_GO_ON = 100 * 1000 ** 2;
/** How often free space is checked while recording (ms). */
const SPACE_CHECK_MS = 5_000;
/** MediaRecorder hands over what it encoded every second: at most a second is lost in a crash. */
const TIMESLICE_MS = 1_000;
const VIDEO_BITS_PER_SECOND = 2_500_000;
const AUDIO_BITS_PER_SECOND = 128_000;

/**
 * What MediaRecorder records into, in order of preference, and the container of the finished file
 * (`ext`). Every second's output must stay readable after a crash, so streaming containers come
 * first: Matroska with H.264 (cheaper to encode than VP8 in Chromium's software encoders; remuxed
 * into MP4 when finished), then WebM with VP8. MP4 straight from MediaRecorder is the last resort
 * (Safari has nothing else).
 */
const FORMATS: readonly { mimeType: string; ext: 'mp4' | 'webm' }[] = [
	{ mimeType: 'video/x-matroska;codecs=avc1,opus', ext: 'mp4' },
	{ mimeType: 'video/webm;codecs=vp8,opus', ext: 'webm' },
	{ mimeType: 'video/mp4;codecs=avc1.42E01F,mp4a.40.2', ext: 'mp4' },
	{ mimeType: 'video/webm', ext: 'webm' }
];

/** The format this browser records in, or null when it cannot record. */
export function recordingFormat(): (typeof FORMATS)[number] | null {
	if (typeof MediaRecorder === 'undefined' || typeof AudioContext === 'undefined') return null;
	if (typeof navigator.storage?.getDirectory !== 'function' || !navigator.locks) return null;
	return FORMATS.find((f) => MediaRecorder.isTypeSupported(f.mimeType)) ?? null;
}

/** Bytes this origin may still store; null when the browser cannot tell. */
async function freeSpace(): Promise<number | null> {
	const estimate = await navigator.storage?.estimate?.().catch(() => null);
	if (!estimate?.quota) return null;
	return estimate.quota - (estimate.usage ?? 0);
}

/**
 * Records the meeting on this device (ARCHITECTURE.md, "Recording"): the call composed into one
 * picture ({@link createCompositor}) and everyone's audio mixed ({@link AudioMixer}), encoded by
 * MediaRecorder. Every second's output is stored at once ({@link RecordingStore}); stopping turns it
 * into one seekable file. While it records, this tab holds a Web Lock named after it, so another
 * tab can tell a live recording from one cut short by a crash.
 */
export class MeetingRecorder {
	readonly meta: RecordingMeta;
	#store: RecordingStore;
	#media: MediaRecorder;
	#compositor: Compositor;
	#mixer: AudioMixer;
	#audio: () => MediaStreamTrack[];
	#seq = 0;
	#writes: Promise<void> = Promise.resolve();
	#timers: ReturnType<typeof setInterval>[] = [];
	#release: () => void;
	#stopping: Promise<RecordingMeta | null> | null = null;
	#onProblem: (problem: RecordingProblem) => void;

	private constructor(
		meta: RecordingMeta,
		store: RecordingStore,
		sources: () => RecordSource[],
		audio: () => MediaStreamTrack[],
		release: () => void,
		onProblem: (problem: RecordingProblem) => void
	) {
		this.meta = meta;
		this.#store = store;
		this.#audio = audio;
		this.#release = release;
		this.#onProblem = onProblem;
		this.#compositor = createCompositor(sources);
		this.#mixer = new AudioMixer();
		this.#mixer.setTracks(audio());
		this.#media = new MediaRecorder(new MediaStream([this.#compositor.track, this.#mixer.track]), {
			mimeType: meta.mimeType,
			videoBitsPerSecond: VIDEO_BITS_PER_SECOND,
			audioBitsPerSecond: AUDIO_BITS_PER_SECOND
		});
		this.#media.ondataavailable = ({ data }) => {
			const seq = this.#seq++;
			this.#writes = this.#writes
				.then(async () =>
					this.#store.append(meta.id, seq, new Uint8Array(await data.arrayBuffer()))
				)
				.catch(() => this.#problem('space'));
		};
		this.#media.onerror = () => this.#problem('failed');
	}

	/**
	 * Starts recording.
	 *
	 * @param options.code, options.title the meeting
	 * @param options.sources who is in the call now (read at every frame)
	 * @param options.audio every audio track to mix now (read every second)
	 * @param options.onProblem the recording stopped by itself (`space`: the device is nearly
	 *   full; `failed`: the encoder failed); what was recorded is kept
	 * @throws RecordingError `unsupported` when this browser cannot record, `space` when less than
	 *   {@link MIN_FREE_TO_START} is free
	 */
	static async start(options: {
		code: string;
		title: string;
		sources: () => RecordSource[];
		audio: () => MediaStreamTrack[];
		onProblem: (problem: RecordingProblem) => void;
		store?: RecordingStore;
	}): Promise<MeetingRecorder> {
		const format = recordingFormat();
		if (!format) throw new RecordingError('unsupported');
		const free = await freeSpace();
		if (free !== null && free < MIN_FREE_TO_START) throw new RecordingError('space');
		const store = options.store ?? new RecordingStore();
		const meta: RecordingMeta = {
			id: randomId(),
			code: options.code,
			title: options.title,
			startedAt: Date.now(),
			state: 'recording',
			mimeType: format.mimeType,
			ext: format.ext,
			durationMs: 0,
			size: 0
		};
		const release = await new Promise<() => void>((held) => {
			void navigator.locks.request(
				recordingLock(meta.id),
				() => new Promise<void>((release) => held(release))
			);
		});
		await store.begin(meta);
		const recorder = new MeetingRecorder(
			meta,
			store,
			options.sources,
			options.audio,
			release,
			options.onProblem
		);
		recorder.#begin();
		return recorder;
	}

	#begin() {
		this.#media.start(TIMESLICE_MS);
		this.#timers.push(setInterval(() => this.#mixer.setTracks(this.#audio()), 1_000));
		this.#timers.push(
			setInterval(async () => {
				const free = await freeSpace();
				if (free !== null && free < MIN_FREE_TO_GO_ON) this.#problem('space');
			}, SPACE_CHECK_MS)
		);
	}

	/** Whether the recording is paused. */
	get paused(): boolean {
		return this.#media.state === 'paused';
	}

	pause(): void {
		if (this.#media.state === 'recording') this.#media.pause();
	}

	resume(): void {
		if (this.#media.state === 'paused') this.#media.resume();
	}

	/**
	 * Stops and writes the seekable file.
	 *
	 * @returns the finished recording, or null when nothing playable was recorded
	 */
	stop(): Promise<RecordingMeta | null> {
		this.#stopping ??= this.#finish();
		return this.#stopping;
	}

	async #finish(): Promise<RecordingMeta | null> {
		for (const timer of this.#timers) clearInterval(timer);
		if (this.#media.state !== 'inactive') {
			const stopped = new Promise((resolve) => (this.#media.onstop = resolve));
			this.#media.stop();
			await stopped;
		}
		await this.#writes;
		this.#compositor.destroy();
		this.#mixer.destroy();
		try {
			return await finalizeRecording(this.#store, this.meta, 'done');
		} catch {
			await deleteRecording(this.#store, this.meta);
			return null;
		} finally {
			this.#release();
		}
	}

	#problem(problem: RecordingProblem) {
		if (this.#stopping) return;
		void this.stop();
		this.#onProblem(problem);
	}
}
