import { ObservableV2 } from 'lib0/observable';
import { applyVideoProfile, videoProfile } from '$lib/media/adaptation';
import type { Mesh } from '$lib/media/mesh';
import { ActiveSpeaker, AudioLevelMeter } from '$lib/media/speaker';
import { StatsSampler, type ConnectionStats } from '$lib/media/stats';

/** The key under which the person's own microphone is measured. */
export const SELF = 'self';

/** How often connection statistics are sampled (ms). */
export const STATS_INTERVAL_MS = 2_000;

/** Events a {@link CallMonitor} emits. */
export type CallMonitorEvents = {
	/** Fresh statistics for every call, by remote peer id. */
	stats: (stats: Map<string, ConnectionStats>) => void;
	/**
	 * Who is making sound now (peer ids, or {@link SELF}) and the most recent active speaker; after
	 * every measurement (about 10 times a second).
	 */
	speakers: (speaking: Set<string>, last: string | null) => void;
};

/**
 * Watches a running mesh: connection statistics every {@link STATS_INTERVAL_MS}, audio levels and
 * the active speaker, and the outgoing video's encoding for the size of the mesh (each sender
 * encodes once per peer, so quality must fall as the room grows; see the table at `videoProfile` in
 * adaptation.ts).
 */
export class CallMonitor extends ObservableV2<CallMonitorEvents> {
	#mesh: Mesh;
	#adapt: boolean;
	#sampler = new StatsSampler();
	#meter = new AudioLevelMeter();
	#speaker = new ActiveSpeaker();
	#timer: ReturnType<typeof setInterval>;
	#retry: ReturnType<typeof setTimeout> | undefined;

	/**
	 * @param mesh the mesh whose calls are watched.
	 * @param options.adapt whether outgoing video follows the mesh size (off only to measure it).
	 */
	constructor(mesh: Mesh, options: { adapt: boolean }) {
		super();
		this.#mesh = mesh;
		this.#adapt = options.adapt;
		this.#timer = setInterval(() => void this.#sampleStats(), STATS_INTERVAL_MS);
		this.#meter.on('levels', (levels, now) => {
			this.#speaker.update(levels, now);
			const speaking = [...levels.keys()].filter((id) => this.#speaker.speaking(id));
			this.emit('speakers', [new Set(speaking), this.#speaker.last]);
		});
	}

	/** Measures a stream's sound under `key` (a peer id or {@link SELF}); replaces an earlier one. */
	listen(key: string, stream: MediaStream) {
		this.#meter.remove(key);
		if (stream.getAudioTracks().length > 0) this.#meter.add(key, stream);
	}

	/** Stops measuring `key`. */
	forget(key: string) {
		this.#meter.remove(key);
	}

	/** How long `key` has been speaking without a pause (ms). */
	speakingForMs(key: string): number {
		return this.#speaker.speakingForMs(key, performance.now());
	}

	/**
	 * Sets every call's video encoding for a room of `participants` people; video to peers in
	 * `paused` (they do not show our tile) is switched off. Senders not yet negotiated are tried
	 * again a second later.
	 */
	async adapt(participants: number, paused: ReadonlySet<string>) {
		clearTimeout(this.#retry);
		let pending = false;
		for (const [peerId, pc] of this.#mesh.connections()) {
			const sender = pc.getSenders().find((s) => s.track?.kind === 'video');
			if (!sender) continue;
			const profile = this.#adapt
				? videoProfile(participants, sender.track?.contentHint)
				: videoProfile(1, sender.track?.contentHint);
			const applied = await applyVideoProfile(sender, profile, !paused.has(peerId)).catch(
				() => false
			);
			pending ||= !applied;
		}
		if (pending) this.#retry = setTimeout(() => void this.adapt(participants, paused), 1_000);
	}

	/** Stops every timer and the audio analysis. */
	destroy() {
		clearInterval(this.#timer);
		clearTimeout(this.#retry);
		this.#meter.destroy();
		super.destroy();
	}

	async #sampleStats() {
		const stats = new Map<string, ConnectionStats>();
		for (const [peerId, pc] of this.#mesh.connections()) {
			try {
				stats.set(peerId, await this.#sampler.sample(pc));
			} catch {
				this.#sampler.forget(pc);
			}
		}
		this.emit('stats', [stats]);
	}
}
