import { describe, expect, it } from 'vitest';
import {
	applyVideoProfile,
	captureProfile,
	encodingFor,
	videoProfile,
	type VideoSender
} from './adaptation';

/** A sender stub that records what `setParameters` received. */
function fakeSender(options: {
	settings?: MediaTrackSettings;
	encodings?: RTCRtpEncodingParameters[];
	reject?: unknown;
}) {
	const applied: RTCRtpSendParameters[] = [];
	const track = options.settings
		? ({ getSettings: () => options.settings } as unknown as MediaStreamTrack)
		: null;
	const sender: VideoSender = {
		track,
		getParameters: () =>
			({
				transactionId: 't1',
				encodings: structuredClone(options.encodings ?? []),
				codecs: [],
				headerExtensions: [],
				rtcp: {}
			}) as RTCRtpSendParameters,
		setParameters: async (parameters: RTCRtpSendParameters) => {
			if (options.reject) throw options.reject;
			applied.push(parameters);
		}
	};
	return { sender, applied };
}

describe('captureProfile', () => {
	it('asks the camera for no more than the largest encoding sends', () => {
		expect(captureProfile(2)).toEqual({ width: 1280, height: 720, frameRate: 30 });
		expect(captureProfile(5)).toEqual({ width: 640, height: 360, frameRate: 15 });
		expect(captureProfile(9)).toEqual({ width: 320, height: 180, frameRate: 15 });
	});
});

describe('videoProfile', () => {
	it.each([
		[1, 720, 1_500_000, 30],
		[2, 720, 1_500_000, 30],
		[3, 720, 1_500_000, 30],
		[4, 360, 500_000, 15],
		[6, 360, 500_000, 15],
		[7, 180, 200_000, 15],
		[12, 180, 200_000, 15]
	])('%i people: %ip at %i bit/s, %i fps', (people, maxHeight, maxBitrateBps, maxFramerate) => {
		expect(videoProfile(people)).toEqual({ maxHeight, maxBitrateBps, maxFramerate });
	});

	it('keeps screen content sharp and lowers its frame rate', () => {
		expect(videoProfile(2, 'detail')).toEqual({
			maxHeight: 1080,
			maxBitrateBps: 1_500_000,
			maxFramerate: 15
		});
		expect(videoProfile(5, 'text')).toEqual({
			maxHeight: 1080,
			maxBitrateBps: 500_000,
			maxFramerate: 8
		});
		expect(videoProfile(9, 'detail').maxFramerate).toBe(5);
		expect(videoProfile(9, 'motion')).toEqual(videoProfile(9));
	});

	it('counts an empty room as one person and rejects non-numbers', () => {
		expect(videoProfile(0)).toEqual(videoProfile(1));
		expect(() => videoProfile(NaN)).toThrow(RangeError);
	});
});

describe('encodingFor', () => {
	it('scales down to the profile height and never up', () => {
		const profile = videoProfile(5);
		expect(encodingFor(720, profile, true)).toEqual({
			scaleResolutionDownBy: 2,
			maxBitrate: 500_000,
			maxFramerate: 15,
			active: true
		});
		expect(encodingFor(1080, videoProfile(8), false)).toEqual({
			scaleResolutionDownBy: 6,
			maxBitrate: 200_000,
			maxFramerate: 15,
			active: false
		});
		expect(encodingFor(540, profile, true).scaleResolutionDownBy).toBe(1.5);
		expect(encodingFor(240, profile, true).scaleResolutionDownBy).toBe(1);
		expect(encodingFor(0, profile, true).scaleResolutionDownBy).toBe(1);
		expect(encodingFor(NaN, profile, true).scaleResolutionDownBy).toBe(1);
	});
});

describe('applyVideoProfile', () => {
	it('sets the first encoding and keeps its other fields', async () => {
		const { sender, applied } = fakeSender({
			settings: { width: 1280, height: 720 },
			encodings: [{ rid: 'a', priority: 'high' }]
		});
		expect(await applyVideoProfile(sender, videoProfile(4))).toBe(true);
		expect(applied[0]?.transactionId).toBe('t1');
		expect(applied[0]?.encodings).toEqual([
			{
				rid: 'a',
				priority: 'high',
				scaleResolutionDownBy: 2,
				maxBitrate: 500_000,
				maxFramerate: 15,
				active: true
			}
		]);
	});

	it('creates encodings[0] when missing; uses the short side of portrait video', async () => {
		const { sender, applied } = fakeSender({ settings: { width: 720, height: 1280 } });
		expect(await applyVideoProfile(sender, videoProfile(8), false)).toBe(true);
		expect(applied[0]?.encodings).toEqual([
			{ scaleResolutionDownBy: 4, maxBitrate: 200_000, maxFramerate: 15, active: false }
		]);
	});

	it('leaves an encoding that is already right alone, and corrects one the track outgrew', async () => {
		const current = {
			scaleResolutionDownBy: 1,
			maxBitrate: 500_000,
			maxFramerate: 15,
			active: true
		};
		const same = fakeSender({ settings: { width: 640, height: 360 }, encodings: [current] });
		expect(await applyVideoProfile(same.sender, videoProfile(4))).toBe(true);
		expect(same.applied).toEqual([]);
		// The camera went back to 1280×720 under the same encoding: it would send 720p.
		const grown = fakeSender({ settings: { width: 1280, height: 720 }, encodings: [current] });
		expect(await applyVideoProfile(grown.sender, videoProfile(4))).toBe(true);
		expect(grown.applied[0]?.encodings[0]?.scaleResolutionDownBy).toBe(2);
	});

	it('does not scale a sender without a track', async () => {
		const { sender, applied } = fakeSender({ encodings: [{}] });
		expect(await applyVideoProfile(sender, videoProfile(2))).toBe(true);
		expect(applied[0]?.encodings[0]?.scaleResolutionDownBy).toBe(1);
	});

	it.each(['InvalidStateError', 'InvalidModificationError'])(
		'returns false when setParameters rejects with %s',
		async (name) => {
			const { sender } = fakeSender({ reject: new DOMException('not yet', name) });
			expect(await applyVideoProfile(sender, videoProfile(2))).toBe(false);
		}
	);

	it('passes other errors on', async () => {
		const { sender } = fakeSender({ reject: new RangeError('bad scale') });
		await expect(applyVideoProfile(sender, videoProfile(2))).rejects.toThrow(RangeError);
	});
});
