/**
 * Mixes everyone's audio for the recording with WebAudio: one `MediaStreamAudioSourceNode` per
 * track into one `MediaStreamAudioDestinationNode`, whose track the recorder records. Tracks are
 * added and removed as people join and leave or change devices.
 */
export class AudioMixer {
	readonly context = new AudioContext();
	readonly #destination = this.context.createMediaStreamDestination();
	#sources = new Map<string, MediaStreamAudioSourceNode>();

	/** The mix, as one audio track. */
	get track(): MediaStreamTrack {
		return this.#destination.stream.getAudioTracks()[0] as MediaStreamTrack;
	}

	/** Mixes exactly `tracks` from now on (by track id; live tracks only). */
	setTracks(tracks: readonly MediaStreamTrack[]): void {
		const wanted = new Map(tracks.filter((t) => t.readyState === 'live').map((t) => [t.id, t]));
		for (const [id, node] of this.#sources) {
			if (wanted.has(id)) continue;
			node.disconnect();
			this.#sources.delete(id);
		}
		for (const [id, track] of wanted) {
			if (this.#sources.has(id)) continue;
			const node = this.context.createMediaStreamSource(new MediaStream([track]));
			node.connect(this.#destination);
			this.#sources.set(id, node);
		}
	}

	/** Stops mixing and closes the audio context. */
	destroy(): void {
		for (const node of this.#sources.values()) node.disconnect();
		this.#sources.clear();
		void this.context.close();
	}
}
