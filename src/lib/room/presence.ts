import type { Awareness } from 'y-protocols/awareness';
import { isRecord, MAX_ID_LENGTH, readFinite, readId, readName } from './sanitize';

/**
 * A participant's awareness state (ARCHITECTURE.md, "Presence"), set with `awareness.setLocalState`.
 * Carried by y-webrtc only through the encrypted room channel.
 */
export type Presence = {
	/** profile id, display name, avatar colour (`#rrggbb`) */
	user: { id: string; name: string; color: string };
	/** the PeerJS peer id of this participant's media mesh, null until the mesh is up */
	peerId: string | null;
	/**
	 * the y-webrtc peer id of this participant's room connection (random per connection), so peers
	 * can tell whether their data connection to it is alive; null when not connected to the relay
	 */
	syncId: string | null;
	/**
	 * the DTLS certificate fingerprint media calls must present, as in an SDP `a=fingerprint`
	 * attribute (`sha-256 AB:CD:…`, RFC 8122), null until known
	 */
	dtls: string | null;
	/** what this participant is sending */
	media: { mic: boolean; cam: boolean; screen: boolean };
	/** when this participant joined the call (ms since the epoch), null if unknown */
	joinedAt: number | null;
	/** when the hand was raised (ms since the epoch), null when it is down */
	hand: number | null;
	/** the latest reaction sent (shown for a few seconds; never stored in the room document) */
	reaction: { name: Reaction; at: number } | null;
	/** peer ids whose video this participant does not show now (their senders may pause it) */
	notViewing: string[];
	/** SHA-256 (hex) of the files shared in this meeting that this participant holds and serves */
	files: string[];
	/** set while this participant records the meeting: since when (ms since the epoch), paused or not */
	recording: { since: number; paused: boolean } | null;
};

/** The reactions a participant can send, by accessible name. */
export const REACTIONS = ['Thumbs up', 'Heart', 'Laugh', 'Clap', 'Surprised'] as const;
export type Reaction = (typeof REACTIONS)[number];

/** Most peer ids accepted in `notViewing` (the mesh is far smaller). */
const MAX_NOT_VIEWING = 64;
/** Most file hashes accepted in `files`. */
const MAX_FILES = 1024;
const SHA256_HEX = /^[0-9a-f]{64}$/;

const COLOR_PATTERN = /^#[0-9a-f]{6}$/i;

/** Longest fingerprint accepted: `sha-512` plus 64 colon-separated hex bytes is 199 characters. */
const MAX_FINGERPRINT_LENGTH = 256;

function readNullableId(value: unknown, max: number): string | null | undefined {
	if (value === null) return null;
	return typeof value === 'string' && value !== '' && value.length <= max ? value : undefined;
}

/**
 * Reads one awareness state written by any peer.
 *
 * @returns a fresh, well-formed {@link Presence} (name trimmed and cut to length), or null when the
 *   state does not have the shape (missing fields, wrong types, a colour that is not `#rrggbb`)
 */
export function toPresence(state: unknown): Presence | null {
	if (!isRecord(state) || !isRecord(state.user) || !isRecord(state.media)) return null;
	const { user, media } = state;
	const id = readId(user.id);
	const name = readName(user.name);
	const color =
		typeof user.color === 'string' && COLOR_PATTERN.test(user.color) ? user.color : null;
	const peerId = readNullableId(state.peerId, MAX_ID_LENGTH);
	const dtls = readNullableId(state.dtls, MAX_FINGERPRINT_LENGTH);
	const { mic, cam, screen } = media;
	if (id === null || name === null || color === null || peerId === undefined || dtls === undefined)
		return null;
	if (typeof mic !== 'boolean' || typeof cam !== 'boolean' || typeof screen !== 'boolean')
		return null;
	return {
		user: { id, name, color },
		peerId,
		syncId: readNullableId(state.syncId, MAX_ID_LENGTH) ?? null,
		dtls,
		media: { mic, cam, screen },
		joinedAt: readFinite(state.joinedAt),
		hand: readFinite(state.hand),
		reaction: readReaction(state.reaction),
		notViewing: Array.isArray(state.notViewing)
			? state.notViewing
					.slice(0, MAX_NOT_VIEWING)
					.filter((id): id is string => readNullableId(id, MAX_ID_LENGTH) != null)
			: [],
		files: Array.isArray(state.files)
			? state.files
					.slice(0, MAX_FILES)
					.filter((sha): sha is string => typeof sha === 'string' && SHA256_HEX.test(sha))
			: [],
		recording: readRecording(state.recording)
	};
}

/** Optional fields are read leniently: a peer on an older version simply has none. */
function readReaction(value: unknown): Presence['reaction'] {
	if (!isRecord(value)) return null;
	const name = REACTIONS.find((r) => r === value.name);
	const at = readFinite(value.at);
	return name && at !== null ? { name, at } : null;
}

function readRecording(value: unknown): Presence['recording'] {
	if (!isRecord(value)) return null;
	const since = readFinite(value.since);
	return since === null ? null : { since, paused: value.paused === true };
}

/**
 * Reads every participant's presence from an awareness instance, including this device's own
 * (key `awareness.clientID`). States that are not well-formed {@link Presence} objects are left out.
 *
 * @returns awareness client id (the Yjs `doc.clientID` of each replica) → presence
 */
export function readPresence(awareness: Awareness): Map<number, Presence> {
	const result = new Map<number, Presence>();
	for (const [clientID, state] of awareness.getStates()) {
		const presence = toPresence(state);
		if (presence !== null) result.set(clientID, presence);
	}
	return result;
}
