/**
 * Background blur and replacement for the person's camera (ARCHITECTURE.md, "Background effects").
 * The choice is kept on this device. The model loads the first time a person picks an effect
 * (`Preparing background effects…`), then runs in a worker on the camera's frames; the processed
 * track replaces the camera in the preview, the self tile and every call (`replaceTrack`).
 * Screen sharing never goes through it, and with the camera off nothing runs.
 */
import { version as MODEL_VERSION } from '@mediapipe/selfie_segmentation/package.json';
import { del, get, set } from 'idb-keyval';
import type { BlurStrength } from './compose';
import type { EffectsReport, EffectsRequest, WorkerBackground } from './protocol';
import { SlowWatch } from './pace';

/** The built-in background images: radio buttons are named after them. */
export const BUILT_IN_IMAGES = [
	{ id: 'sunset', name: 'Sunset', url: '/backgrounds/sunset.svg' },
	{ id: 'studio', name: 'Studio', url: '/backgrounds/studio.svg' },
	{ id: 'forest', name: 'Forest', url: '/backgrounds/forest.svg' }
] as const;

/** What is behind the person. `image` is a built-in image's id, or `upload`. */
export type Background =
	{ kind: 'none' } | { kind: 'blur'; strength: BlurStrength } | { kind: 'image'; image: string };

/** Where the model's files are served: copied from the npm package by `vite.config.ts`. */
export const MODEL_BASE = `/mediapipe/selfie_segmentation@${MODEL_VERSION}/`;

/** `localStorage` key of the choice (JSON), and IndexedDB key of an uploaded image (a Blob). */
const CHOICE_KEY = 'confer-background';
const UPLOAD_KEY = 'confer-background-upload';

/** Background images are scaled down to at most this width before they reach the worker (px). */
const IMAGE_MAX_WIDTH = 1280;

/** `loading` shows "Preparing background effects…"; `unavailable` disables the options. */
export type EffectsStatus = 'idle' | 'loading' | 'ready' | 'unavailable';

function readChoice(): Background {
	try {
		const value = JSON.parse(localStorage.getItem(CHOICE_KEY) ?? 'null') as Background | null;
		if (value?.kind === 'blur' && (value.strength === 'slight' || value.strength === 'full'))
			return value;
		if (value?.kind === 'image' && typeof value.image === 'string') return value;
	} catch {
		// Storage refused or a damaged value: no effect.
	}
	return { kind: 'none' };
}

/**
 * Why background effects cannot run in this browser, or null when they can: they need
 * WebAssembly, WebCodecs' `VideoFrame`, and WebGL in a worker's `OffscreenCanvas`.
 */
export function effectsUnsupported(): string | null {
	if (typeof WebAssembly !== 'object')
		return 'Background effects need WebAssembly, which this browser has turned off.';
	if (typeof VideoFrame !== 'function' || typeof OffscreenCanvas !== 'function')
		return 'This browser cannot process video frames, so background effects are unavailable.';
	// The model draws with WebGL in a worker's OffscreenCanvas. A browser that refuses WebGL to the
	// page (turned off by the person or by policy) is taken at its word, even where it would still
	// give an OffscreenCanvas one.
	if (!hasWebGl(document.createElement('canvas')) || !hasWebGl(new OffscreenCanvas(1, 1)))
		return 'Background effects need WebGL, which this browser has turned off.';
	return null;
}

/** Whether `canvas` gives a WebGL context; the context is released at once. */
function hasWebGl(canvas: HTMLCanvasElement | OffscreenCanvas): boolean {
	const context = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as
		WebGLRenderingContext | WebGL2RenderingContext | null;
	context?.getExtension('WEBGL_lose_context')?.loseContext();
	return context !== null;
}

/** Decodes an image (a URL or a Blob) into RGBA pixels at most {@link IMAGE_MAX_WIDTH} wide. */
async function imagePixels(source: string | Blob): Promise<ImageData> {
	let bitmap: ImageBitmap;
	if (typeof source === 'string') {
		const img = new Image();
		img.src = source;
		await img.decode();
		bitmap = await createImageBitmap(img);
	} else {
		bitmap = await createImageBitmap(source);
	}
	const scale = Math.min(1, IMAGE_MAX_WIDTH / bitmap.width);
	const width = Math.max(2, Math.round(bitmap.width * scale));
	const height = Math.max(2, Math.round(bitmap.height * scale));
	const canvas = new OffscreenCanvas(width, height);
	const context = canvas.getContext('2d') as OffscreenCanvasRenderingContext2D;
	context.drawImage(bitmap, 0, 0, width, height);
	bitmap.close();
	return context.getImageData(0, 0, width, height);
}

/** Called with the track to show and send for the camera whenever it changes. */
export type OutputListener = (track: MediaStreamTrack) => Promise<unknown> | void;

export class BackgroundEffects {
	/** The person's choice, kept on this device. */
	choice = $state.raw<Background>(readChoice());
	status = $state<EffectsStatus>('idle');
	/** Why effects are unavailable, in words; set with `status === 'unavailable'`. */
	problem = $state<string | null>(null);
	/** Output frames a second while the device cannot keep up; null while it can. */
	slowFps = $state<number | null>(null);
	/** A URL of the uploaded image for its thumbnail, while there is one. */
	uploadUrl = $state<string | null>(null);

	#worker: Worker | null = null;
	#loaded: Promise<boolean> | null = null;
	#source: MediaStreamTrack | null = null;
	#output: MediaStreamTrack | null = null;
	#pump: (() => void) | null = null;
	/** Processed tracks replaced but perhaps still in a sender, until {@link release}. */
	#retired: MediaStreamTrack[] = [];
	#listener: OutputListener;
	#slow = new SlowWatch();
	#checked = false;
	/** Bumped on each change of source or choice: late work for an older one is dropped. */
	#epoch = 0;

	/** @param listener told whenever the track to show and send for the camera changes */
	constructor(listener: OutputListener) {
		this.#listener = listener;
		void get<Blob>(UPLOAD_KEY)
			.then((blob) => {
				if (blob) this.uploadUrl = URL.createObjectURL(blob);
			})
			.catch(() => undefined);
	}

	/**
	 * Disables the options, with the reason, when this browser lacks what effects need; cheap, and
	 * done once when the options first show.
	 */
	checkSupport() {
		if (this.status !== 'idle' || this.#checked) return;
		this.#checked = true;
		const unsupported = effectsUnsupported();
		if (unsupported) this.#failed(unsupported, 'unavailable');
	}

	/** Whether an effect is chosen. */
	get active(): boolean {
		return this.choice.kind !== 'none';
	}

	/**
	 * The track to show and send for the camera track `source` (null: the camera is off). Until the
	 * effect is ready that is `source` itself; the listener hears of the processed track when it is.
	 * The processed track this replaces keeps running until {@link release}, which the caller calls
	 * once no sender uses it: Chromium stops encoding for good when a sender's track ends first.
	 */
	setSource(source: MediaStreamTrack | null): MediaStreamTrack | null {
		this.#source = source;
		this.#epoch++;
		this.#detach();
		if (!source || !this.active || this.status === 'unavailable') return source;
		if (this.status === 'ready') return this.#startOutput(source);
		void this.#whenLoaded(this.#epoch);
		return source;
	}

	/** Stops the processed tracks that {@link setSource} replaced. */
	release() {
		for (const track of this.#retired.splice(0)) track.stop();
	}

	/**
	 * Chooses what is behind the person and remembers it. Picking an effect the first time loads
	 * the model; "None" sends the camera itself again.
	 */
	async select(choice: Background): Promise<void> {
		this.choice = choice;
		this.slowFps = null;
		try {
			localStorage.setItem(CHOICE_KEY, JSON.stringify(choice));
		} catch {
			// Storage refused (private mode): the choice lasts for this page.
		}
		const epoch = ++this.#epoch;
		const source = this.#source;
		if (choice.kind === 'none' || this.status === 'unavailable') {
			if (this.#output && source) await this.#switchTo(source);
			return;
		}
		if (!(await this.#load())) return;
		if (epoch !== this.#epoch) return;
		await this.#sendBackground(choice);
		if (epoch !== this.#epoch || !source || this.#output) return;
		await this.#switchTo(this.#startOutput(source));
	}

	/**
	 * Uses `file` as the background image and keeps it on this device.
	 * @throws Error with words for a person when the file is not an image the browser can read.
	 */
	async upload(file: Blob): Promise<void> {
		try {
			await createImageBitmap(file).then((bitmap) => bitmap.close());
		} catch {
			throw new Error('That file is not an image this browser can read. Try a JPEG or PNG.');
		}
		await set(UPLOAD_KEY, file).catch(() => undefined);
		if (this.uploadUrl) URL.revokeObjectURL(this.uploadUrl);
		this.uploadUrl = URL.createObjectURL(file);
		await this.select({ kind: 'image', image: 'upload' });
	}

	/** Forgets the uploaded image; a choice of it falls back to the first built-in image. */
	async removeUpload(): Promise<void> {
		await del(UPLOAD_KEY).catch(() => undefined);
		if (this.uploadUrl) URL.revokeObjectURL(this.uploadUrl);
		this.uploadUrl = null;
		if (this.choice.kind === 'image' && this.choice.image === 'upload')
			await this.select({ kind: 'image', image: BUILT_IN_IMAGES[0].id });
	}

	/** Stops processing and the worker (the page is leaving). */
	dispose() {
		this.#epoch++;
		this.#detach();
		this.release();
		this.#worker?.terminate();
		this.#worker = null;
		this.#loaded = null;
		if (this.status !== 'unavailable') this.status = 'idle';
	}

	async #whenLoaded(epoch: number) {
		if (!(await this.#load()) || epoch !== this.#epoch) return;
		await this.#sendBackground(this.choice);
		const source = this.#source;
		if (epoch !== this.#epoch || !source || !this.active || this.#output) return;
		await this.#switchTo(this.#startOutput(source));
	}

	/**
	 * Loads the model once; false when it cannot run here (then {@link problem} says why and the
	 * options are disabled) or its files could not be fetched (then a later pick tries again).
	 */
	#load(): Promise<boolean> {
		return (this.#loaded ??= (async () => {
			const unsupported = effectsUnsupported();
			if (unsupported) return this.#failed(unsupported, 'unavailable');
			this.status = 'loading';
			this.problem = null;
			// A classic worker, so that it can `importScripts` the model's script; Vite's dev server
			// only starts module workers (`segmenter.ts` copes with both).
			const worker = import.meta.env.DEV
				? new Worker(new URL('./effects.worker.ts', import.meta.url), {
						type: 'module',
						name: 'background-effects'
					})
				: new Worker(new URL('./effects.worker.ts', import.meta.url), {
						name: 'background-effects'
					});
			this.#worker = worker;
			const answer = new Promise<EffectsReport>((resolve) => {
				worker.onmessage = ({ data }: MessageEvent<EffectsReport>) => {
					if (data.type === 'loaded' || data.type === 'failed') resolve(data);
					else this.#onReport(data);
				};
				worker.onerror = (event) => resolve({ type: 'failed', reason: event.message });
			});
			this.#post({ type: 'load', base: new URL(MODEL_BASE, location.href).href });
			const result = await answer;
			if (result.type === 'loaded') {
				this.status = 'ready';
				return true;
			}
			worker.terminate();
			this.#worker = null;
			this.#loaded = null;
			return navigator.onLine
				? this.#failed('Background effects could not start on this device.', 'unavailable')
				: this.#failed(
						'Background effects are downloaded the first time they are used. Connect to the internet and pick one again.',
						'idle'
					);
		})());
	}

	#failed(problem: string, status: EffectsStatus): false {
		this.status = status;
		this.problem = problem;
		return false;
	}

	#onReport(report: EffectsReport) {
		if (report.type === 'stats') {
			this.slowFps = this.#slow.report(report.outputFps, report.inputFps) ? report.outputFps : null;
		}
	}

	#post(message: EffectsRequest, transfer: Transferable[] = []) {
		this.#worker?.postMessage(message, transfer);
	}

	async #sendBackground(choice: Background) {
		let background: WorkerBackground;
		if (choice.kind === 'blur') {
			background = { kind: 'blur', strength: choice.strength };
		} else if (choice.kind === 'image') {
			const builtIn = BUILT_IN_IMAGES.find((image) => image.id === choice.image);
			const upload = builtIn ? null : await get<Blob>(UPLOAD_KEY).catch(() => undefined);
			const image = await imagePixels(builtIn?.url ?? upload ?? BUILT_IN_IMAGES[0].url).catch(() =>
				imagePixels(BUILT_IN_IMAGES[0].url)
			);
			background = { kind: 'image', image };
		} else {
			return;
		}
		this.#post(
			{ type: 'background', background },
			background.kind === 'image' ? [background.image.data.buffer] : []
		);
	}

	/** Starts processing `source` and returns the processed track. */
	#startOutput(source: MediaStreamTrack): MediaStreamTrack {
		this.#detach();
		if (
			typeof MediaStreamTrackProcessor === 'function' &&
			typeof MediaStreamTrackGenerator === 'function'
		) {
			const { readable } = new MediaStreamTrackProcessor({ track: source, maxBufferSize: 1 });
			const generator = new MediaStreamTrackGenerator({ kind: 'video' });
			this.#post({ type: 'source', readable, writable: generator.writable }, [
				readable,
				generator.writable
			]);
			this.#output = generator;
		} else {
			this.#output = this.#startPump(source);
		}
		return this.#output;
	}

	/**
	 * The fallback path, for browsers without `MediaStreamTrackProcessor`: the page posts each
	 * camera frame to the worker as an `ImageBitmap` and shows what comes back on a canvas, whose
	 * stream is the processed track.
	 */
	#startPump(source: MediaStreamTrack): MediaStreamTrack {
		const video = document.createElement('video');
		video.muted = true;
		video.playsInline = true;
		video.srcObject = new MediaStream([source]);
		void video.play().catch(() => undefined);
		const canvas = document.createElement('canvas');
		const { width = 640, height = 480, frameRate = 30 } = source.getSettings();
		canvas.width = width;
		canvas.height = height;
		const context = canvas.getContext('bitmaprenderer') as ImageBitmapRenderingContext;
		const worker = this.#worker;
		const onFrame = ({ data }: MessageEvent<EffectsReport>) => {
			if (data.type === 'frame') context.transferFromImageBitmap(data.bitmap);
		};
		worker?.addEventListener('message', onFrame);
		this.#post({ type: 'source', posted: true });
		let running = true;
		const next = () => {
			if (running) video.requestVideoFrameCallback(send);
		};
		const send = (_now: number, metadata: VideoFrameCallbackMetadata) => {
			if (!running) return;
			void createImageBitmap(video)
				.then((bitmap) =>
					this.#post({ type: 'frame', bitmap, timestamp: Math.round(metadata.mediaTime * 1e6) }, [
						bitmap
					])
				)
				.catch(() => undefined)
				.finally(next);
		};
		next();
		const track = canvas.captureStream(frameRate).getVideoTracks()[0] as MediaStreamTrack;
		this.#pump = () => {
			running = false;
			worker?.removeEventListener('message', onFrame);
			video.srcObject = null;
		};
		return track;
	}

	/** Stops processing; the processed track waits in {@link #retired} for {@link release}. */
	#detach() {
		if (!this.#output) return;
		this.#post({ type: 'source' });
		this.#pump?.();
		this.#pump = null;
		this.#retired.push(this.#output);
		this.#output = null;
		this.slowFps = null;
	}

	/** Hands `track` to the listener, then stops the processed track it replaced. */
	async #switchTo(track: MediaStreamTrack) {
		if (this.#output !== track) this.#detach();
		this.#output = track === this.#source ? null : track;
		await this.#listener(track);
		this.release();
	}
}
