import { RECORDING_HEIGHT, RECORDING_WIDTH } from './layout';
import { FramePace } from './pace';
import { paintComposite, type Tile } from './paint';

/** One participant as the recording shows them. */
export type RecordSource = Tile & {
	/** their media (camera or screen); null when none arrived */
	stream: MediaStream | null;
};

/** Messages from the page to the compositor's worker (`compositor.worker.ts`). */
export type CompositorMessage =
	| { type: 'start'; writable: WritableStream<VideoFrame> }
	| { type: 'tiles'; tiles: Tile[] }
	| { type: 'video'; key: number; readable: ReadableStream<VideoFrame> }
	| { type: 'drop'; key: number }
	| { type: 'stop' };

/** The composite of the call, as one video track. */
export interface Compositor {
	/** the recording's video: 1280×720 at up to 30 frames per second */
	readonly track: MediaStreamTrack;
	/** Stops composing and releases every video; the track ends. */
	destroy(): void;
}

/** How often the page tells the compositor who is in the call (ms). */
const SYNC_MS = 250;

/**
 * Composes the call into one picture (ARCHITECTURE.md, "Recording"): in a worker where the browser
 * can hand video frames to one (`MediaStreamTrackProcessor`, `MediaStreamTrackGenerator` and
 * OffscreenCanvas, as in Chromium), otherwise on the page with a canvas. Either way the frame rate
 * follows {@link FramePace}: 30 fps, lowered while frames are late.
 *
 * @param sources who is in the call now; read several times a second
 */
export function createCompositor(sources: () => RecordSource[]): Compositor {
	const worker =
		typeof MediaStreamTrackProcessor === 'function' &&
		typeof MediaStreamTrackGenerator === 'function' &&
		typeof OffscreenCanvas === 'function' &&
		typeof VideoFrame === 'function';
	if (worker) {
		try {
			return new WorkerCompositor(sources);
		} catch {
			// Falls back to the page below.
		}
	}
	return new CanvasCompositor(sources);
}

/** The live video track of a source, or null. */
function videoOf(source: RecordSource): MediaStreamTrack | null {
	const track = source.stream?.getVideoTracks()[0];
	return track && track.readyState === 'live' ? track : null;
}

function tileOf({ key, name, color, cam, screen }: RecordSource): Tile {
	return { key, name, color, cam, screen };
}

/** The compositor in a worker: the page only hands over each video's frames and who is in the call. */
class WorkerCompositor implements Compositor {
	readonly track: MediaStreamTrack;
	#worker: Worker;
	#sources: () => RecordSource[];
	/** The track whose frames the worker reads, by tile key. */
	#tracks = new Map<number, string>();
	#tiles = '';
	#timer: ReturnType<typeof setInterval>;

	constructor(sources: () => RecordSource[]) {
		this.#sources = sources;
		const generator = new MediaStreamTrackGenerator({ kind: 'video' });
		this.track = generator;
		this.#worker = new Worker(new URL('./compositor.worker.ts', import.meta.url), {
			type: 'module'
		});
		this.#post({ type: 'start', writable: generator.writable }, [generator.writable]);
		this.#sync();
		this.#timer = setInterval(() => this.#sync(), SYNC_MS);
	}

	destroy(): void {
		clearInterval(this.#timer);
		this.#post({ type: 'stop' });
		// Give the worker a moment to close its frames before it goes.
		const worker = this.#worker;
		setTimeout(() => worker.terminate(), 1_000);
		this.track.stop();
	}

	#post(message: CompositorMessage, transfer: Transferable[] = []) {
		this.#worker.postMessage(message, transfer);
	}

	#sync() {
		const sources = this.#sources();
		const tiles = sources.map(tileOf);
		const serialized = JSON.stringify(tiles);
		if (serialized !== this.#tiles) {
			this.#tiles = serialized;
			this.#post({ type: 'tiles', tiles });
		}
		const keep = new Set<number>();
		for (const source of sources) {
			const track = videoOf(source);
			if (!track) continue;
			keep.add(source.key);
			if (this.#tracks.get(source.key) === track.id) continue;
			this.#tracks.set(source.key, track.id);
			const { readable } = new MediaStreamTrackProcessor({ track, maxBufferSize: 1 });
			this.#post({ type: 'video', key: source.key, readable }, [readable]);
		}
		for (const key of this.#tracks.keys()) {
			if (keep.has(key)) continue;
			this.#tracks.delete(key);
			this.#post({ type: 'drop', key });
		}
	}
}

/**
 * The compositor on the page, for browsers that cannot hand frames to a worker: the videos play
 * in muted `<video>` elements, drawn into a canvas whose `captureStream` is the track. A worker's
 * timer drives the drawing, so a recording in a background tab keeps its frame rate.
 */
class CanvasCompositor implements Compositor {
	readonly canvas = document.createElement('canvas');
	readonly track: MediaStreamTrack;
	#context: CanvasRenderingContext2D;
	#sources: () => RecordSource[];
	#videos = new Map<number, { video: HTMLVideoElement; stream: MediaStream }>();
	/**
	 * Where the compositor's videos live: in the page (Chromium does not decode a video element
	 * that is off the page or hidden), but 1 px, transparent and hidden from assistive technology.
	 */
	#shelf = document.createElement('div');
	#ticker: Worker | null = null;
	#fallback: ReturnType<typeof setTimeout> | undefined;
	#pace = new FramePace(performance.now());
	#due = performance.now();

	constructor(sources: () => RecordSource[]) {
		this.#sources = sources;
		this.canvas.width = RECORDING_WIDTH;
		this.canvas.height = RECORDING_HEIGHT;
		this.#context = this.canvas.getContext('2d', { alpha: false }) as CanvasRenderingContext2D;
		this.track = this.canvas.captureStream().getVideoTracks()[0] as MediaStreamTrack;
		this.#shelf.setAttribute('aria-hidden', 'true');
		this.#shelf.style.cssText =
			'position:fixed;left:0;top:0;width:1px;height:1px;overflow:hidden;opacity:0.01;pointer-events:none';
		document.body.append(this.#shelf);
		try {
			this.#ticker = new Worker(new URL('./ticker.worker.ts', import.meta.url), { type: 'module' });
			this.#ticker.onmessage = () => this.#tick();
		} catch {
			this.#ticker = null;
		}
		this.#tick();
	}

	destroy(): void {
		this.#ticker?.terminate();
		clearTimeout(this.#fallback);
		for (const { video } of this.#videos.values()) video.srcObject = null;
		this.#videos.clear();
		this.#shelf.remove();
		this.track.stop();
	}

	/** Draws a frame, then asks for the next one when the pace says it is due. */
	#tick() {
		const now = performance.now();
		const sources = this.#sources();
		this.#syncVideos(sources);
		paintComposite(this.#context, sources, (key) => {
			const video = this.#videos.get(key)?.video;
			return video && video.readyState >= 2
				? { image: video, width: video.videoWidth, height: video.videoHeight }
				: null;
		});
		this.#pace.record(now - this.#due, performance.now() - now, performance.now());
		this.#due = Math.max(this.#due + this.#pace.interval, performance.now());
		const wait = this.#due - performance.now();
		if (this.#ticker) this.#ticker.postMessage(wait);
		else this.#fallback = setTimeout(() => this.#tick(), wait);
	}

	/** One muted `<video>` per participant's stream, on the shelf: the canvas reads from it. */
	#syncVideos(sources: RecordSource[]) {
		const keep = new Set<number>();
		for (const { key, stream } of sources) {
			if (!stream || stream.getVideoTracks().length === 0) continue;
			keep.add(key);
			const existing = this.#videos.get(key);
			if (existing?.stream === stream) continue;
			const video = existing?.video ?? document.createElement('video');
			video.muted = true;
			video.playsInline = true;
			video.width = 1;
			video.height = 1;
			if (!existing) this.#shelf.append(video);
			video.srcObject = stream;
			void video.play().catch(() => undefined);
			this.#videos.set(key, { video, stream });
		}
		for (const [key, { video }] of this.#videos) {
			if (keep.has(key)) continue;
			video.srcObject = null;
			video.remove();
			this.#videos.delete(key);
		}
	}
}
