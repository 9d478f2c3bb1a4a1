import { describe, expect, it } from 'vitest';
import { ReceiveSilence } from './receive-silence';

/** Counters as `getStats()` would report them. */
const counts = (received: number, sent: number) => ({ received, sent });

describe('ReceiveSilence', () => {
	it('is not silent while something arrives', () => {
		const silence = new ReceiveSilence();
		silence.observe('p', counts(100, 10), 0);
		silence.observe('p', counts(180, 20), 2_000);
		expect(silence.silentFor('p')).toBe(0);
		silence.observe('p', counts(181, 30), 4_000);
		expect(silence.silentFor('p')).toBe(0);
	});

	it('measures silence between observations, not up to the present', () => {
		const silence = new ReceiveSilence();
		silence.observe('p', counts(700, 1), 10_000);
		silence.observe('p', counts(700, 2), 12_000);
		expect(silence.silentFor('p')).toBe(2_000);
		// No observation for a long time (a starved page) is no evidence of more silence.
		expect(silence.silentFor('p')).toBe(2_000);
		silence.observe('p', counts(700, 3), 14_500);
		expect(silence.silentFor('p')).toBe(4_500);
	});

	it('does not count an interval in which we sent nothing either: the stall may be ours', () => {
		const silence = new ReceiveSilence();
		silence.observe('p', counts(5, 1), 0);
		silence.observe('p', counts(5, 1), 6_000);
		expect(silence.silentFor('p')).toBe(0);
		silence.observe('p', counts(5, 2), 8_000);
		expect(silence.silentFor('p')).toBe(2_000);
		silence.observe('p', counts(5, 2), 9_000);
		silence.observe('p', counts(5, 3), 11_000);
		expect(silence.silentFor('p')).toBe(4_000);
	});

	it('ends the silence at the first arrival, and counts a reset counter as one', () => {
		const silence = new ReceiveSilence();
		silence.observe('p', counts(50, 1), 0);
		silence.observe('p', counts(50, 9), 6_000);
		expect(silence.silentFor('p')).toBe(6_000);
		silence.observe('p', counts(3, 10), 8_000);
		expect(silence.silentFor('p')).toBe(0);
	});

	it('starts afresh for a call it forgot, and knows nothing of others', () => {
		const silence = new ReceiveSilence();
		silence.observe('p', counts(5, 0), 0);
		silence.observe('p', counts(5, 1), 5_000);
		expect(silence.silentFor('p')).toBe(5_000);
		silence.forget('p');
		expect(silence.silentFor('p')).toBe(0);
		silence.observe('p', counts(5, 2), 6_000);
		expect(silence.silentFor('p')).toBe(0);
		expect(silence.silentFor('q')).toBe(0);
	});
});
