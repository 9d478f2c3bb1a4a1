import { describe, expect, it } from 'vitest';
import type { Presence } from '$lib/room/presence';
import { describeChanges, toParticipants } from './participants';
import { announcementText } from '$lib/ui/messages';

function presence(name: string, joinedAt: number | null, extra: Partial<Presence> = {}): Presence {
	return {
		user: { id: name.toLowerCase(), name, color: '#1565c0' },
		peerId: `peer-${name.toLowerCase()}`,
		syncId: null,
		dtls: null,
		media: { mic: true, cam: true, screen: false },
		joinedAt,
		hand: null,
		reaction: null,
		notViewing: [],
		files: [],
		recording: null,
		...extra
	};
}

const noCall = () => ({ stream: null, connection: 'connecting' as const });

describe('toParticipants', () => {
	it('puts you first, then everyone by join time, the same on every device', () => {
		const presences = new Map([
			[7, presence('Cai', 300)],
			[3, presence('Ann', 100)],
			[5, presence('Ben', 200)],
			[9, presence('Old', null)]
		]);
		expect(toParticipants(presences, 5, noCall).map((p) => p.name)).toEqual([
			'Ben',
			'Ann',
			'Cai',
			'Old'
		]);
		expect(toParticipants(presences, 9, noCall).map((p) => p.name)).toEqual([
			'Old',
			'Ann',
			'Ben',
			'Cai'
		]);
	});

	it('attaches the call state to others only', () => {
		const presences = new Map([
			[1, presence('Ann', 1)],
			[2, presence('Ben', 2)]
		]);
		const [me, ben] = toParticipants(presences, 1, () => ({
			stream: null,
			connection: 'reconnecting'
		}));
		expect(me?.connection).toBeNull();
		expect(ben?.connection).toBe('reconnecting');
	});
});

describe('describeChanges', () => {
	const presences = new Map([
		[1, presence('Ann', 1)],
		[2, presence('Ben', 2)]
	]);
	const before = toParticipants(presences, 1, noCall);

	it('says nothing when joining (no list before) or when nothing changed', () => {
		expect(describeChanges([], before)).toEqual([]);
		expect(describeChanges(before, before)).toEqual([]);
	});

	it('announces joins, leaves and hands of others, never your own', () => {
		const after = toParticipants(
			new Map([
				[1, presence('Ann', 1, { hand: 5 })],
				[3, presence('Cai', 3)]
			]),
			1,
			noCall
		);
		expect(describeChanges(before, after)).toEqual([
			{ kind: 'joined', name: 'Cai' },
			{ kind: 'left', name: 'Ben' }
		]);
		expect(announcementText(describeChanges(before, after))).toBe('Cai joined. Ben left');
		const handUp = toParticipants(
			new Map([
				[1, presence('Ann', 1)],
				[2, presence('Ben', 2, { hand: 9 })]
			]),
			1,
			noCall
		);
		expect(announcementText(describeChanges(before, handUp))).toBe('Ben raised their hand');
		expect(announcementText(describeChanges(handUp, before))).toBe('Ben lowered their hand');
	});
});
