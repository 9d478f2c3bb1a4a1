/** The part of an `RTCPeerConnection` that {@link RtpSilence} reads. */
export interface RtpReceiving {
	getReceivers(): { getSynchronizationSources(): { timestamp: number }[] }[];
}

/**
 * How long each call's remote side has sent no RTP at all, seen from here.
 *
 * A participant always sends audio (Opus packets every 20 ms, silence included: a muted microphone
 * sends silent frames, a missing one a silent placeholder track), so a call that stays `connected`
 * while no packet arrives for seconds belongs to a browser that crashed or lost its network.
 * Chromium notices only when ICE consent checks (RFC 7675) go unanswered, 6–8 s later.
 *
 * Reads `RTCRtpReceiver.getSynchronizationSources()` (WebRTC 1.0, § 5.4: the timestamp of the
 * most recent packet from each source over the last 10 s): a cheap, synchronous call. Only
 * whether that timestamp changed between observations is used, so the clock it is expressed in
 * does not matter.
 */
export class RtpSilence {
	#seen = new Map<string, { newest: number; since: number }>();

	/**
	 * Observes `pc` and returns how long its remote side has been silent (ms): 0 while packets
	 * arrive, and until the first packet was seen (a call just set up is not silent).
	 *
	 * @param key the call's remote peer id
	 * @param now the current time (ms, any monotonic clock used consistently)
	 */
	silentFor(key: string, pc: RtpReceiving, now: number): number {
		let newest = -Infinity;
		for (const receiver of pc.getReceivers()) {
			for (const source of receiver.getSynchronizationSources()) {
				newest = Math.max(newest, source.timestamp);
			}
		}
		const seen = this.#seen.get(key);
		if (newest === -Infinity && !seen) return 0;
		if (!seen || newest > seen.newest) {
			this.#seen.set(key, { newest, since: now });
			return 0;
		}
		return now - seen.since;
	}

	/** Forgets a call (it ended, or a fresh call replaces it). */
	forget(key: string) {
		this.#seen.delete(key);
	}
}
