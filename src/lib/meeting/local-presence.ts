import type { Awareness } from 'y-protocols/awareness';
import type { SendingState } from '$lib/media/local-media.svelte';
import type { Presence, Reaction } from '$lib/room/presence';

/** How long a reaction stays over the sender's tile (ms). */
export const REACTION_MS = 3_000;

/**
 * The one owner of this device's awareness state: who the person is, what they send, their hand,
 * reactions and which tiles they look at. Everything else reads presence; only this writes it.
 */
export class LocalPresence {
	#awareness: Awareness;
	#state: Presence;
	#hidden = new Set<string>();
	#reactionTimer: ReturnType<typeof setTimeout> | undefined;
	#left = false;

	/** Sets the person's presence: from now on they are a participant everyone sees. */
	constructor(awareness: Awareness, initial: Presence) {
		this.#awareness = awareness;
		this.#state = initial;
		awareness.setLocalState(initial);
	}

	/** When the person's hand went up (ms since the epoch), or null. */
	get hand(): number | null {
		return this.#state.hand;
	}

	/** The person's PeerJS id in presence. */
	get peerId(): string | null {
		return this.#state.peerId;
	}

	/** Raises or lowers the hand. */
	setHand(raised: boolean) {
		if (raised === (this.#state.hand !== null)) return;
		this.#update({ hand: raised ? Date.now() : null });
	}

	/** Shows a reaction over the person's tile for everyone, for {@link REACTION_MS}. */
	react(name: Reaction) {
		this.#update({ reaction: { name, at: Date.now() } });
		clearTimeout(this.#reactionTimer);
		this.#reactionTimer = setTimeout(() => this.#update({ reaction: null }), REACTION_MS);
	}

	/** What the person sends (from `LocalMedia.onSendingChange`). */
	setSending(media: SendingState) {
		const { mic, cam, screen } = this.#state.media;
		if (mic === media.mic && cam === media.cam && screen === media.screen) return;
		this.#update({ media: { ...media } });
	}

	/** Where peers reach the person: the PeerJS id and the y-webrtc peer id. */
	setEndpoints(endpoints: { peerId?: string; syncId?: string }) {
		const patch: Partial<Presence> = {};
		if (endpoints.peerId !== undefined && endpoints.peerId !== this.#state.peerId)
			patch.peerId = endpoints.peerId;
		if (endpoints.syncId !== undefined && endpoints.syncId !== this.#state.syncId)
			patch.syncId = endpoints.syncId;
		if (Object.keys(patch).length > 0) this.#update(patch);
	}

	/**
	 * Tells peers whether their video is on screen here, so a sender can pause video nobody looks
	 * at (a tile scrolled out of the strip).
	 */
	setTileVisible(peerId: string, visible: boolean) {
		if (visible === !this.#hidden.has(peerId)) return;
		if (visible) this.#hidden.delete(peerId);
		else this.#hidden.add(peerId);
		this.#update({ notViewing: [...this.#hidden] });
	}

	/** Tells everyone the person is recording (and whether paused), or has stopped (null). */
	setRecording(recording: { since: number; paused: boolean } | null) {
		const now = this.#state.recording;
		if (now?.since === recording?.since && now?.paused === recording?.paused) return;
		this.#update({ recording });
	}

	/** The files shared in this meeting that this device holds and serves (SHA-256, hex). */
	setFiles(hashes: Iterable<string>) {
		const files = [...hashes].sort();
		if (files.join() === this.#state.files.join()) return;
		this.#update({ files });
	}

	/**
	 * Removes the person from everyone's view at once: y-webrtc sends the removal over the data
	 * connections synchronously, so it also works while the page is being hidden or unloaded.
	 */
	leave() {
		if (this.#left) return;
		this.#left = true;
		clearTimeout(this.#reactionTimer);
		this.#awareness.setLocalState(null);
	}

	#update(patch: Partial<Presence>) {
		if (this.#left) return;
		this.#state = { ...this.#state, ...patch };
		this.#awareness.setLocalState(this.#state);
	}
}
