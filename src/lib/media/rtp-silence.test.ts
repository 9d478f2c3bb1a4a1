import { describe, expect, it } from 'vitest';
import { RtpSilence, type RtpReceiving } from './rtp-silence';

/** A peer connection whose receivers report the given newest packet timestamps. */
function pcWith(timestamps: () => number[][]): RtpReceiving {
	return {
		getReceivers: () =>
			timestamps().map((sources) => ({
				getSynchronizationSources: () => sources.map((timestamp) => ({ timestamp }))
			}))
	};
}

describe('RtpSilence', () => {
	it('is not silent while packets arrive, on any receiver', () => {
		const silence = new RtpSilence();
		let audio = 100;
		let video = 50;
		const pc = pcWith(() => [[audio], [video]]);
		expect(silence.silentFor('p', pc, 0)).toBe(0);
		audio += 20;
		expect(silence.silentFor('p', pc, 1_000)).toBe(0);
		video = 500; // audio stopped, video still flows
		expect(silence.silentFor('p', pc, 2_000)).toBe(0);
	});

	it('counts the time since the newest packet stopped changing', () => {
		const silence = new RtpSilence();
		const pc = pcWith(() => [[700]]);
		expect(silence.silentFor('p', pc, 10_000)).toBe(0);
		expect(silence.silentFor('p', pc, 11_000)).toBe(1_000);
		expect(silence.silentFor('p', pc, 14_500)).toBe(4_500);
	});

	it('keeps counting when the sources expire, and not before the first packet', () => {
		const silence = new RtpSilence();
		let sources: number[] = [];
		const pc = pcWith(() => [sources]);
		expect(silence.silentFor('p', pc, 0)).toBe(0);
		expect(silence.silentFor('p', pc, 9_000)).toBe(0);
		sources = [42];
		expect(silence.silentFor('p', pc, 10_000)).toBe(0);
		sources = [];
		expect(silence.silentFor('p', pc, 13_000)).toBe(3_000);
	});

	it('starts afresh for a call it forgot', () => {
		const silence = new RtpSilence();
		const pc = pcWith(() => [[5]]);
		silence.silentFor('p', pc, 0);
		expect(silence.silentFor('p', pc, 5_000)).toBe(5_000);
		silence.forget('p');
		expect(silence.silentFor('p', pc, 6_000)).toBe(0);
		expect(silence.silentFor('q', pc, 6_000)).toBe(0);
	});
});
