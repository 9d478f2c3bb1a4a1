/**
 * Camera, microphone and screen capture: acquisition with classified errors a person can act on,
 * plus placeholder tracks so every call always carries exactly one audio and one video sender
 * (PeerJS cannot renegotiate, so toggles and screen share use `RTCRtpSender.replaceTrack`).
 */

/** A capture device, as the person would name it. */
export type MediaDevice = 'camera' | 'microphone' | 'screen';

/** Why a device cannot be used; the UI turns it into words (`ui/messages.ts`). */
export interface MediaProblem {
	device: MediaDevice;
	/**
	 * `denied`: the browser or the person refused; `not-found`: no such device; `in-use`: another
	 * app holds it, or it failed to start; `insecure`: the page is not a secure context; `ended`:
	 * it stopped by itself (unplugged, permission revoked); `other`: anything else.
	 */
	kind: 'denied' | 'not-found' | 'in-use' | 'insecure' | 'ended' | 'other';
}

/**
 * Classifies a `getUserMedia`/`getDisplayMedia` rejection by its DOMException name (Media Capture
 * and Streams, "getUserMedia" errors: NotAllowedError, NotFoundError, NotReadableError, …).
 */
export function classifyMediaError(error: unknown, device: MediaDevice): MediaProblem {
	const name = error instanceof Error ? error.name : '';
	switch (name) {
		case 'NotAllowedError':
		case 'SecurityError':
			return { device, kind: 'denied' };
		case 'NotFoundError':
		case 'OverconstrainedError':
			return { device, kind: 'not-found' };
		case 'NotReadableError':
		case 'AbortError':
			return { device, kind: 'in-use' };
		case 'TypeError':
			return { device, kind: 'insecure' };
		default:
			return { device, kind: 'other' };
	}
}

/** The devices the browser offers (labels appear only after permission was granted). */
export interface DeviceLists {
	cameras: MediaDeviceInfo[];
	microphones: MediaDeviceInfo[];
	speakers: MediaDeviceInfo[];
}

/** Lists cameras, microphones and speakers; empty lists when enumeration is unavailable. */
export async function listDevices(): Promise<DeviceLists> {
	const devices = (await navigator.mediaDevices?.enumerateDevices?.()) ?? [];
	return {
		cameras: devices.filter((d) => d.kind === 'videoinput' && d.deviceId),
		microphones: devices.filter((d) => d.kind === 'audioinput' && d.deviceId),
		speakers: devices.filter((d) => d.kind === 'audiooutput' && d.deviceId)
	};
}

/**
 * Camera constraints: the size and frame rate a call needs (720p at 30 frame/s by default; less in
 * a big mesh, see `captureProfile` in adaptation.ts), as ideals so any camera still opens.
 */
export function cameraConstraints(
	deviceId?: string,
	capture: { width: number; height: number; frameRate: number } = {
		width: 1280,
		height: 720,
		frameRate: 30
	}
): MediaTrackConstraints {
	return {
		...(deviceId ? { deviceId: { exact: deviceId } } : {}),
		width: { ideal: capture.width },
		height: { ideal: capture.height },
		frameRate: { ideal: capture.frameRate, max: capture.frameRate }
	};
}

/** Microphone constraints with the browser's echo cancellation and noise suppression on. */
export function microphoneConstraints(deviceId?: string): MediaTrackConstraints {
	return {
		...(deviceId ? { deviceId: { exact: deviceId } } : {}),
		echoCancellation: true,
		noiseSuppression: true,
		autoGainControl: true
	};
}

let silentContext: AudioContext | null = null;

/**
 * A silent audio track (from a WebAudio destination), sent while the person has no microphone
 * so the call still has an audio sender to `replaceTrack` into later.
 */
export function silentAudioTrack(): MediaStreamTrack {
	silentContext ??= new AudioContext();
	const track = silentContext.createMediaStreamDestination().stream.getAudioTracks()[0];
	if (!track) throw new Error('WebAudio gave no audio track');
	return track;
}

/**
 * A black 320×180 video track at 1 frame/s (canvas capture), sent while the camera is off or
 * missing so the video sender exists; peers show the avatar instead (driven by awareness).
 */
export function blankVideoTrack(): MediaStreamTrack {
	const canvas = document.createElement('canvas');
	canvas.width = 320;
	canvas.height = 180;
	const context = canvas.getContext('2d');
	if (context) {
		context.fillStyle = '#000';
		context.fillRect(0, 0, canvas.width, canvas.height);
	}
	const track = canvas.captureStream(1).getVideoTracks()[0];
	if (!track) throw new Error('Canvas capture gave no video track');
	return track;
}
