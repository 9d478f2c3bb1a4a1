/**
 * Active speaker detection: {@link AudioLevelMeter} measures each participant's audio level with
 * WebAudio; {@link ActiveSpeaker} (pure, clock passed in) turns level sequences into "who is
 * speaking", "who is the active speaker" and "for how long", without flicker.
 */
import { ObservableV2 } from 'lib0/observable';

/**
 * The level reported for digital silence and the floor for every level (dBFS). A 16-bit signal's
 * quietest step is ≈ −96 dBFS, so nothing audible lies below it; a finite floor keeps smoothing
 * arithmetic away from `-Infinity`.
 */
export const SILENCE_DBFS = -100;

/** Events an {@link AudioLevelMeter} emits. */
export type AudioLevelEvents = {
	/**
	 * A new measurement: level per stream id (dBFS, {@link SILENCE_DBFS}…0), taken at `now`
	 * (ms, `performance.now()`).
	 */
	levels: (levels: Map<string, number>, now: number) => void;
};

interface Metered {
	stream: MediaStream;
	source: MediaStreamAudioSourceNode;
	analyser: AnalyserNode;
	samples: Float32Array<ArrayBuffer>;
}

/**
 * Audio levels of several streams (local microphone and remote participants), measured with ONE
 * shared `AudioContext` and an `AnalyserNode` per stream: RMS of the time-domain samples as dBFS
 * (20·log10(rms), full scale = 1.0), every `intervalMs` on a `setInterval` timer (not
 * `requestAnimationFrame`, which stops in background tabs).
 *
 * Requirements:
 * - Chromium feeds a remote WebRTC stream's audio to WebAudio only while the same stream is also
 *   played by a media element (crbug.com/121673); the tile's `<video>` does that, and a muted
 *   element is enough. Without it the level is {@link SILENCE_DBFS}.
 * - Browsers create an `AudioContext` suspended until the page had a user gesture (autoplay
 *   policy); {@link AudioLevelMeter.add} asks it to resume, which works once "Join" was clicked.
 * - Nothing is connected to the context's destination, so measuring never plays audio twice.
 */
export class AudioLevelMeter extends ObservableV2<AudioLevelEvents> {
	#intervalMs: number;
	#context: AudioContext | null = null;
	#metered = new Map<string, Metered>();
	#levels = new Map<string, number>();
	#timer: ReturnType<typeof setInterval> | null = null;

	/**
	 * @param options.intervalMs time between measurements (ms), 100 by default (10 per second,
	 *   like the device meter in `level-meter.ts`).
	 */
	constructor(options: { intervalMs?: number } = {}) {
		super();
		this.#intervalMs = options.intervalMs ?? 100;
	}

	/**
	 * Starts measuring `stream` under `id` (replacing what `id` measured before). A stream without
	 * audio tracks is not measured (WebAudio cannot take it) and has no entry in {@link levels}.
	 */
	add(id: string, stream: MediaStream): void {
		if (this.#metered.get(id)?.stream === stream) return;
		this.remove(id);
		if (stream.getAudioTracks().length === 0) return;
		// Levels are read ten times a second, so the context can render in large blocks: the
		// `playback` latency hint wakes the audio thread far less often than `interactive`.
		this.#context ??= new AudioContext({ latencyHint: 'playback' });
		if (this.#context.state === 'suspended') void this.#context.resume();
		const source = this.#context.createMediaStreamSource(stream);
		const analyser = this.#context.createAnalyser();
		analyser.fftSize = 1024;
		source.connect(analyser);
		this.#metered.set(id, {
			stream,
			source,
			analyser,
			samples: new Float32Array(analyser.fftSize)
		});
		this.#timer ??= setInterval(() => this.#measure(), this.#intervalMs);
	}

	/** Stops measuring `id`; the timer stops when nothing is left. */
	remove(id: string): void {
		const metered = this.#metered.get(id);
		if (!metered) return;
		metered.source.disconnect();
		this.#metered.delete(id);
		this.#levels.delete(id);
		if (this.#metered.size === 0 && this.#timer !== null) {
			clearInterval(this.#timer);
			this.#timer = null;
		}
	}

	/** The latest level per id (dBFS, {@link SILENCE_DBFS}…0); a copy. */
	levels(): Map<string, number> {
		return new Map(this.#levels);
	}

	/** Stops all measuring and closes the audio context. */
	override destroy(): void {
		for (const id of [...this.#metered.keys()]) this.remove(id);
		void this.#context?.close();
		this.#context = null;
		super.destroy();
	}

	#measure() {
		for (const [id, { analyser, samples }] of this.#metered) {
			analyser.getFloatTimeDomainData(samples);
			let sum = 0;
			for (const s of samples) sum += s * s;
			const rms = Math.sqrt(sum / samples.length);
			this.#levels.set(id, rms > 0 ? Math.max(SILENCE_DBFS, 20 * Math.log10(rms)) : SILENCE_DBFS);
		}
		this.emit('levels', [this.levels(), performance.now()]);
	}
}

/** Tuning for {@link ActiveSpeaker}; every field has a default. */
export interface ActiveSpeakerOptions {
	/**
	 * Smoothed level above which a participant counts as speaking (dBFS), −50 by default. A
	 * heuristic, not a standard: speech near a headset or laptop microphone typically measures
	 * −40…−20 dBFS, a quiet room after the browser's noise suppression below −60 dBFS.
	 */
	thresholdDbfs?: number;
	/**
	 * How long someone must be the loudest speaker before the highlight moves to them (ms), 300.
	 * This and the other durations are product choices, tuned so the highlight does not flicker.
	 */
	switchAfterMs?: number;
	/** How long the active speaker may be silent before `current` becomes null (ms), 1500. */
	silenceAfterMs?: number;
	/** Time constant of the smoothing while the level rises (ms), 30: onsets count at once. */
	attackMs?: number;
	/**
	 * Time constant of the smoothing while the level falls (ms), 300: from −25 dBFS speech to a
	 * −70 dBFS pause, the smoothed level stays above −50 dBFS for ≈ 240 ms, bridging the gaps
	 * between words.
	 */
	releaseMs?: number;
}

interface Voice {
	/** Smoothed level (dBFS). */
	level: number;
	/** When `level` was last updated (ms). */
	at: number;
	/** Since when the smoothed level is continuously above the threshold (ms), or null. */
	speakingSince: number | null;
	/** When the smoothed level was last above the threshold (ms), or null. */
	lastSpokeAt: number | null;
}

/**
 * Decides who is speaking from successive level measurements (e.g. {@link AudioLevelMeter}'s
 * `levels` events). Pure: time comes from the caller, in ms on any monotonic clock.
 *
 * Rules, all on a smoothed level (fast attack, slow release):
 * - a participant is speaking while the smoothed level is above the threshold;
 * - the highlight moves to a participant once they have been the loudest speaking participant for
 *   `switchAfterMs`, so two people talking over each other do not make it flicker;
 * - the active speaker ({@link current}) stays until someone else takes over or until they have
 *   been silent for `silenceAfterMs`; {@link last} keeps the most recent one (Speaker layout).
 */
export class ActiveSpeaker {
	#threshold: number;
	#switchAfterMs: number;
	#silenceAfterMs: number;
	#attackMs: number;
	#releaseMs: number;
	#voices = new Map<string, Voice>();
	#candidate: { id: string; since: number } | null = null;
	#current: string | null = null;
	#last: string | null = null;

	/** @param options tuning; defaults as documented on {@link ActiveSpeakerOptions}. */
	constructor(options: ActiveSpeakerOptions = {}) {
		this.#threshold = options.thresholdDbfs ?? -50;
		this.#switchAfterMs = options.switchAfterMs ?? 300;
		this.#silenceAfterMs = options.silenceAfterMs ?? 1500;
		this.#attackMs = options.attackMs ?? 30;
		this.#releaseMs = options.releaseMs ?? 300;
	}

	/** The active speaker: speaking now or within `silenceAfterMs`, else null. */
	get current(): string | null {
		return this.#current;
	}

	/** The most recent active speaker, kept through silence (null once they left). */
	get last(): string | null {
		return this.#last;
	}

	/**
	 * Takes one measurement of everyone's level. Ids missing from `levels` are forgotten (they
	 * left, or their stream is gone) and cleared from {@link current} and {@link last}.
	 *
	 * @param levels level per participant id (dBFS; `-Infinity`/NaN count as {@link SILENCE_DBFS}).
	 * @param now the time of the measurement (ms), never earlier than the previous call's.
	 * @returns the active speaker's id, as {@link current}.
	 */
	update(levels: Map<string, number>, now: number): string | null {
		for (const id of [...this.#voices.keys()]) {
			if (levels.has(id)) continue;
			this.#voices.delete(id);
			if (this.#current === id) this.#current = null;
			if (this.#last === id) this.#last = null;
			if (this.#candidate?.id === id) this.#candidate = null;
		}

		let loudest: string | null = null;
		let loudestLevel = -Infinity;
		for (const [id, raw] of levels) {
			const level = Number.isFinite(raw) ? Math.max(SILENCE_DBFS, raw) : SILENCE_DBFS;
			let voice = this.#voices.get(id);
			if (!voice) {
				voice = { level, at: now, speakingSince: null, lastSpokeAt: null };
				this.#voices.set(id, voice);
			} else {
				const tau = level > voice.level ? this.#attackMs : this.#releaseMs;
				const dt = Math.max(0, now - voice.at);
				voice.level += (level - voice.level) * (1 - Math.exp(-dt / tau));
				voice.at = now;
			}
			if (voice.level > this.#threshold) {
				voice.speakingSince ??= now;
				voice.lastSpokeAt = now;
				if (voice.level > loudestLevel) {
					loudest = id;
					loudestLevel = voice.level;
				}
			} else {
				voice.speakingSince = null;
			}
		}

		if (loudest === null || loudest === this.#current) this.#candidate = null;
		else if (this.#candidate?.id !== loudest) this.#candidate = { id: loudest, since: now };
		if (this.#candidate && now - this.#candidate.since >= this.#switchAfterMs) {
			this.#current = this.#last = this.#candidate.id;
			this.#candidate = null;
		}

		const lastSpokeAt = this.#current ? this.#voices.get(this.#current)?.lastSpokeAt : null;
		if (lastSpokeAt == null || now - lastSpokeAt >= this.#silenceAfterMs) this.#current = null;
		return this.#current;
	}

	/** Whether `id`'s smoothed level was above the threshold at the last update (`data-speaking`). */
	speaking(id: string): boolean {
		return this.#voices.get(id)?.speakingSince != null;
	}

	/**
	 * How long `id` has been speaking without a pause (ms), 0 when not speaking; e.g. to lower a
	 * raised hand after 3 s of talking.
	 *
	 * @param now the current time on the clock passed to {@link update} (ms).
	 */
	speakingForMs(id: string, now: number): number {
		const since = this.#voices.get(id)?.speakingSince;
		return since == null ? 0 : Math.max(0, now - since);
	}
}
