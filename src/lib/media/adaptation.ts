/**
 * Mesh adaptation of outgoing video. In a mesh every sender encodes its video once per peer, so
 * upload bandwidth and CPU grow with the room; the profile caps each per-peer encoding by room
 * size (up to 3 people 720p at 1.5 Mbit/s, 4–6 people 360p at 500 kbit/s, 7+ people 180p at
 * 200 kbit/s; README, "How it is built"), applied with `RTCRtpSender.setParameters` (W3C webrtc-pc,
 * "RTCRtpSender interface"; encoding fields from `RTCRtpEncodingParameters`). The camera itself is
 * asked for no more than the largest encoding needs ({@link captureProfile}): capturing, showing
 * and scaling 720p to send 360p costs a laptop as much as the encoders do.
 */

/** Caps for one outgoing video encoding. */
export interface VideoProfile {
	/** Largest frame height to send (pixels; the short side, so portrait video counts the same). */
	maxHeight: number;
	/** Largest bitrate per peer (bits/s). */
	maxBitrateBps: number;
	/** Largest frame rate (frames/s). */
	maxFramerate: number;
}

/** The fields of `RTCRtpEncodingParameters` that {@link applyVideoProfile} sets. */
export interface VideoEncoding {
	/** Factor by which the sender divides width and height (≥ 1). */
	scaleResolutionDownBy: number;
	/** Bitrate cap (bits/s). */
	maxBitrate: number;
	/** Frame-rate cap (frames/s). */
	maxFramerate: number;
	/** false pauses the encoding (nothing is sent, e.g. the peer does not show our tile). */
	active: boolean;
}

/** The part of `RTCRtpSender` that {@link applyVideoProfile} uses. */
export type VideoSender = Pick<RTCRtpSender, 'track' | 'getParameters' | 'setParameters'>;

/**
 * Screen content is kept sharp up to 1080 lines: text must stay legible, so resolution is kept
 * and the frame rate gives way instead.
 */
const SCREEN_MAX_HEIGHT = 1080;

/**
 * The caps for a room of `participants` people (counting ourselves):
 *
 * | people | camera                     | screen (`contentHint` `detail` or `text`) |
 * | ------ | -------------------------- | ----------------------------------------- |
 * | 1–3    | 720p, 1.5 Mbit/s, 30 fps   | ≤ 1080p, 1.5 Mbit/s, 15 fps               |
 * | 4–6    | 360p, 500 kbit/s, 15 fps   | ≤ 1080p, 500 kbit/s, 8 fps                |
 * | 7+     | 180p, 200 kbit/s, 15 fps   | ≤ 1080p, 200 kbit/s, 5 fps                |
 *
 * 15 fps from 4 people on halves each per-peer encoder's work, and every receiver's decoding
 * and drawing, where a mesh makes them grow with the square of the room.
 *
 * A shared screen goes through the same sender as the camera (`replaceTrack`), so it keeps the
 * room's bitrate budget; for `detail`/`text` tracks the browser keeps resolution and drops frames
 * under pressure (W3C mst-content-hint), and the lower frame-rate cap leaves it the bits to do so.
 *
 * @param participants people in the room, including ourselves (below 1 counts as 1).
 * @param contentHint the video track's `contentHint` (`''`, `motion`, `detail` or `text`).
 * @throws RangeError when `participants` is not a finite number.
 */
export function videoProfile(participants: number, contentHint = ''): VideoProfile {
	if (!Number.isFinite(participants)) {
		throw new RangeError(`participants must be a finite number, not ${participants}`);
	}
	const screen = contentHint === 'detail' || contentHint === 'text';
	if (participants <= 3) {
		return screen
			? { maxHeight: SCREEN_MAX_HEIGHT, maxBitrateBps: 1_500_000, maxFramerate: 15 }
			: { maxHeight: 720, maxBitrateBps: 1_500_000, maxFramerate: 30 };
	}
	if (participants <= 6) {
		return screen
			? { maxHeight: SCREEN_MAX_HEIGHT, maxBitrateBps: 500_000, maxFramerate: 8 }
			: { maxHeight: 360, maxBitrateBps: 500_000, maxFramerate: 15 };
	}
	return screen
		? { maxHeight: SCREEN_MAX_HEIGHT, maxBitrateBps: 200_000, maxFramerate: 5 }
		: { maxHeight: 180, maxBitrateBps: 200_000, maxFramerate: 15 };
}

/** What to ask of the camera (`MediaTrackConstraints` ideals; frame rate as a maximum). */
export interface CaptureProfile {
	width: number;
	height: number;
	frameRate: number;
}

/**
 * The camera capture for a room of `participants` people: just enough for the largest encoding
 * {@link videoProfile} sends (1–3 people 1280×720 at 30 fps, 4–6 640×360 at 15 fps, 7+ 320×180
 * at 15 fps). The self view shows the same.
 *
 * @throws RangeError when `participants` is not a finite number.
 */
export function captureProfile(participants: number): CaptureProfile {
	const { maxHeight, maxFramerate } = videoProfile(participants);
	return { width: Math.round((maxHeight * 16) / 9), height: maxHeight, frameRate: maxFramerate };
}

/**
 * The encoding that holds a track of `trackHeight` lines to `profile`:
 * `scaleResolutionDownBy = max(1, trackHeight / maxHeight)` (never upscales; an unknown height,
 * 0 or NaN, gives 1).
 *
 * @param trackHeight the track's frame height (pixels; pass the short side for portrait video).
 * @param profile the caps from {@link videoProfile}.
 * @param active false to pause the encoding.
 */
export function encodingFor(
	trackHeight: number,
	profile: VideoProfile,
	active: boolean
): VideoEncoding {
	const scale = trackHeight / profile.maxHeight;
	return {
		scaleResolutionDownBy: Number.isFinite(scale) ? Math.max(1, scale) : 1,
		maxBitrate: profile.maxBitrateBps,
		maxFramerate: profile.maxFramerate,
		active
	};
}

/**
 * Applies `profile` to a video sender's first encoding: `getParameters()`, create `encodings[0]`
 * if the browser returned none, set the {@link encodingFor} fields (height from the track's
 * settings, its short side), `setParameters()`; nothing when the encoding already has them, so
 * it is cheap to apply again and again. The scale is relative to the track's size, so apply again
 * after `replaceTrack` (camera ↔ screen), when the room size changes, and whenever the track's
 * size may have changed (the camera applying a new capture profile, for one).
 *
 * @param sender the video `RTCRtpSender` of one peer's connection.
 * @param profile the caps from {@link videoProfile}.
 * @param active false pauses sending video to this peer (its tile for us is not visible there).
 * @returns true when applied; false when the sender is not negotiated yet, or its parameters
 *   changed underneath us, and `setParameters` rejected with `InvalidStateError` or
 *   `InvalidModificationError` (webrtc-pc) — apply again once the connection is up.
 * @throws anything else `setParameters` rejects with (e.g. `RangeError` for invalid values).
 */
export async function applyVideoProfile(
	sender: VideoSender,
	profile: VideoProfile,
	active = true
): Promise<boolean> {
	const settings = sender.track?.getSettings() ?? {};
	const height =
		settings.width !== undefined && settings.height !== undefined
			? Math.min(settings.width, settings.height)
			: (settings.height ?? 0);
	const parameters = sender.getParameters();
	const encoding = parameters.encodings[0] ?? {};
	const wanted = encodingFor(height, profile, active);
	const fields = Object.keys(wanted) as (keyof VideoEncoding)[];
	if (parameters.encodings[0] && fields.every((field) => encoding[field] === wanted[field])) {
		return true;
	}
	parameters.encodings[0] = Object.assign(encoding, wanted);
	try {
		await sender.setParameters(parameters);
		return true;
	} catch (error) {
		const name = error instanceof Object && 'name' in error ? error.name : '';
		if (name === 'InvalidStateError' || name === 'InvalidModificationError') return false;
		throw error;
	}
}
