/// <reference lib="webworker" />
/**
 * MediaPipe Selfie Segmentation (`@mediapipe/selfie_segmentation`, Apache-2.0) in a worker: a
 * small model that says, for each pixel, how likely it belongs to a person
 * (https://developers.google.com/mediapipe/solutions/vision/image_segmenter, "SelfieSegmenter").
 * Its WASM and weights are served from Confer's own origin (ARCHITECTURE.md, "Background effects").
 *
 * The package's script loads its parts as a web page does (`document.createElement('script')`)
 * or, in a worker, with a path that also tries to run the weights as a script and never loads its
 * graph. So it runs here on its web-page path, with the few pieces of `window` and `document` that
 * path touches supplied by the worker: scripts load through `importScripts`, canvases are
 * `OffscreenCanvas`es.
 */
import type { Gray } from './compose';

/** The part of the package's `SelfieSegmentation` class used here (its `index.d.ts`). */
interface SelfieSegmentation {
	initialize(): Promise<void>;
	setOptions(options: Record<string, unknown>): void;
	onResults(listener: (results: { segmentationMask: CanvasImageSource }) => void): void;
	send(inputs: { image: ImageData }): Promise<void>;
	close(): Promise<void>;
}

type Loaded = typeof globalThis & {
	SelfieSegmentation?: new (config: { locateFile: (file: string) => string }) => SelfieSegmentation;
};

/** The model's input: the "landscape" model takes 256×144 (its model card), cheaper than 256×256. */
export const INPUT_WIDTH = 256;
export const INPUT_HEIGHT = 144;

/**
 * Runs the classic script at `url` in the worker's global scope: `importScripts` in the classic
 * worker the build makes. Vite's dev server can only start module workers, which have no
 * `importScripts`; there the script is fetched and evaluated instead.
 * @throws Error when the script cannot be fetched.
 */
function loadScript(url: string) {
	try {
		importScripts(url);
		return;
	} catch (error) {
		// A failed download is a DOMException ("NetworkError"); a module worker throws a TypeError.
		if (!(error instanceof TypeError)) throw error;
	}
	const request = new XMLHttpRequest();
	request.open('GET', url, false);
	request.send();
	if (request.status !== 200) throw new Error(`${url} answered ${request.status}.`);
	(0, eval)(request.responseText);
}

/** Supplies what the package's web-page path reads from `window` and `document`. */
function shimPage() {
	const scope = self as unknown as Record<string, unknown>;
	if (scope.document) return;
	scope.window = self;
	scope.document = {
		addEventListener() {},
		removeEventListener() {},
		createElement(tag: string) {
			if (tag === 'canvas') return new OffscreenCanvas(1, 1);
			const listeners = new Map<string, () => void>();
			return {
				src: '',
				setAttribute(name: string, value: string) {
					if (name === 'src') this.src = value;
				},
				addEventListener(type: string, listener: () => void) {
					listeners.set(type, listener);
				},
				listeners
			};
		},
		body: {
			appendChild(script: { src: string; listeners: Map<string, () => void> }) {
				// The package waits for "load" (or "error") before it goes on.
				let loaded = true;
				try {
					loadScript(script.src);
				} catch {
					loaded = false;
				}
				queueMicrotask(() => script.listeners.get(loaded ? 'load' : 'error')?.());
			}
		}
	};
}

/** A loaded model: {@link segment} gives the person mask of a small RGBA picture. */
export class Segmenter {
	#model: SelfieSegmentation;
	#mask: CanvasImageSource | null = null;
	#readback = new OffscreenCanvas(INPUT_WIDTH, INPUT_HEIGHT);
	#context = this.#readback.getContext('2d', {
		willReadFrequently: true
	}) as OffscreenCanvasRenderingContext2D;

	private constructor(model: SelfieSegmentation) {
		this.#model = model;
		model.onResults((results) => (this.#mask = results.segmentationMask));
	}

	/**
	 * Loads the package's script, WASM and weights from `base` (a URL ending in `/`) and runs the
	 * model once, so that a browser that cannot run it (no WebAssembly, no WebGL) fails here.
	 * @throws Error when the files cannot be loaded or the model does not run.
	 */
	static async load(base: string): Promise<Segmenter> {
		shimPage();
		loadScript(`${base}selfie_segmentation.js`);
		const Model = (self as Loaded).SelfieSegmentation;
		if (!Model) throw new Error('The segmentation script did not load.');
		const model = new Model({ locateFile: (file) => base + file });
		// CPU inference (XNNPACK in WASM) is faster than WebGL on devices without a real GPU and
		// about even on those with one; WebGL still carries the pictures in and out.
		model.setOptions({ modelSelection: 1, selfieMode: false, useCpuInference: true });
		await model.initialize();
		const segmenter = new Segmenter(model);
		await segmenter.segment(new ImageData(INPUT_WIDTH, INPUT_HEIGHT));
		return segmenter;
	}

	/**
	 * The person mask of `image` ({@link INPUT_WIDTH}×{@link INPUT_HEIGHT}): 0 background … 255
	 * person, at the same size.
	 * @throws Error when the model gives no mask.
	 */
	async segment(image: ImageData): Promise<Gray> {
		this.#mask = null;
		await this.#model.send({ image });
		const mask = this.#mask as CanvasImageSource | null;
		if (!mask) throw new Error('The segmentation model gave no mask.');
		this.#context.clearRect(0, 0, INPUT_WIDTH, INPUT_HEIGHT);
		this.#context.drawImage(mask, 0, 0, INPUT_WIDTH, INPUT_HEIGHT);
		if ('close' in mask && typeof mask.close === 'function') mask.close();
		const pixels = this.#context.getImageData(0, 0, INPUT_WIDTH, INPUT_HEIGHT).data;
		// The confidence is in the alpha channel (the package's examples draw the mask, then
		// composite with "source-in"); the colour channels hold it premultiplied.
		const data = new Uint8Array(INPUT_WIDTH * INPUT_HEIGHT);
		for (let i = 0; i < data.length; i++) data[i] = pixels[i * 4 + 3] as number;
		return { width: INPUT_WIDTH, height: INPUT_HEIGHT, data };
	}

	close() {
		void this.#model.close();
	}
}
