import type { CallState } from '$lib/media/mesh';
import type { Presence } from '$lib/room/presence';

/** One tile / one row of the participants list. */
export interface Participant {
	/** Awareness client id (unique per tab). */
	clientId: number;
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
 * (the same order on every device), ties broken by awareness client id.
 *
 * @param presences awareness client id → well-formed presence (from `readPresence`).
 * @param selfClientId this tab's awareness client id.
 * @param call what the mesh knows about the call with a peer id.
 */
export function toParticipants(
	presences: ReadonlyMap<number, Presence>,
	selfClientId: number,
	call: (peerId: string) => CallInfo
): Participant[] {
	const participants: Participant[] = [];
	for (const [clientId, p] of presences) {
		const self = clientId === selfClientId;
		const info = !self && p.peerId ? call(p.peerId) : null;
		participants.push({
			clientId,
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
			stream: info?.stream ?? null,
			connection: info?.connection ?? null
		});
	}
	const rank = (p: Participant) => (p.self ? -Infinity : (p.joinedAt ?? Infinity));
	return participants.sort((a, b) => rank(a) - rank(b) || a.clientId - b.clientId);
}

/**
 * What changed for a screen reader's `aria-live` region: "Ann joined. Ben raised their hand."
 * Your own changes are not announced; nothing is announced before the first list (joining).
 *
 * @returns the sentences joined by ". ", or '' when nothing worth saying changed.
 */
export function describeChanges(before: Participant[], after: Participant[]): string {
	if (before.length === 0) return '';
	const previous = new Map(before.map((p) => [p.clientId, p]));
	const lines: string[] = [];
	for (const p of after) {
		const was = previous.get(p.clientId);
		previous.delete(p.clientId);
		if (p.self) continue;
		if (!was) lines.push(`${p.name} joined`);
		else if (p.hand !== null && was.hand === null) lines.push(`${p.name} raised their hand`);
		else if (p.hand === null && was.hand !== null) lines.push(`${p.name} lowered their hand`);
	}
	for (const p of previous.values()) if (!p.self) lines.push(`${p.name} left`);
	return lines.join('. ');
}
