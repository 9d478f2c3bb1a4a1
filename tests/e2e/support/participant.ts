import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Colours of the fake-camera fixtures (solid 320x240 frames at 15 fps, looped by Chromium). */
export type CameraColor = 'red' | 'green' | 'blue' | 'yellow';

/** Fake-camera fixtures: a solid colour, or a sharp 640×480 black-and-white checkerboard at 30 fps. */
export type CameraFixture = CameraColor | 'checkerboard';

/** Frequencies (Hz) of the fake-microphone sine fixtures, or a silent microphone. */
export type Tone = 440 | 660 | 880 | 1100 | 'silent';

/** Options for {@link launchParticipant}. */
export interface ParticipantOptions {
	/** Fake camera fed from `tests/.media/<video>.y4m`; omitted: Chromium's built-in test pattern. */
	video?: CameraFixture;
	/** Fake microphone fed from `tests/.media/tone-<tone>.wav` (or `silent.wav`); omitted: Chromium's beep. */
	tone?: Tone;
	/** Number of fake cameras, microphones and speakers offered (Chromium's `device-count`). */
	deviceCount?: number;
	/** Further Chromium command-line flags. */
	extraArgs?: string[];
	/** Origin that relative `page.goto()` paths resolve against; default the Playwright config's relay. */
	baseURL?: string;
	/**
	 * The page's size in CSS pixels; default 1280×800. Headless Chromium composites in software:
	 * each frame costs time in proportion to the viewport's area, so tests with many browsers
	 * showing live video use a smaller one.
	 */
	viewport?: { width: number; height: number };
	/** A phone: touch events, `pointer: coarse` and a mobile viewport (Playwright `isMobile`). */
	phone?: boolean;
	/** `prefers-color-scheme` to emulate; default the browser's (light). */
	colorScheme?: 'light' | 'dark';
}

/** One person in a test: their own Chromium process, context and page. */
export interface Participant {
	browser: Browser;
	context: BrowserContext;
	page: Page;
	/**
	 * Console errors and uncaught exceptions from every page of the context, in order, as text
	 * (`console.error: …` / `pageerror: …`). For failure messages; tests decide whether to assert on it.
	 */
	errors: string[];
	/** Closes the context, and the browser unless others still share it; safe to call more than once. */
	close(): Promise<void>;
	/**
	 * Kills the browser process with SIGKILL, as a crash or a power cut would: no `pagehide`, no
	 * goodbye to anyone. Resolves once Playwright has seen it go.
	 */
	kill(): Promise<void>;
}

/** Chromium binary: `CHROMIUM_PATH` or Debian's `/usr/bin/chromium`. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The relay that playwright.config.ts starts (keep in sync with its `baseURL`). */
export const defaultBaseURL = 'http://127.0.0.1:8799';

const mediaDir = fileURLToPath(new URL('../../.media/', import.meta.url));

/** Chromium flags that keep a browser quiet on a closed network (ARCHITECTURE.md, "Tests"). */
export const quietFlags = [
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
	'--no-first-run',
	'--disable-quic'
];

/**
 * Absolute path of a media fixture in `tests/.media/`.
 * @throws Error when the file is missing: fixtures are made by `bash tests/tools/e2e.sh`.
 */
export function mediaFile(name: string): string {
	const file = mediaDir + name;
	if (!existsSync(file)) {
		throw new Error(
			`${file} is missing: run the tests with \`bash tests/tools/e2e.sh\`, which makes it`
		);
	}
	return file;
}

/**
 * Chromium flags for a participant with fake media devices (ARCHITECTURE.md, "Tests"): permissions
 * granted without prompts, camera and microphone from fixture files, autoplay with sound, loopback ICE.
 */
export function participantArgs(opts: ParticipantOptions = {}): string[] {
	const args = [
		'--use-fake-ui-for-media-stream',
		opts.deviceCount === undefined
			? '--use-fake-device-for-media-stream'
			: `--use-fake-device-for-media-stream=device-count=${opts.deviceCount}`,
		'--autoplay-policy=no-user-gesture-required',
		'--allow-loopback-in-peer-connection',
		...quietFlags
	];
	if (opts.video !== undefined) {
		args.push(`--use-file-for-fake-video-capture=${mediaFile(`${opts.video}.y4m`)}`);
	}
	if (opts.tone !== undefined) {
		const wav = opts.tone === 'silent' ? 'silent.wav' : `tone-${opts.tone}.wav`;
		args.push(`--use-file-for-fake-audio-capture=${mediaFile(wav)}`);
	}
	if (process.getuid?.() === 0) args.push('--no-sandbox');
	return [...args, ...(opts.extraArgs ?? [])];
}

/**
 * Launches one participant: a headless Chromium *process* of its own (fake-media flags are per
 * process), one context (1280x800 unless `viewport` says otherwise, camera and microphone granted,
 * `baseURL` set) and one blank page.
 * Always `close()` it, e.g. in `test.afterEach` or a `try/finally`.
 * @throws Error when a requested media fixture is missing or Chromium fails to start.
 */
export async function launchParticipant(opts: ParticipantOptions = {}): Promise<Participant> {
	const browser = await chromium.launch({
		executablePath: chromiumPath,
		headless: true,
		args: participantArgs(opts)
	});
	try {
		return await openParticipant(browser, opts, () => browser.close());
	} catch (error) {
		await browser.close();
		throw error;
	}
}

/**
 * Launches `count` participants who share one Chromium process, each in a context of their own: a
 * separate profile, as a private window is, with its own storage, renderer and WebRTC stack
 * (BroadcastChannel does not cross contexts either). They all get the same fake devices, from
 * `opts`. A test of many people with live video uses this: on a 2-core machine, each extra
 * browser process brings its own GPU, audio and network processes, about a tenth of a core more
 * per person than the call itself needs.
 * `kill()` is not available to them. Close every one; the browser closes with the last.
 * @throws Error when a requested media fixture is missing or Chromium fails to start.
 */
export async function launchParticipantsInOneBrowser(
	count: number,
	opts: ParticipantOptions = {}
): Promise<Participant[]> {
	const browser = await chromium.launch({
		executablePath: chromiumPath,
		headless: true,
		args: participantArgs(opts)
	});
	let open = count;
	const closeOne = async () => {
		if (--open === 0) await browser.close();
	};
	try {
		const people: Participant[] = [];
		for (let i = 0; i < count; i++) {
			const p = await openParticipant(browser, opts, closeOne);
			people.push({
				...p,
				kill: () => Promise.reject(new Error('kill: this participant shares its browser'))
			});
		}
		return people;
	} catch (error) {
		await browser.close();
		throw error;
	}
}

/** A context and page in `browser`; `closeBrowser` runs after the context is closed. */
async function openParticipant(
	browser: Browser,
	opts: ParticipantOptions,
	closeBrowser: () => Promise<void>
): Promise<Participant> {
	const errors: string[] = [];
	const context = await browser.newContext({
		baseURL: opts.baseURL ?? defaultBaseURL,
		viewport: opts.viewport ?? { width: 1280, height: 800 },
		...(opts.phone ? { hasTouch: true, isMobile: true, deviceScaleFactor: 1 } : {}),
		...(opts.colorScheme ? { colorScheme: opts.colorScheme } : {}),
		permissions: ['camera', 'microphone'],
		serviceWorkers: 'allow'
	});
	const watch = (page: Page): void => {
		page.on('console', (message) => {
			if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
		});
		page.on('pageerror', (error) => errors.push(`pageerror: ${error.stack ?? error.message}`));
	};
	// Fires for newPage() too, so every page of the context is watched.
	context.on('page', watch);
	const page = await context.newPage();
	let closed = false;
	return {
		browser,
		context,
		page,
		errors,
		async close() {
			if (closed) return;
			closed = true;
			await context.close().catch(() => undefined);
			await closeBrowser();
		},
		async kill() {
			const session = await browser.newBrowserCDPSession();
			const { processInfo } = (await session.send('SystemInfo.getProcessInfo')) as {
				processInfo: { type: string; id: number }[];
			};
			const pid = processInfo.find((p) => p.type === 'browser')?.id;
			if (pid === undefined) throw new Error('kill: the browser process id is unknown');
			closed = true;
			const gone = new Promise<void>((resolve) => browser.once('disconnected', () => resolve()));
			process.kill(pid, 'SIGKILL');
			await gone;
		}
	};
}
