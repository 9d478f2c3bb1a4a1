/**
 * Attachment that plays a MediaStream in a `<video>`/`<audio>` element (`{@attach srcObject(s)}`).
 * Re-runs when the stream changes; playback refusals (autoplay policy) are left to the element's
 * own controls.
 */
export function srcObject(stream: MediaStream | null) {
	return (element: HTMLMediaElement) => {
		if (element.srcObject !== stream) element.srcObject = stream;
		if (stream) element.play().catch(() => undefined);
	};
}

/** Initials for an avatar: first letters of the first two words, uppercase. */
export function initials(name: string): string {
	const words = name.trim().split(/\s+/).filter(Boolean);
	return (
		words
			.slice(0, 2)
			.map((w) => [...w][0] ?? '')
			.join('') || '?'
	).toUpperCase();
}

/**
 * Attachment that routes a media element's sound to an output device (`HTMLMediaElement.setSinkId`,
 * Audio Output Devices API). Does nothing where the browser lacks it or for the default ('').
 */
export function sinkId(deviceId: string) {
	return (element: HTMLMediaElement) => {
		const media = element as HTMLMediaElement & { setSinkId?: (id: string) => Promise<void> };
		if (!media.setSinkId || (media as { sinkId?: string }).sinkId === deviceId) return;
		media.setSinkId(deviceId).catch(() => undefined);
	};
}
