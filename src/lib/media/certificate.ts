import { get, set } from 'idb-keyval';

const KEY = 'confer-dtls-certificate';
/** Renew when less than this is left (ms): a certificate must outlive the calls made with it. */
const RENEW_BEFORE_MS = 24 * 60 * 60 * 1000;

/**
 * This device's DTLS certificate: generated once (ECDSA P-256, as browsers do by default),
 * kept in IndexedDB (RTCCertificate is structured-cloneable) and renewed before it expires.
 * Its fingerprint is announced in the room's encrypted awareness so peers can check that a call
 * really comes from a member (ARCHITECTURE.md, "The call link" and "Trust model").
 */
export async function loadCertificate(): Promise<RTCCertificate> {
	try {
		const stored = await get<RTCCertificate>(KEY);
		if (stored && stored.expires - Date.now() > RENEW_BEFORE_MS) return stored;
	} catch {
		// IndexedDB unavailable (private mode in some browsers): use a per-session certificate.
	}
	const certificate = await RTCPeerConnection.generateCertificate({
		name: 'ECDSA',
		namedCurve: 'P-256'
	} as EcKeyGenParams);
	await set(KEY, certificate).catch(() => undefined);
	return certificate;
}

/**
 * The certificate's SHA-256 fingerprint in SDP form: `sha-256 AB:CD:…` (RFC 8122 §5).
 *
 * @throws Error when the browser offers no SHA-256 fingerprint.
 */
export function certificateFingerprint(certificate: RTCCertificate): string {
	const fingerprint = certificate.getFingerprints().find((f) => f.algorithm === 'sha-256');
	if (!fingerprint?.value) throw new Error('The browser gave no SHA-256 certificate fingerprint');
	return `sha-256 ${fingerprint.value.toUpperCase()}`;
}
