import { compositeLayout, RECORDING_HEIGHT, RECORDING_WIDTH, type Rect } from './layout';

/** One participant as the recording shows them. */
export type RecordSource = {
	/** stable key (the participant id) */
	key: number;
	name: string;
	/** avatar colour, shown when their camera is off */
	color: string;
	/** their media (camera or screen); null when none arrived */
	stream: MediaStream | null;
	cam: boolean;
	screen: boolean;
};

/** Frames per second of the recording. */
export const RECORDING_FPS = 30;

/**
 * Draws the call into a 1280×720 canvas at {@link RECORDING_FPS}: each participant's video in the
 * layout of `layout.ts`, with their name; a shared screen large and letterboxed; a camera that is
 * off as the avatar colour and initial. Its `track` is the recording's video. The drawing is
 * driven by a worker's timer, so a recording in a background tab keeps its frame rate.
 */
export class Compositor {
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
	#fallback: ReturnType<typeof setInterval> | undefined;

	/** @param sources who is in the call now; read at every frame */
	constructor(sources: () => RecordSource[]) {
		this.#sources = sources;
		this.canvas.width = RECORDING_WIDTH;
		this.canvas.height = RECORDING_HEIGHT;
		this.#context = this.canvas.getContext('2d', { alpha: false }) as CanvasRenderingContext2D;
		this.track = this.canvas.captureStream(RECORDING_FPS).getVideoTracks()[0] as MediaStreamTrack;
		this.#shelf.setAttribute('aria-hidden', 'true');
		this.#shelf.style.cssText =
			'position:fixed;left:0;top:0;width:1px;height:1px;overflow:hidden;opacity:0.01;pointer-events:none';
		document.body.append(this.#shelf);
		try {
			this.#ticker = new Worker(new URL('./ticker.worker.ts', import.meta.url), { type: 'module' });
			this.#ticker.onmessage = () => this.draw();
			this.#ticker.postMessage({ fps: RECORDING_FPS });
		} catch {
			this.#fallback = setInterval(() => this.draw(), 1000 / RECORDING_FPS);
		}
		this.draw();
	}

	/** Draws one frame of the call as it is now. */
	draw(): void {
		const context = this.#context;
		const sources = this.#sources();
		this.#syncVideos(sources);
		context.fillStyle = '#101418';
		context.fillRect(0, 0, RECORDING_WIDTH, RECORDING_HEIGHT);
		const rects = compositeLayout(sources);
		sources.forEach((source, i) => this.#drawTile(source, rects[i] as Rect));
	}

	/** Stops drawing and releases the videos; the track ends. */
	destroy(): void {
		this.#ticker?.terminate();
		clearInterval(this.#fallback);
		for (const { video } of this.#videos.values()) video.srcObject = null;
		this.#videos.clear();
		this.#shelf.remove();
		this.track.stop();
	}

	/** One muted `<video>` per participant's stream, not in the page: the canvas reads from it. */
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

	#drawTile(source: RecordSource, rect: Rect) {
		const context = this.#context;
		const video = this.#videos.get(source.key)?.video;
		const showsVideo =
			(source.cam || source.screen) && video && video.readyState >= 2 && video.videoWidth > 0;
		context.save();
		context.beginPath();
		context.roundRect(rect.x, rect.y, rect.width, rect.height, 8);
		context.clip();
		context.fillStyle = '#1f262d';
		context.fillRect(rect.x, rect.y, rect.width, rect.height);
		if (showsVideo && video) {
			// A screen is letterboxed (nothing cut off); a camera fills its tile.
			const scale = (source.screen ? Math.min : Math.max)(
				rect.width / video.videoWidth,
				rect.height / video.videoHeight
			);
			const width = video.videoWidth * scale;
			const height = video.videoHeight * scale;
			context.drawImage(
				video,
				rect.x + (rect.width - width) / 2,
				rect.y + (rect.height - height) / 2,
				width,
				height
			);
		} else {
			const radius = Math.min(rect.width, rect.height) / 5;
			context.fillStyle = source.color;
			context.beginPath();
			context.arc(rect.x + rect.width / 2, rect.y + rect.height / 2, radius, 0, 2 * Math.PI);
			context.fill();
			context.fillStyle = '#ffffff';
			context.font = `600 ${Math.round(radius)}px system-ui, sans-serif`;
			context.textAlign = 'center';
			context.textBaseline = 'middle';
			context.fillText(
				(source.name.trim()[0] ?? '?').toUpperCase(),
				rect.x + rect.width / 2,
				rect.y + rect.height / 2
			);
		}
		// The name, bottom left, on a dark band so it reads over any picture.
		const size = Math.max(12, Math.round(rect.height / 14));
		context.font = `600 ${size}px system-ui, sans-serif`;
		context.textAlign = 'left';
		context.textBaseline = 'alphabetic';
		const label = source.screen ? `${source.name} (screen)` : source.name;
		const width = Math.min(context.measureText(label).width + size, rect.width - 16);
		context.fillStyle = 'rgba(0, 0, 0, 0.6)';
		context.fillRect(rect.x + 8, rect.y + rect.height - size * 1.8 - 8, width, size * 1.8);
		context.fillStyle = '#ffffff';
		context.fillText(
			label,
			rect.x + 8 + size / 2,
			rect.y + rect.height - size * 0.6 - 8,
			width - size
		);
		context.restore();
	}
}
