/**
 * Connection quality from `RTCPeerConnection.getStats()`, with field names and units from the W3C
 * "Identifiers for WebRTC's Statistics API" (webrtc-stats, https://www.w3.org/TR/webrtc-stats/):
 * `transport`, `candidate-pair`, `local-candidate`/`remote-candidate`, `inbound-rtp` and
 * `outbound-rtp` objects. Counters there are cumulative, so rates need two reports: `summarize`
 * is the pure computation, {@link StatsSampler} keeps the previous report per connection.
 */

/** What a person sees about one peer connection (remote tile and "Connection details"). */
export interface ConnectionStats {
	/** Round-trip time of the selected ICE candidate pair (ms), or null if not measured yet. */
	rttMs: number | null;
	/** Inbound packets lost over the sampling interval, audio and video together (0…100 %). */
	packetLossPercent: number | null;
	/** Inbound RTP payload bitrate over the sampling interval (kbit/s, 1 kbit = 1000 bit). */
	bitrateInKbps: number | null;
	/** Outbound RTP payload bitrate over the sampling interval (kbit/s). */
	bitrateOutKbps: number | null;
	/** Size of the decoded inbound video (pixels). */
	resolution: { width: number; height: number } | null;
	/** Decoded inbound video frames per second. */
	framesPerSecond: number | null;
	/** `relayed` when either end of the selected pair is a TURN (`relay`) candidate. */
	route: 'direct' | 'relayed' | null;
	/** Overall verdict from {@link connectionQuality}; null when neither RTT nor loss is known. */
	quality: 'good' | 'fair' | 'poor' | null;
	/**
	 * Cumulative counts that grow whenever anything arrives from the peer (`received`) or leaves
	 * for it (`sent`): payload bytes plus STUN requests and responses (`bytesReceived` +
	 * `requestsReceived` + `responsesReceived`, and the same for sending) summed over every
	 * `candidate-pair`. Counted by the browser's network stack, so they are exact even when this
	 * page is too busy to play or draw what arrives. Only whether they changed between two reports
	 * means anything; null when there is no candidate pair.
	 */
	activity: Activity | null;
}

/** See `ConnectionStats.activity`. */
export interface Activity {
	received: number;
	sent: number;
}

/** One stats object (an `RTCStats` dictionary: `id`, `type`, `timestamp` and its own fields). */
export type StatsEntry = Record<string, unknown>;

/**
 * A stats report: a real `RTCStatsReport` (a maplike of id → stats), a `Map`, or an array of
 * stats objects (each with its `id`). Only `forEach` is used.
 */
export interface StatsReportLike {
	forEach(callback: (entry: StatsEntry) => void): void;
}

/**
 * Round-trip time under which a connection counts as good (ms). ITU-T G.114 keeps one-way
 * mouth-to-ear delay ≤ 150 ms for most interactive use; 150 ms RTT (≈ 75 ms one way on the
 * network) leaves room for capture, encoding and the jitter buffer within that budget.
 */
export const GOOD_RTT_MS = 150;
/**
 * Round-trip time over which a connection counts as poor (ms): ≈ 200 ms one way on the network
 * alone, so with processing the mouth-to-ear delay nears G.114's 400 ms limit for planning.
 */
export const POOR_RTT_MS = 400;
/**
 * Loss under which a connection counts as good (%): Google Congestion Control's loss-based
 * controller (draft-ietf-rmcat-gcc-02, as implemented in libwebrtc) raises the send rate below 2 %.
 */
export const GOOD_LOSS_PERCENT = 2;
/** Loss over which a connection counts as poor (%): GCC cuts the send rate above 10 %. */
export const POOR_LOSS_PERCENT = 10;

/**
 * The quality verdict: `good` when RTT < {@link GOOD_RTT_MS} and loss < {@link GOOD_LOSS_PERCENT},
 * `poor` when RTT > {@link POOR_RTT_MS} or loss > {@link POOR_LOSS_PERCENT}, `fair` otherwise. A
 * missing measurement does not count against the connection; both missing gives null.
 *
 * @param rttMs round-trip time (ms) or null.
 * @param lossPercent packet loss (%) or null.
 */
export function connectionQuality(
	rttMs: number | null,
	lossPercent: number | null
): 'good' | 'fair' | 'poor' | null {
	if (rttMs === null && lossPercent === null) return null;
	if ((rttMs ?? 0) > POOR_RTT_MS || (lossPercent ?? 0) > POOR_LOSS_PERCENT) return 'poor';
	if ((rttMs ?? 0) < GOOD_RTT_MS && (lossPercent ?? 0) < GOOD_LOSS_PERCENT) return 'good';
	return 'fair';
}

/**
 * Computes {@link ConnectionStats} from two successive reports of one connection.
 *
 * - Candidate pair: the `transport`'s `selectedCandidatePairId`; else a pair with `selected: true`
 *   (Firefox, non-standard); else a pair with `nominated` and `state === 'succeeded'`.
 *   `currentRoundTripTime` is in seconds and is converted to ms.
 * - Rates compare each `inbound-rtp`/`outbound-rtp` object with the object of the same `id` in
 *   `previous`, over the difference of their `timestamp`s (ms); `intervalMs` is used only when
 *   timestamps are missing. Δbytes·8 / Δms is kbit/s. `bytesReceived`/`bytesSent` exclude RTP
 *   headers and padding (webrtc-stats), so these are payload bitrates.
 * - Loss: Δ`packetsLost` / (Δ`packetsReceived` + Δ`packetsLost`). `packetsLost` may go down
 *   (duplicates, RFC 3550 §6.4.1), so a negative Δ`packetsLost` counts as 0.
 * - A counter that went backwards (the stream was reset) makes that rate null for this interval
 *   rather than negative; so does a missing `previous`, or a stream absent from `previous`.
 * - Resolution and frame rate come from the video `inbound-rtp` with the largest frame; frame rate
 *   falls back to Δ`framesDecoded` / Δt when `framesPerSecond` is absent.
 * - `activity` sums every candidate pair's counters (see {@link ConnectionStats}).
 *
 * @param previous the report from the previous sample of the same connection, or null.
 * @param current the new report.
 * @param intervalMs time between the two reports (ms), used only without `timestamp`s.
 */
export function summarize(
	previous: StatsReportLike | null,
	current: StatsReportLike,
	intervalMs?: number
): ConnectionStats {
	const now = index(current);
	const before = previous ? index(previous) : new Map<string, StatsEntry>();
	const elapsed = (a: StatsEntry, b: StatsEntry): number | null => {
		const t0 = num(a.timestamp);
		const t1 = num(b.timestamp);
		const dt = t0 !== null && t1 !== null ? t1 - t0 : (intervalMs ?? null);
		return dt !== null && dt > 0 ? dt : null;
	};

	const pair = selectedPair(now);
	const rtt = pair ? num(pair.currentRoundTripTime) : null;
	const rttMs = rtt !== null ? rtt * 1000 : null;

	const inbound = ofType(now, 'inbound-rtp');
	const outbound = ofType(now, 'outbound-rtp');

	let packetLossPercent: number | null = null;
	let received = 0;
	let lost = 0;
	let lossValid = inbound.length > 0 && previous !== null;
	for (const entry of inbound) {
		const old = before.get(String(entry.id));
		const dReceived = delta(old, entry, 'packetsReceived');
		const dLost = delta(old, entry, 'packetsLost');
		if (dReceived === null || dReceived < 0 || dLost === null) {
			lossValid = false;
			break;
		}
		received += dReceived;
		lost += Math.max(0, dLost);
	}
	if (lossValid && received + lost > 0) packetLossPercent = (lost / (received + lost)) * 100;

	const rate = (entries: StatsEntry[], field: string): number | null => {
		if (entries.length === 0 || previous === null) return null;
		let kbps = 0;
		for (const entry of entries) {
			const old = before.get(String(entry.id));
			const bytes = delta(old, entry, field);
			const dt = old ? elapsed(old, entry) : null;
			if (bytes === null || bytes < 0 || dt === null) return null;
			kbps += (bytes * 8) / dt;
		}
		return kbps;
	};

	let video: StatsEntry | null = null;
	for (const entry of inbound) {
		if ((entry.kind ?? entry.mediaType) !== 'video') continue;
		if (video === null || area(entry) > area(video)) video = entry;
	}
	const width = video ? num(video.frameWidth) : null;
	const height = video ? num(video.frameHeight) : null;
	let framesPerSecond = video ? num(video.framesPerSecond) : null;
	if (video && framesPerSecond === null) {
		const old = before.get(String(video.id));
		const frames = delta(old, video, 'framesDecoded');
		const dt = old ? elapsed(old, video) : null;
		if (frames !== null && frames >= 0 && dt !== null) framesPerSecond = (frames * 1000) / dt;
	}

	return {
		rttMs,
		packetLossPercent,
		bitrateInKbps: rate(inbound, 'bytesReceived'),
		bitrateOutKbps: rate(outbound, 'bytesSent'),
		resolution: width !== null && height !== null ? { width, height } : null,
		framesPerSecond,
		route: pair ? route(now, pair) : null,
		quality: connectionQuality(rttMs, packetLossPercent),
		activity: activity(now)
	};
}

/**
 * Samples connections repeatedly and keeps each one's previous report (in a `WeakMap`, so closed
 * connections are forgotten with them). Call {@link StatsSampler.sample} on a timer, e.g. every
 * 2 s per remote tile; the first sample of a connection has null rates.
 */
export class StatsSampler {
	#previous = new WeakMap<RTCPeerConnection, { report: RTCStatsReport; at: number }>();

	/**
	 * Reads `pc.getStats()` and summarizes it against the previous sample of `pc`.
	 *
	 * @throws whatever `getStats()` rejects with.
	 */
	async sample(pc: RTCPeerConnection): Promise<ConnectionStats> {
		const report = await pc.getStats();
		const at = performance.now();
		const previous = this.#previous.get(pc);
		this.#previous.set(pc, { report, at });
		return summarize(previous?.report ?? null, report, previous ? at - previous.at : undefined);
	}

	/** Drops the previous sample of `pc` (e.g. after an ICE restart), so rates start afresh. */
	forget(pc: RTCPeerConnection): void {
		this.#previous.delete(pc);
	}
}

function index(report: StatsReportLike): Map<string, StatsEntry> {
	const byId = new Map<string, StatsEntry>();
	report.forEach((entry) => {
		if (typeof entry.id === 'string') byId.set(entry.id, entry);
	});
	return byId;
}

function ofType(report: Map<string, StatsEntry>, type: string): StatsEntry[] {
	return [...report.values()].filter((entry) => entry.type === type);
}

function num(value: unknown): number | null {
	return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function delta(old: StatsEntry | undefined, entry: StatsEntry, field: string): number | null {
	const a = old ? num(old[field]) : null;
	const b = num(entry[field]);
	return a !== null && b !== null ? b - a : null;
}

function area(entry: StatsEntry): number {
	return (num(entry.frameWidth) ?? 0) * (num(entry.frameHeight) ?? 0);
}

function selectedPair(report: Map<string, StatsEntry>): StatsEntry | null {
	for (const transport of ofType(report, 'transport')) {
		const id = transport.selectedCandidatePairId;
		const pair = typeof id === 'string' ? report.get(id) : undefined;
		if (pair) return pair;
	}
	const pairs = ofType(report, 'candidate-pair');
	return (
		pairs.find((pair) => pair.selected === true) ??
		pairs.find((pair) => pair.nominated === true && pair.state === 'succeeded') ??
		null
	);
}

function activity(report: Map<string, StatsEntry>): Activity | null {
	const pairs = ofType(report, 'candidate-pair');
	if (pairs.length === 0) return null;
	const total = (direction: 'Received' | 'Sent') =>
		pairs.reduce(
			(sum, pair) =>
				sum +
				(num(pair[`bytes${direction}`]) ?? 0) +
				(num(pair[`requests${direction}`]) ?? 0) +
				(num(pair[`responses${direction}`]) ?? 0),
			0
		);
	return { received: total('Received'), sent: total('Sent') };
}

function route(report: Map<string, StatsEntry>, pair: StatsEntry): 'direct' | 'relayed' | null {
	const types = [pair.localCandidateId, pair.remoteCandidateId].map((id) =>
		typeof id === 'string' ? report.get(id)?.candidateType : undefined
	);
	if (types.includes('relay')) return 'relayed';
	return types.every((type) => typeof type === 'string') ? 'direct' : null;
}
