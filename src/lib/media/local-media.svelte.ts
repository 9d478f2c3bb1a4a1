import {
	blankVideoTrack,
	cameraConstraints,
	describeMediaError,
	listDevices,
	microphoneConstraints,
	silentAudioTrack,
	type DeviceLists
} from './devices';
import { watchLevel } from './level-meter';

/**
 * Called when the track to send for `kind` changes (camera on/off, screen share, device switch).
 * The previous track is stopped only after every listener's promise settled: Chromium stops
 * encoding for good when a sender's track ends before `replaceTrack` swapped it out.
 */
export type TrackChangeListener = (
	kind: 'audio' | 'video',
	track: MediaStreamTrack
) => void | Promise<unknown>;

/**
 * The person's own camera, microphone and screen: one owner for every local track.
 *
 * The outgoing stream always holds exactly one audio and one video track: the microphone (muted by
 * `enabled = false`) or a silent placeholder, and the screen, the camera or a black placeholder.
 * Turning the camera off releases it (its light goes out).
 */
export class LocalMedia {
	micOn = $state(true);
	camOn = $state(true);
	sharing = $state(false);
	/** Microphone level 0…1 for the meter, while one is being watched. */
	level = $state(0);
	/** What went wrong with the devices, in words; null when all is well. */
	problem = $state<string | null>(null);
	devices = $state.raw<DeviceLists>({ cameras: [], microphones: [], speakers: [] });
	cameraId = $state<string | undefined>();
	micId = $state<string | undefined>();
	/** The camera alone, for the preview and the self tile; null when the camera is off. */
	camera = $state.raw<MediaStream | null>(null);
	/** The screen capture, while sharing. */
	screen = $state.raw<MediaStream | null>(null);

	#micTrack: MediaStreamTrack | null = null;
	#camTrack: MediaStreamTrack | null = null;
	#screenTrack: MediaStreamTrack | null = null;
	#silent: MediaStreamTrack | null = null;
	#blank: MediaStreamTrack | null = null;
	#outgoing: MediaStream | null = null;
	#stopMeter: (() => void) | null = null;
	#listeners = new Set<TrackChangeListener>();

	/** Whether a real microphone track is open. */
	get hasMic(): boolean {
		return this.#micTrack !== null;
	}

	/**
	 * Opens the camera and microphone as wished. A failure of one device does not stop the other;
	 * `problem` then says what happened. Never throws.
	 */
	async start(wish: { micOn: boolean; camOn: boolean; micId?: string; cameraId?: string }) {
		this.micOn = wish.micOn;
		this.camOn = wish.camOn;
		this.micId = wish.micId;
		this.cameraId = wish.cameraId;
		this.problem = null;
		await Promise.all([this.#openMic(), wish.camOn ? this.#openCamera() : undefined]);
		await this.refreshDevices();
	}

	/** Re-reads the device lists (labels appear once permission is granted). */
	async refreshDevices() {
		try {
			this.devices = await listDevices();
		} catch {
			this.devices = { cameras: [], microphones: [], speakers: [] };
		}
	}

	/** Subscribes to changes of the tracks to send. Returns the unsubscribe function. */
	onTrackChange(listener: TrackChangeListener): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	/** The track to send for audio: the microphone, or silence. */
	get audioTrack(): MediaStreamTrack {
		return this.#micTrack ?? (this.#silent ??= silentAudioTrack());
	}

	/** The track to send for video: the screen, the camera, or black. */
	get videoTrack(): MediaStreamTrack {
		return this.#screenTrack ?? this.#camTrack ?? (this.#blank ??= blankVideoTrack());
	}

	/** The stream handed to every call: always one audio and one video track. */
	get outgoing(): MediaStream {
		if (!this.#outgoing) this.#outgoing = new MediaStream([this.audioTrack, this.videoTrack]);
		return this.#outgoing;
	}

	/** Mutes or unmutes the microphone (opening it first if it was never opened). */
	async setMic(on: boolean) {
		this.micOn = on;
		if (on && !this.#micTrack) await this.#openMic();
		if (this.#micTrack) this.#micTrack.enabled = on;
	}

	/** Turns the camera on (opening the chosen device) or off (releasing it). */
	async setCamera(on: boolean) {
		this.camOn = on;
		if (on) {
			await this.#openCamera();
		} else {
			const previous = this.#camTrack;
			this.#camTrack = null;
			this.camera = null;
			await this.#emitVideo();
			previous?.stop();
		}
	}

	/** Switches to another camera; the call keeps going (`replaceTrack`). */
	async selectCamera(deviceId: string) {
		this.cameraId = deviceId;
		if (this.camOn) await this.#openCamera();
	}

	/** Switches to another microphone; the call keeps going (`replaceTrack`). */
	async selectMicrophone(deviceId: string) {
		this.micId = deviceId;
		await this.#openMic();
	}

	/**
	 * Starts sharing a screen, window or tab in place of the camera. Ending the capture from the
	 * browser's own "Stop sharing" button restores the camera.
	 */
	async startScreenShare() {
		let stream: MediaStream;
		try {
			stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
		} catch (error) {
			if (error instanceof Error && error.name === 'NotAllowedError') return;
			this.problem = describeMediaError(error, 'screen').message;
			return;
		}
		const track = stream.getVideoTracks()[0];
		if (!track) return;
		track.contentHint = 'detail';
		track.addEventListener('ended', () => this.stopScreenShare());
		const previous = this.#screenTrack;
		this.#screenTrack = track;
		this.screen = stream;
		this.sharing = true;
		await this.#emitVideo();
		previous?.stop();
	}

	/** Stops sharing and sends the camera (or black) again. */
	stopScreenShare() {
		const previous = this.#screenTrack;
		if (!previous) return;
		this.#screenTrack = null;
		this.screen = null;
		this.sharing = false;
		void this.#emitVideo().then(() => previous.stop());
	}

	/** Watches the microphone level into `level` until `stopLevel()`. */
	watchLevel() {
		this.#stopMeter?.();
		this.#stopMeter = this.#micTrack
			? watchLevel(this.#micTrack, (level) => (this.level = this.micOn ? level : 0))
			: null;
	}

	/** Stops the level meter. */
	stopLevel() {
		this.#stopMeter?.();
		this.#stopMeter = null;
		this.level = 0;
	}

	/** Stops every track (camera light and microphone indicator go out). */
	stop() {
		this.stopLevel();
		for (const track of [
			this.#micTrack,
			this.#camTrack,
			this.#screenTrack,
			this.#silent,
			this.#blank
		]) {
			track?.stop();
		}
		this.#micTrack = this.#camTrack = this.#screenTrack = this.#silent = this.#blank = null;
		this.#outgoing = null;
		this.camera = this.screen = null;
		this.sharing = false;
	}

	async #openMic() {
		try {
			const stream = await navigator.mediaDevices.getUserMedia({
				audio: microphoneConstraints(this.micId)
			});
			const track = stream.getAudioTracks()[0];
			if (!track) return;
			const previous = this.#micTrack;
			this.#micTrack = track;
			track.enabled = this.micOn;
			this.micId = track.getSettings().deviceId ?? this.micId;
			if (this.#stopMeter) this.watchLevel();
			await this.#emit('audio', track);
			previous?.stop();
		} catch (error) {
			this.micOn = false;
			this.problem = describeMediaError(error, 'microphone').message;
		}
	}

	async #openCamera() {
		try {
			const stream = await navigator.mediaDevices.getUserMedia({
				video: cameraConstraints(this.cameraId)
			});
			const track = stream.getVideoTracks()[0];
			if (!track) return;
			if (!this.camOn) {
				track.stop();
				return;
			}
			const previous = this.#camTrack;
			this.#camTrack = track;
			this.cameraId = track.getSettings().deviceId ?? this.cameraId;
			this.camera = new MediaStream([track]);
			await this.#emitVideo();
			previous?.stop();
		} catch (error) {
			this.camOn = false;
			this.problem = describeMediaError(error, 'camera').message;
		}
	}

	#emitVideo(): Promise<void> {
		return this.#emit('video', this.videoTrack);
	}

	async #emit(kind: 'audio' | 'video', track: MediaStreamTrack) {
		this.#replaceInOutgoing(kind, track);
		await Promise.allSettled([...this.#listeners].map((listener) => listener(kind, track)));
	}

	#replaceInOutgoing(kind: 'audio' | 'video', track: MediaStreamTrack) {
		const stream = this.#outgoing;
		if (!stream) return;
		for (const old of kind === 'audio' ? stream.getAudioTracks() : stream.getVideoTracks()) {
			if (old !== track) stream.removeTrack(old);
		}
		if (!stream.getTracks().includes(track)) stream.addTrack(track);
	}
}
