import { loadRelayConfig, RelayError, type ResolvedRelay } from './config';

/** Retry delays while the relay's config cannot be loaded: 0.5 s, then every second (ms). */
const RETRY_MS = [500, 1_000];

/**
 * The relay's config, loaded once and retried until it arrives: a meeting opened while the relay
 * (or the network) is down connects by itself as soon as it is back. The browser's `online` event
 * retries at once.
 */
export class RelayConnection {
	/** The config, once loaded. */
	config = $state.raw<ResolvedRelay | null>(null);
	/** Why the last attempt failed; null while loading the first time or once loaded. */
	problem = $state<RelayError['code'] | null>(null);

	#load: () => Promise<ResolvedRelay>;
	#ready: Promise<ResolvedRelay>;
	#resolve!: (relay: ResolvedRelay) => void;
	#timer: ReturnType<typeof setTimeout> | null = null;
	#attempts = 0;
	#loading = false;
	#stopped = false;

	/** @param load fetches the config (default: {@link loadRelayConfig} from the page's relay) */
	constructor(load: () => Promise<ResolvedRelay> = () => loadRelayConfig()) {
		this.#load = load;
		this.#ready = new Promise((resolve) => (this.#resolve = resolve));
		addEventListener('online', this.#retryNow);
		void this.#attempt();
	}

	/** Resolves with the config as soon as the relay answered (never rejects). */
	ready(): Promise<ResolvedRelay> {
		return this.#ready;
	}

	/** Stops retrying. */
	destroy() {
		this.#stopped = true;
		removeEventListener('online', this.#retryNow);
		if (this.#timer) clearTimeout(this.#timer);
	}

	#retryNow = () => {
		if (this.config || this.#stopped || this.#loading) return;
		if (this.#timer) clearTimeout(this.#timer);
		this.#timer = null;
		void this.#attempt();
	};

	async #attempt() {
		this.#loading = true;
		try {
			const relay = await this.#load();
			if (this.#stopped) return;
			this.config = relay;
			this.problem = null;
			removeEventListener('online', this.#retryNow);
			this.#resolve(relay);
		} catch (error) {
			if (this.#stopped) return;
			this.problem = error instanceof RelayError ? error.code : 'unreachable';
			const delay = RETRY_MS[Math.min(this.#attempts++, RETRY_MS.length - 1)];
			this.#timer = setTimeout(() => {
				this.#timer = null;
				void this.#attempt();
			}, delay);
		} finally {
			this.#loading = false;
		}
	}
}
