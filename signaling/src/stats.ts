import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { BusCounts, type BackplaneState } from './backplane.js';

/** The relay's two WebSocket protocols, used as the `protocol` metric label. */
export type Protocol = 'yjs' | 'peerjs';

/** Why a connection, request or message was refused, used as the `reason` metric label. */
export type RejectReason =
	| 'origin'
	| 'connections_total'
	| 'connections_per_ip'
	| 'frame_too_large'
	| 'invalid_utf8'
	| 'protocol_error'
	| 'binary'
	| 'malformed_json'
	| 'invalid_message'
	| 'rate_limited'
	| 'too_many_topics'
	| 'room_full'
	| 'slow_consumer'
	| 'keepalive_timeout'
	| 'missing_parameters'
	| 'invalid_key'
	| 'invalid_id'
	| 'id_taken'
	| 'server_full'
	| 'queue_full'
	| 'expired';

/** Message and byte counts of one protocol. Plain numbers: they are bumped on the hot path. */
export class Traffic {
	messagesIn = 0;
	bytesIn = 0;
	messagesOut = 0;
	bytesOut = 0;
}

/** Instantaneous sizes, read when `/metrics` or `/healthz` is requested. */
export interface RelayGauges {
	connections: Record<Protocol, number>;
	/** y-webrtc topics with at least one subscriber. */
	topics: number;
	/** Registered PeerJS ids. */
	peers: number;
	/** PeerJS messages waiting for an absent peer. */
	queuedMessages: number;
	/** `local` without `REDIS_URL`; `up` or `down` in a cluster. */
	backplane: BackplaneState;
}

/** Counters shared by the relay's parts; {@link createMetricsRegistry} exposes them. */
export class RelayStats {
	readonly traffic: Record<Protocol, Traffic> = { yjs: new Traffic(), peerjs: new Traffic() };
	readonly #rejections = new Map<string, number>();

	/** Counts one refusal of `reason` on `protocol`. */
	reject(protocol: Protocol, reason: RejectReason): void {
		const key = `${protocol}\n${reason}`;
		this.#rejections.set(key, (this.#rejections.get(key) ?? 0) + 1);
	}

	/** Number of refusals of `reason` on `protocol` so far. */
	rejections(protocol: Protocol, reason: RejectReason): number {
		return this.#rejections.get(`${protocol}\n${reason}`) ?? 0;
	}

	/** Every non-zero refusal count. */
	*allRejections(): Generator<{ protocol: string; reason: string; count: number }> {
		for (const [key, count] of this.#rejections) {
			const [protocol = '', reason = ''] = key.split('\n');
			yield { protocol, reason, count };
		}
	}
}

const PROTOCOLS: readonly Protocol[] = ['yjs', 'peerjs'];

/**
 * Creates a Prometheus registry (text exposition format 0.0.4) for one relay: Node's default process
 * metrics plus `confer_relay_*` series read from `stats` and `gauges` at scrape time.
 *
 * @param gauges called on every scrape for the current sizes.
 */
export function createMetricsRegistry(
	stats: RelayStats,
	gauges: () => RelayGauges,
	backplane: BusCounts = new BusCounts()
): Registry {
	const registry = new Registry();
	collectDefaultMetrics({ register: registry });
	const registers = [registry];

	new Gauge({
		name: 'confer_relay_connections',
		help: 'Open WebSocket connections by protocol.',
		labelNames: ['protocol'],
		registers,
		collect() {
			const { connections } = gauges();
			for (const protocol of PROTOCOLS) this.set({ protocol }, connections[protocol]);
		}
	});
	new Gauge({
		name: 'confer_relay_topics',
		help: 'y-webrtc topics with at least one subscriber.',
		registers,
		collect() {
			this.set(gauges().topics);
		}
	});
	new Gauge({
		name: 'confer_relay_peers',
		help: 'Registered PeerJS ids.',
		registers,
		collect() {
			this.set(gauges().peers);
		}
	});
	new Gauge({
		name: 'confer_relay_peerjs_queued_messages',
		help: 'PeerJS messages waiting for an absent peer.',
		registers,
		collect() {
			this.set(gauges().queuedMessages);
		}
	});

	const trafficCounter = (name: string, help: string, field: keyof Traffic): void => {
		new Counter({
			name,
			help,
			labelNames: ['protocol'],
			registers,
			collect() {
				this.reset();
				for (const protocol of PROTOCOLS) this.inc({ protocol }, stats.traffic[protocol][field]);
			}
		});
	};
	trafficCounter(
		'confer_relay_messages_received_total',
		'WebSocket messages received.',
		'messagesIn'
	);
	trafficCounter(
		'confer_relay_bytes_received_total',
		'WebSocket payload bytes received.',
		'bytesIn'
	);
	trafficCounter('confer_relay_messages_sent_total', 'WebSocket messages sent.', 'messagesOut');
	trafficCounter('confer_relay_bytes_sent_total', 'WebSocket frame bytes sent.', 'bytesOut');

	new Counter({
		name: 'confer_relay_rejections_total',
		help: 'Refused connections and messages, by protocol and reason.',
		labelNames: ['protocol', 'reason'],
		registers,
		collect() {
			this.reset();
			for (const { protocol, reason, count } of stats.allRejections()) {
				this.inc({ protocol, reason }, count);
			}
		}
	});
	new Gauge({
		name: 'confer_relay_backplane_up',
		help: 'Whether the Redis backplane is reachable (1) or not (0); absent for a relay on its own.',
		registers,
		collect() {
			const state = gauges().backplane;
			this.reset();
			if (state !== 'local') this.set(state === 'up' ? 1 : 0);
		}
	});
	new Counter({
		name: 'confer_relay_backplane_messages_total',
		help: 'Messages between relays through the backplane, by direction.',
		labelNames: ['direction'],
		registers,
		collect() {
			this.reset();
			this.inc({ direction: 'in' }, backplane.messagesIn);
			this.inc({ direction: 'out' }, backplane.messagesOut);
		}
	});
	const latency = new Histogram({
		name: 'confer_relay_backplane_latency_seconds',
		help: "Time from a publish on one relay to its arrival on this one (by the senders' clocks).",
		buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
		registers
	});
	backplane.observeLatency = (seconds) => latency.observe(seconds);
	return registry;
}
