import type { Reaction } from '$lib/room/presence';
import thumbsUp from '@twemoji/svg/1f44d.svg?url';
import heart from '@twemoji/svg/2764.svg?url';
import laugh from '@twemoji/svg/1f602.svg?url';
import clap from '@twemoji/svg/1f44f.svg?url';
import surprised from '@twemoji/svg/1f62e.svg?url';

/**
 * The picture shown for each reaction: Twemoji SVGs (CC-BY 4.0, `@twemoji/svg`) bundled into the
 * app, so reactions look the same everywhere, system emoji font or not. Their accessible name is the
 * reaction's name.
 */
export const REACTION_IMAGES: Record<Reaction, string> = {
	'Thumbs up': thumbsUp,
	Heart: heart,
	Laugh: laugh,
	Clap: clap,
	Surprised: surprised
};
