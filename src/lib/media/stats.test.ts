import { describe, expect, it } from 'vitest';
import { StatsSampler, connectionQuality, summarize, type StatsEntry } from './stats';

/** A report like Chromium's: transport → selected pair → candidates, plus RTP streams. */
function report(
	at: number,
	options: {
		rttS?: number;
		localType?: string;
		remoteType?: string;
		video?: Partial<Record<string, number>>;
		audio?: Partial<Record<string, number>>;
		bytesSent?: number;
		pair?: Partial<Record<string, number>>;
	}
): Map<string, StatsEntry> {
	const entries: StatsEntry[] = [
		{ id: 'T01', type: 'transport', timestamp: at, selectedCandidatePairId: 'CP1' },
		{
			id: 'CP1',
			type: 'candidate-pair',
			timestamp: at,
			localCandidateId: 'L1',
			remoteCandidateId: 'R1',
			nominated: true,
			state: 'succeeded',
			currentRoundTripTime: options.rttS,
			...options.pair
		},
		{ id: 'L1', type: 'local-candidate', timestamp: at, candidateType: options.localType },
		{ id: 'R1', type: 'remote-candidate', timestamp: at, candidateType: options.remoteType }
	];
	if (options.video) {
		entries.push({ id: 'IV', type: 'inbound-rtp', kind: 'video', timestamp: at, ...options.video });
	}
	if (options.audio) {
		entries.push({ id: 'IA', type: 'inbound-rtp', kind: 'audio', timestamp: at, ...options.audio });
	}
	if (options.bytesSent !== undefined) {
		entries.push({
			id: 'OV',
			type: 'outbound-rtp',
			kind: 'video',
			timestamp: at,
			bytesSent: options.bytesSent
		});
	}
	return new Map(entries.map((e) => [String(e.id), e]));
}

const first = report(10_000, {
	rttS: 0.05,
	localType: 'host',
	remoteType: 'srflx',
	video: {
		bytesReceived: 1_000_000,
		packetsReceived: 1000,
		packetsLost: 10,
		frameWidth: 640,
		frameHeight: 360,
		framesPerSecond: 29
	},
	audio: { bytesReceived: 50_000, packetsReceived: 500, packetsLost: 0 },
	bytesSent: 2_000_000
});
const second = report(12_000, {
	rttS: 0.05,
	localType: 'host',
	remoteType: 'srflx',
	video: {
		bytesReceived: 1_250_000,
		packetsReceived: 1190,
		packetsLost: 20,
		frameWidth: 1280,
		frameHeight: 720,
		framesPerSecond: 30
	},
	audio: { bytesReceived: 58_000, packetsReceived: 600, packetsLost: 0 },
	bytesSent: 2_500_000
});

describe('summarize', () => {
	it('computes exact bitrates and loss between two samples', () => {
		expect(summarize(first, second)).toEqual({
			rttMs: 50,
			// 10 lost of 190 + 100 received + 10 lost
			packetLossPercent: (10 / 300) * 100,
			// (250 000 + 8 000) bytes · 8 / 2000 ms
			bitrateInKbps: 1032,
			// 500 000 bytes · 8 / 2000 ms
			bitrateOutKbps: 2000,
			resolution: { width: 1280, height: 720 },
			framesPerSecond: 30,
			route: 'direct',
			quality: 'fair',
			activity: { received: 0, sent: 0 }
		});
	});

	it('accepts arrays and has null rates without a previous report', () => {
		const stats = summarize(null, [...first.values()]);
		expect(stats.bitrateInKbps).toBeNull();
		expect(stats.bitrateOutKbps).toBeNull();
		expect(stats.packetLossPercent).toBeNull();
		expect(stats.rttMs).toBe(50);
		expect(stats.quality).toBe('good');
		expect(stats.resolution).toEqual({ width: 640, height: 360 });
	});

	it('counts activity over every candidate pair: payload bytes and STUN traffic, each way', () => {
		const pair = { bytesReceived: 1000, requestsReceived: 7, responsesReceived: 5, bytesSent: 900 };
		const pairs = [
			...report(0, { pair }).values(),
			{ id: 'CP2', type: 'candidate-pair', bytesReceived: 30, requestsReceived: 2, requestsSent: 4 }
		];
		expect(summarize(null, pairs).activity).toEqual({
			received: 1000 + 7 + 5 + 30 + 2,
			sent: 900 + 4
		});
		const stunOnly = report(0, { pair: { requestsReceived: 3 } });
		expect(summarize(null, stunOnly).activity).toEqual({ received: 3, sent: 0 });
	});

	it('says relayed when either candidate is a TURN relay', () => {
		const local = report(0, { localType: 'relay', remoteType: 'host' });
		const remote = report(0, { localType: 'host', remoteType: 'relay' });
		expect(summarize(null, local).route).toBe('relayed');
		expect(summarize(null, remote).route).toBe('relayed');
	});

	it('falls back to the nominated, succeeded pair without transport stats', () => {
		const entries = [...report(0, { rttS: 0.2, localType: 'relay', remoteType: 'host' }).values()]
			.filter((e) => e.type !== 'transport')
			.concat({ id: 'CP0', type: 'candidate-pair', nominated: false, state: 'failed' });
		const stats = summarize(null, entries);
		expect(stats.rttMs).toBe(200);
		expect(stats.route).toBe('relayed');
	});

	it('gives nulls for missing fields', () => {
		expect(summarize(null, [])).toEqual({
			rttMs: null,
			packetLossPercent: null,
			bitrateInKbps: null,
			bitrateOutKbps: null,
			resolution: null,
			framesPerSecond: null,
			route: null,
			quality: null,
			activity: null
		});
		const bare = report(0, { video: {}, audio: {} });
		const later = report(1000, { video: {}, audio: {} });
		const stats = summarize(bare, later);
		expect(stats.rttMs).toBeNull();
		expect(stats.route).toBeNull();
		expect(stats.bitrateInKbps).toBeNull();
		expect(stats.packetLossPercent).toBeNull();
		expect(stats.resolution).toBeNull();
		expect(stats.framesPerSecond).toBeNull();
	});

	it('gives null, not a negative rate, when counters were reset', () => {
		const reset = report(14_000, {
			video: { bytesReceived: 1000, packetsReceived: 10, packetsLost: 0 },
			audio: { bytesReceived: 100, packetsReceived: 5, packetsLost: 0 },
			bytesSent: 100
		});
		const stats = summarize(second, reset);
		expect(stats.bitrateInKbps).toBeNull();
		expect(stats.bitrateOutKbps).toBeNull();
		expect(stats.packetLossPercent).toBeNull();
	});

	it('counts a falling packetsLost (duplicates) as no loss', () => {
		const a = report(0, { audio: { packetsReceived: 100, packetsLost: 5 } });
		const b = report(1000, { audio: { packetsReceived: 200, packetsLost: 3 } });
		expect(summarize(a, b).packetLossPercent).toBe(0);
	});

	it('uses intervalMs when the stats carry no timestamps', () => {
		const strip = (r: Map<string, StatsEntry>) =>
			[...r.values()].map(({ timestamp: _timestamp, ...rest }) => rest);
		expect(summarize(strip(first), strip(second), 4000).bitrateOutKbps).toBe(1000);
		expect(summarize(strip(first), strip(second)).bitrateOutKbps).toBeNull();
	});

	it('derives the frame rate from framesDecoded when framesPerSecond is absent', () => {
		const a = report(0, { video: { framesDecoded: 100 } });
		const b = report(2000, { video: { framesDecoded: 130 } });
		expect(summarize(a, b).framesPerSecond).toBe(15);
	});
});

describe('connectionQuality', () => {
	it('sorts RTT and loss into good, fair and poor', () => {
		expect(connectionQuality(null, null)).toBeNull();
		expect(connectionQuality(149, 1.9)).toBe('good');
		expect(connectionQuality(149, null)).toBe('good');
		expect(connectionQuality(150, 0)).toBe('fair');
		expect(connectionQuality(50, 2)).toBe('fair');
		expect(connectionQuality(400, 10)).toBe('fair');
		expect(connectionQuality(401, 0)).toBe('poor');
		expect(connectionQuality(20, 10.1)).toBe('poor');
		expect(connectionQuality(null, 12)).toBe('poor');
	});
});

describe('StatsSampler', () => {
	it('keeps the previous report per connection', async () => {
		const reports = [first, second];
		const pc = { getStats: async () => reports.shift() } as unknown as RTCPeerConnection;
		const other = { getStats: async () => first } as unknown as RTCPeerConnection;
		const sampler = new StatsSampler();
		expect((await sampler.sample(pc)).bitrateOutKbps).toBeNull();
		expect((await sampler.sample(other)).bitrateOutKbps).toBeNull();
		expect((await sampler.sample(pc)).bitrateOutKbps).toBe(2000);
	});
});
