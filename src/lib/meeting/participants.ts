import type { Presence } from '$lib/room/presence';

/** How the call with a participant looks to a person. */
export type CallState = 'connecting' | 'connected' | 'reconnecting';

/** One tile / one row of the participants list. */
export interface Participant {
	/**
	 * The participant id: their awareness client id (unique per tab and visit). Tiles, statistics,
	 * speakers and pins are all keyed by it.
	 */
	id: number;
	self: boolean;
	personId: string;
	name: string;
	color: string;
	peerId: string | null;
	media: Presence['media'];
	/** When their hand went up (ms since the epoch), or null. */
	hand: number | null;
	/** Their latest reaction, while it is on screen. */
	reaction: Presence['reaction'];
	/** Peer ids whose video they do not show now. */
	notViewing: string[];
	/** When they joined (ms since the epoch), if known. */
	joinedAt: number | null;
	/** Set while they record the meeting. */
	recording: Presence['recording'];
	/** Their media (for yourself: your camera or screen). */
	stream: MediaStream | null;
	/** The call's state; null for yourself. */
	connection: CallState | null;
}

/** What the mesh knows about the call with one remote peer. */
export interface CallInfo {
	stream: MediaStream | null;
	connection: CallState;
}

/**
 * The tiles of a meeting from its awareness: you first, then everyone by the time they joined
 * (the same order on every device), ties broken by participant id.
 *
 * @param presences participant id (awareness client id) → well-formed presence (`readPresence`).
 * @param selfId this tab's participant id.
 * @param call what the mesh knows about the call with a peer id.
 */
export function toParticipants(
	presences: ReadonlyMap<number, Presence>,
	selfId: number,
	call: (peerId: string) => CallInfo
): Participant[] {
	const participants: Participant[] = [];
	for (const [id, p] of presences) {
		const self = id === selfId;
		const info = self ? null : p.peerId ? call(p.peerId) : null;
		participants.push({
			id,
			self,
			personId: p.user.id,
			name: p.user.name,
			color: p.user.color,
			peerId: p.peerId,
			media: p.media,
			hand: p.hand,
			reaction: p.reaction,
			notViewing: p.notViewing,
			joinedAt: p.joinedAt,
			recording: p.recording,
			stream: info?.stream ?? null,
			connection: self ? null : (info?.connection ?? 'connecting')
		});
	}
	const rank = (p: Participant) => (p.self ? -Infinity : (p.joinedAt ?? Infinity));
	return participants.sort((a, b) => rank(a) - rank(b) || a.id - b.id);
}

/** Something about the room worth announcing; `ui/messages.ts` says it in words. */
export type Announcement =
	| {
			kind:
				| 'joined'
				| 'left'
				| 'raised-hand'
				| 'lowered-hand'
				| 'started-recording'
				| 'stopped-recording';
			name: string;
	  }
	| { kind: 'hand-auto-lowered' };

/**
 * What changed between two participant lists, for the `aria-live` region ("Ann joined. Ben
 * raised their hand."). Your own changes are not announced; nothing is announced before the first
 * list (joining).
 */
export function describeChanges(before: Participant[], after: Participant[]): Announcement[] {
	if (before.length === 0) return [];
	const previous = new Map(before.map((p) => [p.id, p]));
	const changes: Announcement[] = [];
	for (const p of after) {
		const was = previous.get(p.id);
		previous.delete(p.id);
		if (p.self) continue;
		if (!was) {
			changes.push({ kind: 'joined', name: p.name });
			if (p.recording) changes.push({ kind: 'started-recording', name: p.name });
			continue;
		}
		if (p.recording && !was.recording) changes.push({ kind: 'started-recording', name: p.name });
		else if (!p.recording && was.recording)
			changes.push({ kind: 'stopped-recording', name: p.name });
		if (p.hand !== null && was.hand === null) changes.push({ kind: 'raised-hand', name: p.name });
		else if (p.hand === null && was.hand !== null)
			changes.push({ kind: 'lowered-hand', name: p.name });
	}
	for (const p of previous.values()) {
		if (p.self) continue;
		changes.push({ kind: 'left', name: p.name });
		if (p.recording) changes.push({ kind: 'stopped-recording', name: p.name });
	}
	return changes;
}
