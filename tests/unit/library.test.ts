import { describe, expect, it } from 'vitest';
import { Library } from '$lib/library/library';
import { PROFILE_COLORS } from '$lib/library/palette';

let databases = 0;
/** A fresh IndexedDB database (fake-indexeddb) per test. */
const freshName = (): string => `confer-library-test-${++databases}`;

const LINK = 'https://confer.example/abc-defg-hij#k=AAECAwQFBgcICQoLDA0ODw';

/** WCAG 2.1 relative luminance of `#rrggbb`. */
function luminance(hex: string): number {
	const channels = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
	const [r, g, b] = channels.map((c) =>
		c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
	) as [number, number, number];
	return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

describe('profile colours', () => {
	it('have at least 4.5:1 contrast with white text (WCAG AA)', () => {
		for (const color of PROFILE_COLORS) {
			expect(color).toMatch(/^#[0-9a-f]{6}$/);
			expect((1 + 0.05) / (luminance(color) + 0.05)).toBeGreaterThanOrEqual(4.5);
		}
	});
});

describe('Library', () => {
	it('creates a profile on first open and keeps it across close and reopen', async () => {
		const name = freshName();
		const library = await Library.open(name);
		expect(library.persistent).toBe(true);
		const profile = library.profile;
		expect(profile.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
		expect(profile.name).toBe('');
		expect(PROFILE_COLORS).toContain(profile.color);
		library.setName('  Ada Lovelace ');
		library.settings = { micOn: false, camOn: true, cameraId: 'cam-1' };
		await library.destroy();

		const reopened = await Library.open(name);
		expect(reopened.profile).toEqual({ ...profile, name: 'Ada Lovelace' });
		expect(reopened.settings).toEqual({ micOn: false, camOn: true, cameraId: 'cam-1' });
		reopened.settings = { micOn: true, camOn: true };
		expect(reopened.settings).toEqual({ micOn: true, camOn: true });
		await reopened.destroy();

		const other = await Library.open(freshName());
		expect(other.profile.id).not.toBe(profile.id);
		await other.destroy();
	});

	it('keeps scheduled meetings across reopen, leaves out cancelled ones and refuses bad ones', async () => {
		const name = freshName();
		const library = await Library.open(name);
		const meeting = {
			code: 'abc-defg-hij',
			link: 'https://confer.example/abc-defg-hij#k=AAAAAAAAAAAAAAAAAAAAAA',
			uid: 'abc-defg-hij@confer',
			sequence: 0,
			title: 'Planning',
			description: '',
			date: '2026-12-01',
			time: '15:00',
			timeZone: 'Europe/Berlin',
			durationMin: 30,
			repeat: 'weekly' as const,
			remind: true,
			cancelled: false
		};
		library.saveScheduled(meeting);
		library.saveScheduled({ ...meeting, code: 'xyz-abcd-efg', cancelled: true });
		expect(() => library.saveScheduled({ ...meeting, time: '25:00' })).toThrow(TypeError);
		await library.destroy();
		const reopened = await Library.open(name);
		expect(reopened.scheduled()).toEqual([meeting]);
		expect(reopened.scheduledMeeting('xyz-abcd-efg')?.cancelled).toBe(true);
		await reopened.destroy();
	});

	it('rejects names longer than 80 characters', async () => {
		const library = await Library.open(freshName());
		expect(() => library.setName('n'.repeat(81))).toThrow(RangeError);
		await library.destroy();
	});

	it('defaults to microphone and camera on', async () => {
		const library = await Library.open(freshName());
		expect(library.settings).toEqual({ micOn: true, camOn: true });
		await library.destroy();
	});

	it('accumulates time and names over joins and leaves', async () => {
		const name = freshName();
		const library = await Library.open(name);
		library.recordJoin({ code: 'abc-defg-hij', link: LINK }, 1_000);
		library.recordLeave(
			'abc-defg-hij',
			{ names: ['Ada', 'Bob'], messageCount: 3, title: 'Standup' },
			61_000
		);
		library.recordJoin({ code: 'abc-defg-hij', link: LINK }, 100_000);
		const entry = library.recordLeave(
			'abc-defg-hij',
			{ names: ['Bob', ' Carol ', ''], messageCount: 7 },
			130_000
		);
		const expected = {
			code: 'abc-defg-hij',
			link: LINK,
			title: 'Standup',
			firstJoinedAt: 1_000,
			lastJoinedAt: 100_000,
			totalMs: 90_000,
			names: ['Ada', 'Bob', 'Carol'],
			messageCount: 7
		};
		expect(entry).toEqual(expected);
		await library.destroy();

		const reopened = await Library.open(name);
		expect(reopened.meetings()).toEqual([expected]);
		// a leave without a join in this session (e.g. after a reload) adds no time
		expect(
			reopened.recordLeave('abc-defg-hij', { names: [], messageCount: 8 }, 500_000)?.totalMs
		).toBe(90_000);
		expect(reopened.recordLeave('zzz-zzzz-zzz', { names: [], messageCount: 0 })).toBeNull();
		expect(() => reopened.recordJoin({ code: 'not a code', link: LINK })).toThrow(TypeError);
		await reopened.destroy();
	});

	it('lists meetings most recently joined first', async () => {
		const library = await Library.open(freshName());
		library.recordJoin({ code: 'aaa-aaaa-aaa', link: 'a' }, 10);
		library.recordJoin({ code: 'bbb-bbbb-bbb', link: 'b', title: 'B' }, 30);
		library.recordJoin({ code: 'ccc-cccc-ccc', link: 'c' }, 20);
		expect(library.meetings().map((m) => m.code)).toEqual([
			'bbb-bbbb-bbb',
			'ccc-cccc-ccc',
			'aaa-aaaa-aaa'
		]);
		library.recordJoin({ code: 'aaa-aaaa-aaa', link: 'a' }, 40);
		expect(library.meetings().map((m) => m.code)).toEqual([
			'aaa-aaaa-aaa',
			'bbb-bbbb-bbb',
			'ccc-cccc-ccc'
		]);
		expect(library.meeting('aaa-aaaa-aaa')?.firstJoinedAt).toBe(10);
		await library.destroy();
	});

	it('notifies onChange and shares changes with other tabs', async () => {
		const name = freshName();
		const home = await Library.open(name);
		const meetingTab = await Library.open(name);
		expect(meetingTab.profile).toEqual(home.profile);
		const changed = new Promise<void>((resolve) => {
			const unsubscribe = home.onChange(() => {
				if (home.meetings().length === 1) {
					unsubscribe();
					resolve();
				}
			});
		});
		meetingTab.recordJoin({ code: 'abc-defg-hij', link: LINK }, 5);
		await changed;
		expect(home.meetings()[0]?.code).toBe('abc-defg-hij');
		await Promise.all([home.destroy(), meetingTab.destroy()]);
	});
});
