import { describe, expect, it } from 'vitest';
import type { Participant } from '$lib/meeting/meeting.svelte';
import { spotlight } from './layout';

function person(id: number, extra: Partial<Participant> = {}): Participant {
	return {
		id,
		self: false,
		personId: `p${id}`,
		name: `P${id}`,
		color: '#1565c0',
		peerId: `peer${id}`,
		media: { mic: true, cam: true, screen: false },
		hand: null,
		reaction: null,
		notViewing: [],
		recording: null,
		joinedAt: id,
		stream: null,
		connection: 'connected',
		...extra
	};
}

describe('spotlight', () => {
	const me = person(1, { self: true, connection: null });
	const ann = person(2);
	const ben = person(3);

	it('is an equal grid in Auto and Grid with nothing special going on', () => {
		expect(spotlight([me, ann, ben], 'auto', null, 3)).toBeNull();
		expect(spotlight([me, ann, ben], 'grid', null, 3)).toBeNull();
	});

	it('puts a pinned tile large in every layout', () => {
		for (const layout of ['auto', 'grid', 'speaker'] as const) {
			expect(spotlight([me, ann, ben], layout, 1, 3)).toBe(me);
		}
	});

	it('shows a shared screen large, others before your own, but not in Grid', () => {
		const sharing = person(3, { media: { mic: true, cam: true, screen: true } });
		const meSharing = { ...me, media: { ...me.media, screen: true } };
		expect(spotlight([meSharing, ann, sharing], 'auto', null, null)).toBe(sharing);
		expect(spotlight([meSharing, ann, ben], 'auto', null, null)).toBe(meSharing);
		expect(spotlight([meSharing, ann, sharing], 'grid', null, null)).toBeNull();
	});

	it('shows the latest speaker in Speaker, never yourself', () => {
		expect(spotlight([me, ann, ben], 'speaker', null, 3)).toBe(ben);
		expect(spotlight([me, ann, ben], 'speaker', null, 1)).toBe(ann);
		expect(spotlight([me, ann, ben], 'speaker', null, null)).toBe(ann);
		expect(spotlight([me], 'speaker', null, null)).toBeNull();
	});
});
