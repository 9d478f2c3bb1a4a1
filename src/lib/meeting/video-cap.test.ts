import { describe, expect, it } from 'vitest';
import { mustStepBack, videoFull, type VideoSender } from './video-cap';

const sender = (
	id: number,
	joinedAt: number | null,
	extra: Partial<VideoSender> = {}
): VideoSender => ({
	id,
	self: false,
	media: { cam: true, screen: false },
	joinedAt,
	...extra
});

describe('video cap', () => {
	it('only the latest senders past the cap step back, ranked the same way on every device', () => {
		const room = [sender(1, 100), sender(2, 200), sender(3, 300), sender(4, 300)];
		const as = (id: number) => room.map((p) => ({ ...p, self: p.id === id }));
		expect([1, 2, 3, 4].map((id) => mustStepBack(as(id), 2))).toEqual([false, false, true, true]);
		// Equal join times: the smaller participant id ranks first.
		expect([1, 2, 3, 4].map((id) => mustStepBack(as(id), 3))).toEqual([false, false, false, true]);
	});

	it('people without video do not count, nor does someone who does not send', () => {
		const room = [
			sender(1, 100, { media: { cam: false, screen: false } }),
			sender(2, 200, { media: { cam: false, screen: true } }),
			sender(3, 300, { self: true })
		];
		expect(mustStepBack(room, 1)).toBe(true);
		expect(mustStepBack(room, 2)).toBe(false);
		expect(
			mustStepBack([sender(9, 1, { self: true, media: { cam: false, screen: false } })], 0)
		).toBe(false);
	});

	it('an unknown join time ranks last', () => {
		const room = [sender(1, null, { self: true }), sender(2, 500)];
		expect(mustStepBack(room, 1)).toBe(true);
	});

	it('the room is full for video when the others fill the cap', () => {
		const room = [sender(1, 1), sender(2, 2), sender(3, 3, { self: true })];
		expect(videoFull(room, 2)).toBe(true);
		expect(videoFull(room, 3)).toBe(false);
		expect(videoFull(room, Infinity)).toBe(false);
	});
});
