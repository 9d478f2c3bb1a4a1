/**
 * Microphone level for meters: RMS of the time-domain signal from a WebAudio AnalyserNode,
 * mapped from −60 dBFS…0 dBFS onto 0…1.
 *
 * @param track an audio track (local or remote).
 * @param onLevel called about 10 times a second with the level in 0…1.
 * @returns a function that stops watching and closes the audio context.
 */
export function watchLevel(track: MediaStreamTrack, onLevel: (level: number) => void): () => void {
	const context = new AudioContext();
	const source = context.createMediaStreamSource(new MediaStream([track]));
	const analyser = context.createAnalyser();
	analyser.fftSize = 1024;
	source.connect(analyser);
	const samples = new Float32Array(analyser.fftSize);
	const timer = setInterval(() => {
		analyser.getFloatTimeDomainData(samples);
		let sum = 0;
		for (const s of samples) sum += s * s;
		const rms = Math.sqrt(sum / samples.length);
		const db = rms > 0 ? 20 * Math.log10(rms) : -Infinity;
		onLevel(Math.min(1, Math.max(0, (db + 60) / 60)));
	}, 100);
	return () => {
		clearInterval(timer);
		source.disconnect();
		void context.close();
	};
}
