import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { noticeText } from '$lib/ui/messages';
import { NOTICE_MS, Notices } from './notices.svelte';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('Notices', () => {
	it('shows a failure once: the same code again renews it instead of stacking', () => {
		const notices = new Notices();
		notices.add('video-full', '12');
		notices.add('video-full', '12');
		expect(notices.list).toHaveLength(1);
		notices.add('message-too-long', '4000');
		expect(notices.list.map((n) => n.code)).toEqual(['video-full', 'message-too-long']);
	});

	it('notices that need no action go away by themselves; renewing restarts the clock', () => {
		const notices = new Notices();
		notices.add('video-full', '12');
		vi.advanceTimersByTime(NOTICE_MS - 1_000);
		notices.add('video-full', '12');
		vi.advanceTimersByTime(NOTICE_MS - 1_000);
		expect(notices.list).toHaveLength(1);
		vi.advanceTimersByTime(1_000);
		expect(notices.list).toHaveLength(0);
	});

	it('notices that ask for action stay until dismissed', () => {
		const notices = new Notices();
		notices.add('call-refused');
		notices.add('copy-failed', 'https://host/abc-defg-hij#k=x');
		vi.advanceTimersByTime(10 * NOTICE_MS);
		expect(notices.list.map((n) => n.sticky)).toEqual([true, true]);
		expect(noticeText(notices.list[1]!)).toContain('https://host/abc-defg-hij#k=x');
		notices.dismiss(notices.list[0]!.id);
		expect(notices.list.map((n) => n.code)).toEqual(['copy-failed']);
		notices.clear();
		expect(notices.list).toEqual([]);
	});
});
