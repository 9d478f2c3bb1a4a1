/**
 * Camera, microphone and screen capture: acquisition with errors in words a person can act on,
 * plus placeholder tracks so every call always carries exactly one audio and one video sender
 * (PeerJS cannot renegotiate, so toggles and screen share use `RTCRtpSender.replaceTrack`).
 */

/** Why a capture failed, for the UI. */
export interface MediaProblem {
	kind: 'denied' | 'not-found' | 'in-use' | 'insecure' | 'cancelled' | 'other';
	/** A sentence saying what happened and how to fix it. */
	message: string;
}

/**
 * Turns a `getUserMedia`/`getDisplayMedia` rejection into words (DOMException names from
 * the Media Capture and Streams spec: NotAllowedError, NotFoundError, NotReadableError, …).
 *
 * @param what the device(s) asked for, e.g. `"camera"`, `"microphone"`, `"camera and microphone"`.
 */
export function describeMediaError(error: unknown, what: string): MediaProblem {
	const name = error instanceof Error ? error.name : '';
	switch (name) {
		case 'NotAllowedError':
		case 'SecurityError':
			return {
				kind: 'denied',
				message: `Confer isn't allowed to use your ${what}. Allow it in your browser's site settings (the icon left of the address), then try again. You can still join and chat.`
			};
		case 'NotFoundError':
		case 'OverconstrainedError':
			return {
				kind: 'not-found',
				message: `No ${what} was found. Plug one in and try again, or join without it.`
			};
		case 'NotReadableError':
		case 'AbortError':
			return {
				kind: 'in-use',
				message: `Your ${what} is being used by another app or could not be started. Close the other app, then try again.`
			};
		case 'TypeError':
			return {
				kind: 'insecure',
				message: `This page cannot use your ${what}: open Confer over https (or on localhost).`
			};
		default:
			return {
				kind: 'other',
				message: `Your ${what} could not be started (${name || 'unknown error'}). Try again, or join without it.`
			};
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

/** Camera constraints: 720p at most (the sender scales down), ideal 30 frame/s. */
export function cameraConstraints(deviceId?: string): MediaTrackConstraints {
	return {
		...(deviceId ? { deviceId: { exact: deviceId } } : {}),
		width: { ideal: 1280 },
		height: { ideal: 720 },
		frameRate: { ideal: 30 }
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
