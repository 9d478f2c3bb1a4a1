import { describe, expect, it } from 'vitest';
import { sdpFingerprints, sdpMatchesFingerprint } from './sdp';

const FP =
	'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89';
const sdp = (...lines: string[]) =>
	['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', ...lines, ''].join('\r\n');

describe('DTLS fingerprints in SDP', () => {
	it('reads session- and media-level fingerprints, normalised', () => {
		const text = sdp(
			`a=fingerprint:SHA-256 ${FP.toLowerCase()}`,
			'm=audio 9 UDP/TLS/RTP/SAVPF 111',
			`a=fingerprint:sha-256 ${FP}`
		);
		expect(sdpFingerprints(text)).toEqual([`sha-256 ${FP}`]);
		expect(sdpMatchesFingerprint(text, `sha-256 ${FP}`)).toBe(true);
	});

	it('refuses an SDP without a fingerprint, with another one, or with an extra one', () => {
		const other = FP.replace(/^AB/, 'AC');
		expect(sdpMatchesFingerprint(sdp('m=audio 9 UDP/TLS/RTP/SAVPF 111'), `sha-256 ${FP}`)).toBe(
			false
		);
		expect(sdpMatchesFingerprint(sdp(`a=fingerprint:sha-256 ${other}`), `sha-256 ${FP}`)).toBe(
			false
		);
		const spliced = sdp(
			`a=fingerprint:sha-256 ${FP}`,
			'm=video 9 UDP/TLS/RTP/SAVPF 96',
			`a=fingerprint:sha-256 ${other}`
		);
		expect(sdpMatchesFingerprint(spliced, `sha-256 ${FP}`)).toBe(false);
	});
});
