import type { Activity } from './stats';

/**
 * How long each call's remote side has sent nothing at all, judged from successive statistics.
 *
 * A live participant always sends: Opus audio every 20 ms (silence included: a muted microphone
 * sends silent frames, a missing one a silent placeholder track), and ICE consent checks
 * (RFC 7675) on the selected candidate pair. So a call that stays `connected` while nothing
 * arrives for seconds belongs to a browser that crashed or lost its network. Chromium itself
 * notices only when consent checks go unanswered, 6–8 s later.
 *
 * The evidence is the activity counters of `getStats()` (`activity` of `ConnectionStats` in
 * stats.ts), counted by the browser's network stack. Silence is measured between observations
 * only, and only over intervals in which we ourselves sent something on that call: a page or a
 * machine too busy to sample, send or read for a while has no evidence that the peer went quiet,
 * and concludes nothing. (Playout-based signals such as `getSynchronizationSources()` are not
 * used: they stop when this page stops playing a track, for instance because it removed the tile.)
 */
export class ReceiveSilence {
	#seen = new Map<string, { activity: Activity; silentMs: number; observedAt: number }>();

	/**
	 * Records one observation of a call's activity counters.
	 *
	 * @param key the call's remote peer id
	 * @param activity the counters (any change of `received`, even down after a reset, is an
	 *   arrival; an interval in which `sent` did not change either does not count as silence)
	 * @param now when they were read (ms, any monotonic clock used consistently)
	 */
	observe(key: string, activity: Activity, now: number): void {
		const seen = this.#seen.get(key);
		if (!seen || seen.activity.received !== activity.received) {
			this.#seen.set(key, { activity, silentMs: 0, observedAt: now });
			return;
		}
		if (seen.activity.sent !== activity.sent) seen.silentMs += now - seen.observedAt;
		seen.activity = activity;
		seen.observedAt = now;
	}

	/**
	 * How long the call has been seen to receive nothing while we kept sending (ms), summed over
	 * the observations since the last arrival; 0 for a call never observed.
	 */
	silentFor(key: string): number {
		return this.#seen.get(key)?.silentMs ?? 0;
	}

	/** Forgets a call (it ended, or a fresh call replaces it). */
	forget(key: string): void {
		this.#seen.delete(key);
	}
}
