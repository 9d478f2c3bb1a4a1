import type { Participant } from '$lib/meeting/meeting.svelte';

/** How the call's tiles are arranged: Auto (grid, or a shared screen large), Grid, Speaker. */
export type Layout = 'auto' | 'grid' | 'speaker';

/**
 * Who is shown large: the pinned participant; else, except in Grid, someone sharing a screen
 * (others' screens before your own); else, in Speaker, the most recent active speaker (or the
 * first other participant). Null: everyone in an equal grid.
 *
 * @param pinned participant id of the pinned tile, or null.
 * @param lastSpeaker participant id of the most recent active speaker, or null.
 */
export function spotlight(
	participants: Participant[],
	layout: Layout,
	pinned: number | null,
	lastSpeaker: number | null
): Participant | null {
	const pin = participants.find((p) => p.id === pinned);
	if (pin) return pin;
	if (layout !== 'grid') {
		const sharing =
			participants.find((p) => p.media.screen && !p.self) ??
			participants.find((p) => p.media.screen);
		if (sharing) return sharing;
	}
	if (layout === 'speaker' && participants.length > 1) {
		return (
			participants.find((p) => p.id === lastSpeaker && !p.self) ??
			participants.find((p) => !p.self) ??
			null
		);
	}
	return null;
}
