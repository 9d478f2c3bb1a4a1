import { describe, expect, it } from 'vitest';
import { ActiveSpeaker } from './speaker';

const LOUD = -25;
const QUIET = -70;
const TICK = 100;

/** Feeds `ticks` measurements every 100 ms from `start`; returns `current` after each. */
function feed(
	speaker: ActiveSpeaker,
	start: number,
	ticks: number,
	levels: (tick: number) => Record<string, number>
): (string | null)[] {
	const seen: (string | null)[] = [];
	for (let i = 0; i < ticks; i++) {
		seen.push(speaker.update(new Map(Object.entries(levels(i))), start + i * TICK));
	}
	return seen;
}

describe('ActiveSpeaker', () => {
	it('has no speaker in silence', () => {
		const speaker = new ActiveSpeaker();
		const seen = feed(speaker, 0, 20, () => ({ a: QUIET, b: -Infinity, c: NaN }));
		expect(seen.every((id) => id === null)).toBe(true);
		expect(speaker.last).toBeNull();
		expect(speaker.speaking('a')).toBe(false);
		expect(speaker.speakingForMs('a', 2000)).toBe(0);
	});

	it('makes a loud participant the speaker after 300 ms', () => {
		const speaker = new ActiveSpeaker();
		const seen = feed(speaker, 0, 5, () => ({ a: LOUD, b: QUIET }));
		expect(seen).toEqual([null, null, null, 'a', 'a']);
		expect(speaker.speaking('a')).toBe(true);
		expect(speaker.speaking('b')).toBe(false);
		expect(speaker.last).toBe('a');
	});

	it('does not flicker when two people alternate quickly', () => {
		const speaker = new ActiveSpeaker();
		feed(speaker, 0, 5, () => ({ a: LOUD, b: QUIET }));
		const seen = feed(speaker, 500, 30, (i) =>
			i % 2 === 0 ? { a: QUIET, b: LOUD } : { a: LOUD, b: QUIET }
		);
		expect(seen.every((id) => id === 'a')).toBe(true);
		expect(speaker.speaking('a')).toBe(true);
		expect(speaker.speaking('b')).toBe(true);
	});

	it('moves to whoever stays loudest for 300 ms', () => {
		const speaker = new ActiveSpeaker();
		feed(speaker, 0, 5, () => ({ a: LOUD, b: QUIET }));
		const seen = feed(speaker, 500, 6, () => ({ a: -45, b: -20 }));
		expect(seen).toEqual(['a', 'a', 'a', 'b', 'b', 'b']);
		expect(speaker.last).toBe('b');
	});

	it('clears current after 1.5 s of silence but keeps last', () => {
		const speaker = new ActiveSpeaker();
		feed(speaker, 0, 5, () => ({ a: LOUD, b: QUIET }));
		const seen = feed(speaker, 500, 25, () => ({ a: QUIET, b: QUIET }));
		// The release smoothing keeps `a` speaking for 200 ms more (last at 600 ms); null from 2100 ms.
		expect(seen.indexOf(null)).toBe(16);
		expect(seen.slice(0, 16).every((id) => id === 'a')).toBe(true);
		expect(speaker.current).toBeNull();
		expect(speaker.last).toBe('a');
	});

	it('bridges short pauses between words', () => {
		const speaker = new ActiveSpeaker();
		feed(speaker, 0, 20, (i) => ({ a: i % 5 === 4 ? QUIET : LOUD }));
		expect(speaker.speaking('a')).toBe(true);
		expect(speaker.speakingForMs('a', 1900)).toBe(1900);
	});

	it('measures continuous speaking and resets it after a pause', () => {
		const speaker = new ActiveSpeaker();
		feed(speaker, 0, 31, () => ({ a: LOUD }));
		expect(speaker.speakingForMs('a', 3000)).toBe(3000);
		feed(speaker, 3100, 10, () => ({ a: QUIET }));
		expect(speaker.speakingForMs('a', 4000)).toBe(0);
		feed(speaker, 4100, 3, () => ({ a: LOUD }));
		expect(speaker.speakingForMs('a', 4300)).toBe(200);
	});

	it('forgets participants missing from the levels', () => {
		const speaker = new ActiveSpeaker();
		feed(speaker, 0, 5, () => ({ a: LOUD, b: QUIET }));
		expect(speaker.update(new Map([['b', QUIET]]), 500)).toBeNull();
		expect(speaker.last).toBeNull();
		expect(speaker.speaking('a')).toBe(false);
	});

	it('honours custom thresholds', () => {
		const speaker = new ActiveSpeaker({ thresholdDbfs: -20, switchAfterMs: 0 });
		expect(speaker.update(new Map([['a', LOUD]]), 0)).toBeNull();
		expect(speaker.update(new Map([['a', -10]]), 100)).toBe('a');
	});
});
