/**
 * The DTLS fingerprints an SDP declares (`a=fingerprint:<hash> <hex>`, RFC 8122 §5), normalised
 * to `sha-256 AB:CD:…` (hash function lowercase, hex uppercase). Session- and media-level lines
 * are both returned, deduplicated.
 */
export function sdpFingerprints(sdp: string): string[] {
	const found = new Set<string>();
	for (const match of sdp.matchAll(/^a=fingerprint:(\S+) ([0-9A-Fa-f:]+)\s*$/gm)) {
		const [, hash = '', value = ''] = match;
		found.add(`${hash.toLowerCase()} ${value.toUpperCase()}`);
	}
	return [...found];
}

/**
 * Whether an SDP proves the expected certificate: it declares at least one fingerprint and every
 * fingerprint it declares equals `expected` (so a relay cannot add or swap one).
 */
export function sdpMatchesFingerprint(sdp: string, expected: string): boolean {
	const fingerprints = sdpFingerprints(sdp);
	return fingerprints.length > 0 && fingerprints.every((f) => f === expected);
}
