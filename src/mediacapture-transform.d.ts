// Types for MediaStream Insertable Streams ("breakout box"), which TypeScript's DOM library does not
// have yet: https://w3c.github.io/mediacapture-transform/ and Chromium's window-exposed
// `MediaStreamTrackProcessor` / `MediaStreamTrackGenerator`
// (https://developer.chrome.com/docs/capabilities/web-apis/mediastreamtrack-insertable-media-processing).
// Feature-test them before use: `typeof MediaStreamTrackProcessor === 'function'`.

/** Reads a video track's frames as a stream of `VideoFrame`s. */
declare class MediaStreamTrackProcessor {
	constructor(init: { track: MediaStreamTrack; maxBufferSize?: number });
	readonly readable: ReadableStream<VideoFrame>;
}

/** A video track whose frames are written to `writable` (Chromium, window and workers). */
declare class MediaStreamTrackGenerator extends MediaStreamTrack {
	constructor(init: { kind: 'video' });
	readonly writable: WritableStream<VideoFrame>;
}
