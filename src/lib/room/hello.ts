import { MAX_ID_LENGTH } from './sanitize';

/**
 * A member's hello on the room's signaling topic (ARCHITECTURE.md, "Joining in parallel"): its
 * PeerJS id and DTLS fingerprint, so media calls start without waiting for the y-webrtc data
 * connection to carry awareness. Sent encrypted with the room key (`RoomSync.publish`), so the
 * relay learns nothing, and trusted exactly as awareness is: only members hold the key.
 */
export type Hello = {
	type: 'confer/hello';
	/** the sender's PeerJS id */
	peerId: string;
	/** the DTLS fingerprint its calls present (`sha-256 AB:…`, RFC 8122) */
	dtls: string;
	/** the PeerJS id this hello answers, or null for an announcement to everyone */
	to: string | null;
};

/** Longest fingerprint accepted: `sha-512` plus 64 colon-separated hex bytes is 199 characters. */
const MAX_FINGERPRINT_LENGTH = 256;

function readString(value: unknown, max: number): string | null {
	return typeof value === 'string' && value !== '' && value.length <= max ? value : null;
}

/**
 * Reads a hello sent by any member.
 *
 * @returns a fresh, well-formed {@link Hello}, or null when the message is not one
 */
export function toHello(message: Record<string, unknown>): Hello | null {
	if (message.type !== 'confer/hello') return null;
	const peerId = readString(message.peerId, MAX_ID_LENGTH);
	const dtls = readString(message.dtls, MAX_FINGERPRINT_LENGTH);
	const to = message.to === null ? null : readString(message.to, MAX_ID_LENGTH);
	if (peerId === null || dtls === null || (message.to !== null && to === null)) return null;
	return { type: 'confer/hello', peerId, dtls, to };
}
