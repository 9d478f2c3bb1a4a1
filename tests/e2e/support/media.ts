import type { Locator, Page } from '@playwright/test';

/** Average colour of a video frame, each channel 0–255. */
export interface Rgb {
	r: number;
	g: number;
	b: number;
}

/** Names {@link dominantColor} classifies into. */
export type ColorName = 'red' | 'green' | 'blue' | 'yellow' | 'black' | 'other';

/**
 * Average colour of the frame a `<video>` element shows now: waits (up to `timeoutMs`) until the
 * element has a decoded frame (`videoWidth > 0`, `readyState >= HAVE_CURRENT_DATA`), draws it onto a
 * 64x48 canvas and averages every pixel. Remote video may show a black or stale frame at first:
 * poll it, e.g. `await expect.poll(async () => dominantColor(await videoColor(tile))).toBe('red')`.
 * @throws Error when the element is not a `<video>` or no frame arrives within `timeoutMs`.
 */
export async function videoColor(video: Locator, timeoutMs = 10_000): Promise<Rgb> {
	return video.evaluate(async (element, timeout) => {
		if (!(element instanceof HTMLVideoElement)) throw new Error('videoColor: not a <video>');
		const deadline = performance.now() + timeout;
		while (element.videoWidth === 0 || element.readyState < HTMLMediaElement.HAVE_CURRENT_DATA) {
			if (performance.now() > deadline) throw new Error('videoColor: no video frame arrived');
			await new Promise((resolve) => setTimeout(resolve, 50));
		}
		const canvas = document.createElement('canvas');
		canvas.width = 64;
		canvas.height = 48;
		const context = canvas.getContext('2d', { willReadFrequently: true });
		if (!context) throw new Error('videoColor: no 2D canvas context');
		context.drawImage(element, 0, 0, canvas.width, canvas.height);
		const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
		let r = 0;
		let g = 0;
		let b = 0;
		for (let i = 0; i < data.length; i += 4) {
			r += data[i] ?? 0;
			g += data[i + 1] ?? 0;
			b += data[i + 2] ?? 0;
		}
		const pixels = data.length / 4;
		return { r: Math.round(r / pixels), g: Math.round(g / pixels), b: Math.round(b / pixels) };
	}, timeoutMs);
}

/**
 * High-frequency energy of the frame a `<video>` shows now: the variance of the 4-neighbour
 * Laplacian of its luma (BT.601 weights), drawn 320 pixels wide whatever the size it arrives at
 * (the sender's encoder may scale it), so that values compare. A sharp picture (edges, text)
 * scores high; a blurred or flat one near 0. Waits like {@link videoColor}.
 * @throws Error when the element is not a `<video>` or no frame arrives within `timeoutMs`.
 */
export async function videoSharpness(video: Locator, timeoutMs = 10_000): Promise<number> {
	return video.evaluate(async (element, timeout) => {
		if (!(element instanceof HTMLVideoElement)) throw new Error('videoSharpness: not a <video>');
		const deadline = performance.now() + timeout;
		while (element.videoWidth === 0 || element.readyState < HTMLMediaElement.HAVE_CURRENT_DATA) {
			if (performance.now() > deadline) throw new Error('videoSharpness: no video frame arrived');
			await new Promise((resolve) => setTimeout(resolve, 50));
		}
		const width = 320;
		const height = Math.round((320 * element.videoHeight) / element.videoWidth);
		const canvas = document.createElement('canvas');
		canvas.width = width;
		canvas.height = height;
		const context = canvas.getContext('2d', { willReadFrequently: true });
		if (!context) throw new Error('videoSharpness: no 2D canvas context');
		context.drawImage(element, 0, 0, width, height);
		const { data } = context.getImageData(0, 0, width, height);
		const luma = new Float32Array(width * height);
		for (let i = 0; i < luma.length; i++) {
			luma[i] = 0.299 * data[i * 4]! + 0.587 * data[i * 4 + 1]! + 0.114 * data[i * 4 + 2]!;
		}
		let sum = 0;
		let squares = 0;
		let count = 0;
		for (let y = 1; y < height - 1; y++) {
			for (let x = 1; x < width - 1; x++) {
				const at = y * width + x;
				const value =
					4 * luma[at]! - luma[at - 1]! - luma[at + 1]! - luma[at - width]! - luma[at + width]!;
				sum += value;
				squares += value * value;
				count++;
			}
		}
		return squares / count - (sum / count) ** 2;
	}, timeoutMs);
}

/**
 * Whether a `<video>` presents a new frame within `timeoutMs` (`requestVideoFrameCallback`, which
 * fires only for frames actually composited): live video, not a frozen or empty element.
 */
export async function presentsFrames(video: Locator, timeoutMs = 3_000): Promise<boolean> {
	return video
		.evaluate(
			(element, timeout) =>
				new Promise<boolean>((resolve) => {
					if (!(element instanceof HTMLVideoElement)) return resolve(false);
					const timer = setTimeout(() => resolve(false), timeout);
					element.requestVideoFrameCallback(() => {
						clearTimeout(timer);
						resolve(element.videoWidth > 0);
					});
				}),
			timeoutMs
		)
		.catch(() => false);
}

/**
 * Classifies an average colour as one of the fixture colours (pure red, green, blue, yellow after
 * YUV 4:2:0 and codec round trips), `black` (nothing drawn, camera off) or `other` (e.g. Chromium's
 * default fake camera, a screen share, a mix).
 */
export function dominantColor({ r, g, b }: Rgb): ColorName {
	const max = Math.max(r, g, b);
	if (max < 48) return 'black';
	const strong = (c: number): boolean => c > 0.6 * max;
	const weak = (c: number): boolean => c < 0.35 * max;
	if (strong(r) && strong(g) && weak(b)) return 'yellow';
	if (strong(r) && weak(g) && weak(b)) return 'red';
	if (strong(g) && weak(r) && weak(b)) return 'green';
	if (strong(b) && weak(r) && weak(g)) return 'blue';
	return 'other';
}

/** Options for {@link peakFrequency}. */
export interface PeakFrequencyOptions {
	/** How long to listen, in ms (default 1000). */
	durationMs?: number;
	/** Peak level in dBFS below which the stream counts as silent (default -70). */
	silenceDb?: number;
}

/**
 * Loudest frequency (Hz) in the audio of a media element's `srcObject` MediaStream, or `null` when
 * it has no live audio track or its peak stays below `silenceDb` (a muted or disabled microphone).
 *
 * Listens for `durationMs` through an `AnalyserNode` (`fftSize` 8192: bins of 48000/8192 ≈ 5.9 Hz)
 * and takes the bin with the highest level over the whole window, refined by parabolic
 * interpolation. Chromium only lets a *remote* WebRTC stream's audio reach Web Audio while the stream
 * also plays in a media element, so the stream is also played in a temporary muted `<audio>` for the
 * duration (harmless when the app's own element already plays it). Needs
 * `--autoplay-policy=no-user-gesture-required` (set by `launchParticipant`).
 * @param page the page that holds the element (the stream cannot leave its page).
 * @param media a `<video>` or `<audio>` whose `srcObject` is a MediaStream.
 * @throws Error when the element has no MediaStream as `srcObject`.
 */
export async function peakFrequency(
	page: Page,
	media: Locator,
	opts: PeakFrequencyOptions = {}
): Promise<number | null> {
	const handle = await media.elementHandle();
	if (!handle) throw new Error('peakFrequency: element not found');
	try {
		return await page.evaluate(
			async ({ element, durationMs, silenceDb }) => {
				const stream = (element as HTMLMediaElement).srcObject;
				if (!(stream instanceof MediaStream)) throw new Error('peakFrequency: no MediaStream');
				const tracks = stream.getAudioTracks().filter((t) => t.readyState === 'live');
				if (tracks.length === 0) return null;
				const sink = new Audio();
				sink.muted = true;
				sink.srcObject = new MediaStream(tracks);
				await sink.play().catch(() => undefined);
				const audio = new AudioContext();
				try {
					await audio.resume();
					const source = audio.createMediaStreamSource(new MediaStream(tracks));
					const analyser = audio.createAnalyser();
					analyser.fftSize = 8192;
					analyser.smoothingTimeConstant = 0;
					source.connect(analyser);
					const bins = new Float32Array(analyser.frequencyBinCount);
					const peak = new Float32Array(analyser.frequencyBinCount).fill(-Infinity);
					const deadline = performance.now() + durationMs;
					while (performance.now() < deadline) {
						await new Promise((resolve) => setTimeout(resolve, 50));
						analyser.getFloatFrequencyData(bins);
						for (let i = 0; i < bins.length; i++) peak[i] = Math.max(peak[i]!, bins[i]!);
					}
					let best = 1;
					for (let i = 2; i < peak.length - 1; i++) if (peak[i]! > peak[best]!) best = i;
					if (!(peak[best]! > silenceDb)) return null;
					const [a, b, c] = [peak[best - 1]!, peak[best]!, peak[best + 1]!];
					const denominator = a - 2 * b + c;
					const offset =
						Number.isFinite(denominator) && denominator !== 0 ? (0.5 * (a - c)) / denominator : 0;
					return ((best + offset) * audio.sampleRate) / analyser.fftSize;
				} finally {
					sink.srcObject = null;
					await audio.close();
				}
			},
			{
				element: handle,
				durationMs: opts.durationMs ?? 1000,
				silenceDb: opts.silenceDb ?? -70
			}
		);
	} finally {
		await handle.dispose();
	}
}
