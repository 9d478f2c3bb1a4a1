import type { Reaction } from '$lib/room/presence';

/** The emoji shown for each reaction (its accessible name is the reaction's name). */
export const REACTION_EMOJI: Record<Reaction, string> = {
	'Thumbs up': '👍',
	Heart: '❤️',
	Laugh: '😂',
	Clap: '👏',
	Surprised: '😮'
};
