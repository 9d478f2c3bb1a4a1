/**
 * Short chimes for what happens in a call while the person may be looking elsewhere: someone
 * joins, someone raises a hand. Synthesised with WebAudio (no sound files to fetch), on the speaker
 * chosen in Settings where the browser can route WebAudio (`AudioContext.setSinkId`). People can
 * turn them off in Settings; the choice is kept on this device.
 */

/** `localStorage` key: 'off' turns the chimes off. */
const STORAGE_KEY = 'confer-sounds';

/** What a chime is for: each has its own notes. */
export type Chime = 'joined' | 'raised-hand';

/**
 * The notes of each chime: frequency (Hz) and start offset (s). A rising third for a join (like a
 * doorbell), a single high note for a hand.
 */
export const CHIME_NOTES: Record<Chime, { hz: number; at: number }[]> = {
	joined: [
		{ hz: 659.25, at: 0 },
		{ hz: 880, at: 0.14 }
	],
	'raised-hand': [{ hz: 1046.5, at: 0 }]
};

/** How long each note sounds (s), and its peak gain (0…1): audible, not startling. */
const NOTE_S = 0.22;
const PEAK_GAIN = 0.12;

class Sounds {
	/** Whether chimes play. */
	enabled = $state(readEnabled());
	#context: AudioContext | null = null;
	#sinkId = '';

	/** Turns the chimes on or off, and remembers it on this device. */
	setEnabled(on: boolean) {
		this.enabled = on;
		try {
			if (on) localStorage.removeItem(STORAGE_KEY);
			else localStorage.setItem(STORAGE_KEY, 'off');
		} catch {
			// Storage refused (private mode): the choice lasts for this page.
		}
	}

	/**
	 * Plays `chime` now, unless chimes are off or the browser has no WebAudio.
	 *
	 * @param sinkId the audio output chosen in Settings ('' for the system default)
	 */
	play(chime: Chime, sinkId = '') {
		if (!this.enabled || typeof AudioContext === 'undefined') return;
		const context = (this.#context ??= new AudioContext());
		void context.resume().catch(() => undefined);
		if (sinkId !== this.#sinkId && 'setSinkId' in context) {
			this.#sinkId = sinkId;
			void (context as AudioContext & { setSinkId(id: string): Promise<void> })
				.setSinkId(sinkId)
				.catch(() => undefined);
		}
		const start = context.currentTime + 0.01;
		for (const note of CHIME_NOTES[chime]) {
			const oscillator = new OscillatorNode(context, { type: 'sine', frequency: note.hz });
			const gain = new GainNode(context, { gain: 0 });
			const t = start + note.at;
			gain.gain.setValueAtTime(0, t);
			gain.gain.linearRampToValueAtTime(PEAK_GAIN, t + 0.015);
			gain.gain.exponentialRampToValueAtTime(0.0001, t + NOTE_S);
			oscillator.connect(gain).connect(context.destination);
			oscillator.start(t);
			oscillator.stop(t + NOTE_S + 0.02);
		}
	}
}

function readEnabled(): boolean {
	try {
		return typeof localStorage === 'undefined' || localStorage.getItem(STORAGE_KEY) !== 'off';
	} catch {
		return true;
	}
}

/** The chimes of this tab. */
export const sounds = new Sounds();
