/**
 * The room's video cap (`/config.json` `room.videoCap`): every sender encodes once per peer, so past
 * the cap a bigger mesh would fail everyone. The latest to send video steps back to audio only.
 */

/** What the ranking needs of a participant. */
export interface VideoSender {
	/** Participant id (awareness client id): breaks ties the same way on every device. */
	id: number;
	self: boolean;
	media: { cam: boolean; screen: boolean };
	/** When they joined (ms since the epoch); unknown counts as latest. */
	joinedAt: number | null;
}

const sendsVideo = (p: VideoSender) => p.media.cam || p.media.screen;

/**
 * Whether this person must turn video off: they send video, and at least `cap` people who joined
 * before them (ties broken by participant id) send video too. Every device ranks by the same
 * facts, so only the newest senders step back, and each decides for itself.
 */
export function mustStepBack(participants: readonly VideoSender[], cap: number): boolean {
	const senders = participants
		.filter(sendsVideo)
		.sort((a, b) => (a.joinedAt ?? Infinity) - (b.joinedAt ?? Infinity) || a.id - b.id);
	const rank = senders.findIndex((p) => p.self);
	return rank >= cap;
}

/** Whether the others already fill the cap, so this person cannot turn video on. */
export function videoFull(participants: readonly VideoSender[], cap: number): boolean {
	return participants.filter((p) => !p.self && sendsVideo(p)).length >= cap;
}
