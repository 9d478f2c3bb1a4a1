import {
	blankVideoTrack,
	cameraConstraints,
	classifyMediaError,
	listDevices,
	microphoneConstraints,
	silentAudioTrack,
	type DeviceLists,
	type MediaDevice,
	type MediaProblem
} from './devices';
import { BackgroundEffects } from '$lib/effects/background.svelte';
import type { CaptureProfile } from './adaptation';
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

/** What the person is sending, as peers should see it in presence. */
export interface SendingState {
	mic: boolean;
	cam: boolean;
	screen: boolean;
}

/** Called whenever {@link SendingState} changes, whatever caused it. */
export type SendingListener = (state: SendingState) => void;

/**
 * The person's own camera, microphone and screen: the one owner of every local track and of what
 * is being sent.
 *
 * The outgoing stream always holds exactly one audio and one video track: the microphone (muted by
 * `enabled = false`) or a silent placeholder, and the screen, the camera or a black placeholder.
 * Turning the camera off releases it (its light goes out). Every change of what is sent (a toggle,
 * the browser's own "Stop sharing" bar, a device that fails or is unplugged) is announced through
 * {@link onSendingChange}, so presence never goes stale. With a background effect chosen
 * ({@link effects}), the camera's frames go through it before the preview, the self tile and every
 * call; the screen never does.
 */
export class LocalMedia {
	micOn = $state(true);
	camOn = $state(true);
	sharing = $state(false);
	/** Microphone level 0…1 for the meter, while one is being watched. */
	level = $state(0);
	/**
	 * Whether the devices have not answered yet: from creation until the first {@link start} has
	 * opened them or failed (the prejoin says "Starting camera…", not "No camera found").
	 */
	starting = $state(true);
	/** What went wrong, at most one entry per device; empty when all is well. */
	problems = $state.raw<MediaProblem[]>([]);
	devices = $state.raw<DeviceLists>({ cameras: [], microphones: [], speakers: [] });
	cameraId = $state<string | undefined>();
	micId = $state<string | undefined>();
	/**
	 * The camera alone (with its background effect), for the preview and the self tile; null when
	 * the camera is off.
	 */
	camera = $state.raw<MediaStream | null>(null);
	/** Background blur or replacement of the camera. */
	readonly effects = new BackgroundEffects((track) => this.#onEffectOutput(track));
	/** The screen capture, while sharing. */
	screen = $state.raw<MediaStream | null>(null);

	#micTrack: MediaStreamTrack | null = null;
	#camTrack: MediaStreamTrack | null = null;
	/** What is shown and sent for the camera: the effect's output, or the camera itself. */
	#camOut: MediaStreamTrack | null = null;
	#screenTrack: MediaStreamTrack | null = null;
	#silent: MediaStreamTrack | null = null;
	#blank: MediaStreamTrack | null = null;
	#outgoing: MediaStream | null = null;
	#stopMeter: (() => void) | null = null;
	#trackListeners = new Set<TrackChangeListener>();
	#sendingListeners = new Set<SendingListener>();
	#announced: SendingState | null = null;
	#capture: CaptureProfile | undefined;
	/** Bumped by {@link stop}: a device that opens after it is released at once. */
	#generation = 0;

	/** Whether a real microphone track is open. */
	get hasMic(): boolean {
		return this.#micTrack !== null;
	}

	/** What is being sent now. */
	get sending(): SendingState {
		return { mic: this.micOn, cam: this.camOn, screen: this.sharing };
	}

	/**
	 * Opens the camera and microphone as wished. A failure of one device does not stop the other;
	 * {@link problems} then says what happened. Never throws. A {@link stop} while it waits for the
	 * browser releases whatever opens afterwards.
	 */
	async start(wish: { micOn: boolean; camOn: boolean; micId?: string; cameraId?: string }) {
		this.micOn = wish.micOn;
		this.camOn = wish.camOn;
		this.micId = wish.micId;
		this.cameraId = wish.cameraId;
		this.problems = [];
		this.starting = true;
		const generation = this.#generation;
		await Promise.all([this.#openMic(), wish.camOn ? this.#openCamera() : undefined]);
		if (generation !== this.#generation) return;
		this.starting = false;
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
		this.#trackListeners.add(listener);
		return () => this.#trackListeners.delete(listener);
	}

	/**
	 * Subscribes to changes of what is sent (microphone, camera, screen), and calls `listener` once
	 * with the current state. Returns the unsubscribe function.
	 */
	onSendingChange(listener: SendingListener): () => void {
		this.#sendingListeners.add(listener);
		listener(this.sending);
		return () => this.#sendingListeners.delete(listener);
	}

	/** The track to send for audio: the microphone, or silence. */
	get audioTrack(): MediaStreamTrack {
		return this.#micTrack ?? (this.#silent ??= silentAudioTrack());
	}

	/** The track to send for video: the screen, the camera, or black. */
	get videoTrack(): MediaStreamTrack {
		return this.#screenTrack ?? this.#camOut ?? (this.#blank ??= blankVideoTrack());
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
		if (this.#micTrack) this.#micTrack.enabled = this.micOn;
		this.#announce();
	}

	/** Turns the camera on (opening the chosen device) or off (releasing it). */
	async setCamera(on: boolean) {
		this.camOn = on;
		if (on) {
			await this.#openCamera();
		} else {
			const previous = this.#camTrack;
			this.#camTrack = null;
			this.#camOut = this.effects.setSource(null);
			this.camera = null;
			this.#announce();
			await this.#emitVideo();
			previous?.stop();
			this.effects.release();
		}
	}

	/**
	 * Asks the camera for `capture` (a smaller size and frame rate in a big mesh), now and whenever
	 * it opens. Resolves once the camera applied it; a camera that cannot is left as it is.
	 */
	async setCapture(capture: CaptureProfile) {
		const same =
			this.#capture?.width === capture.width &&
			this.#capture.height === capture.height &&
			this.#capture.frameRate === capture.frameRate;
		this.#capture = capture;
		if (same || !this.#camTrack) return;
		const { width, height, frameRate } = cameraConstraints(undefined, capture);
		await this.#camTrack.applyConstraints({ width, height, frameRate }).catch(() => undefined);
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
		const generation = this.#generation;
		let stream: MediaStream;
		try {
			stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
		} catch (error) {
			const problem = classifyMediaError(error, 'screen');
			// Cancelling the browser's picker is a choice, not a problem.
			if (problem.kind !== 'denied') this.#report(problem);
			return;
		}
		const track = stream.getVideoTracks()[0];
		if (!track || generation !== this.#generation) {
			for (const t of stream.getTracks()) t.stop();
			return;
		}
		track.contentHint = 'detail';
		track.addEventListener('ended', () => {
			if (this.#screenTrack === track) this.stopScreenShare();
		});
		const previous = this.#screenTrack;
		this.#screenTrack = track;
		this.screen = stream;
		this.sharing = true;
		this.#announce();
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
		this.#announce();
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

	/**
	 * Stops every track (camera light and microphone indicator go out). Devices still opening are
	 * released as soon as the browser hands them over.
	 */
	stop() {
		this.#generation++;
		this.starting = false;
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
		this.#camOut = this.effects.setSource(null);
		this.effects.release();
		this.#outgoing = null;
		this.camera = this.screen = null;
		this.sharing = false;
		this.#announced = null;
	}

	/** Releases the devices and the background effects' worker (the page is going away). */
	dispose() {
		this.stop();
		this.effects.dispose();
	}

	/** The background effect's output became ready, or went: show and send it in the camera's place. */
	async #onEffectOutput(track: MediaStreamTrack) {
		if (!this.#camTrack) return;
		this.#camOut = track;
		this.camera = new MediaStream([track]);
		await this.#emitVideo();
	}

	async #openMic() {
		const generation = this.#generation;
		let track: MediaStreamTrack | undefined;
		try {
			const stream = await navigator.mediaDevices.getUserMedia({
				audio: microphoneConstraints(this.micId)
			});
			track = stream.getAudioTracks()[0];
		} catch (error) {
			if (generation !== this.#generation) return;
			this.#report(classifyMediaError(error, 'microphone'));
			// A failed switch keeps the microphone that still works; without one, the mic is off.
			if (!this.#micTrack) this.micOn = false;
			this.#announce();
			return;
		}
		if (!track) return;
		if (generation !== this.#generation) {
			track.stop();
			return;
		}
		this.#resolve('microphone');
		const previous = this.#micTrack;
		this.#micTrack = track;
		track.enabled = this.micOn;
		this.micId = track.getSettings().deviceId ?? this.micId;
		this.#onEnded(track, 'microphone');
		if (this.#stopMeter) this.watchLevel();
		this.#announce();
		await this.#emit('audio', track);
		previous?.stop();
	}

	async #openCamera() {
		const generation = this.#generation;
		let track: MediaStreamTrack | undefined;
		try {
			const stream = await navigator.mediaDevices.getUserMedia({
				video: cameraConstraints(this.cameraId, this.#capture)
			});
			track = stream.getVideoTracks()[0];
		} catch (error) {
			if (generation !== this.#generation) return;
			this.#report(classifyMediaError(error, 'camera'));
			// A failed switch keeps the camera that still works; without one, the camera is off.
			if (!this.#camTrack) this.camOn = false;
			this.#announce();
			return;
		}
		if (!track) return;
		if (generation !== this.#generation || !this.camOn) {
			track.stop();
			return;
		}
		this.#resolve('camera');
		const previous = this.#camTrack;
		this.#camTrack = track;
		this.cameraId = track.getSettings().deviceId ?? this.cameraId;
		this.#camOut = this.effects.setSource(track) ?? track;
		this.camera = new MediaStream([this.#camOut]);
		this.#onEnded(track, 'camera');
		this.#announce();
		await this.#emitVideo();
		previous?.stop();
		this.effects.release();
	}

	/**
	 * A device that ends by itself (unplugged, or permission revoked) turns off, and everyone is told.
	 */
	#onEnded(track: MediaStreamTrack, device: 'camera' | 'microphone') {
		track.addEventListener('ended', () => {
			if (device === 'camera' && this.#camTrack === track) {
				this.#camTrack = null;
				this.#camOut = this.effects.setSource(null);
				this.camera = null;
				this.camOn = false;
				void this.#emitVideo().then(() => this.effects.release());
			} else if (device === 'microphone' && this.#micTrack === track) {
				this.#micTrack = null;
				this.micOn = false;
				this.#stopMeter?.();
				this.#stopMeter = null;
				void this.#emit('audio', this.audioTrack);
			} else {
				return;
			}
			this.#report({ device, kind: 'ended' });
			this.#announce();
		});
	}

	#report(problem: MediaProblem) {
		this.problems = [...this.problems.filter((p) => p.device !== problem.device), problem];
	}

	#resolve(device: MediaDevice) {
		if (this.problems.some((p) => p.device === device)) {
			this.problems = this.problems.filter((p) => p.device !== device);
		}
	}

	/** Tells the sending listeners, when what is sent changed since they were last told. */
	#announce() {
		const now = this.sending;
		const before = this.#announced;
		if (before && before.mic === now.mic && before.cam === now.cam && before.screen === now.screen)
			return;
		this.#announced = now;
		for (const listener of this.#sendingListeners) listener(now);
	}

	#emitVideo(): Promise<void> {
		return this.#emit('video', this.videoTrack);
	}

	async #emit(kind: 'audio' | 'video', track: MediaStreamTrack) {
		this.#replaceInOutgoing(kind, track);
		await Promise.allSettled([...this.#trackListeners].map((listener) => listener(kind, track)));
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
