import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import type { RelayLimits } from './config.js';
import { parseJsonObject, type JsonObject } from './json.js';
import type { Protocol, RelayStats, RejectReason, Traffic } from './stats.js';

/** WebSocket close codes used by the relay (RFC 6455 §7.4.1). */
export const CloseCode = {
	normal: 1000,
	goingAway: 1001,
	unsupportedData: 1003,
	invalidPayload: 1007,
	policyViolation: 1008,
	messageTooBig: 1009,
	tryAgainLater: 1013
} as const;

/**
 * One accepted WebSocket connection. It keeps the raw TCP socket that `ws` upgraded so that a frame
 * prepared once (see `encodeTextFrame`) can be written to many receivers without re-serializing or
 * re-framing; `ws` itself writes each of its frames synchronously, so writes never interleave.
 * It also owns the connection's token bucket and the slow-consumer check.
 */
export class Connection {
	readonly ws: WebSocket;
	readonly protocol: Protocol;
	/** Client address, after `TRUST_PROXY` is applied. */
	readonly ip: string;
	readonly #socket: Duplex;
	readonly #stats: RelayStats;
	readonly #traffic: Traffic;
	readonly #limits: RelayLimits;
	#tokens: number;
	#refilledAt: number;

	constructor(
		ws: WebSocket,
		socket: Duplex,
		protocol: Protocol,
		ip: string,
		stats: RelayStats,
		limits: RelayLimits
	) {
		this.ws = ws;
		this.#socket = socket;
		this.protocol = protocol;
		this.ip = ip;
		this.#stats = stats;
		this.#traffic = stats.traffic[protocol];
		this.#limits = limits;
		this.#tokens = limits.messageBurst;
		this.#refilledAt = performance.now();
	}

	/** Whether frames can still be sent (the handshake is done and no close frame was sent). */
	get open(): boolean {
		return this.ws.readyState === WebSocket.OPEN;
	}

	/**
	 * Accounts for one received message of `bytes` bytes and takes a token from the bucket
	 * (`MESSAGE_RATE` tokens/s, at most `MESSAGE_BURST`).
	 *
	 * @returns `false` when the bucket is empty (the connection is then closed with 1008) or the
	 *   connection is already closing (messages that were still in flight are ignored).
	 */
	admit(bytes: number): boolean {
		this.#traffic.messagesIn += 1;
		this.#traffic.bytesIn += bytes;
		if (this.ws.readyState !== WebSocket.OPEN) return false;
		const now = performance.now();
		const { messageRate, messageBurst } = this.#limits;
		this.#tokens = Math.min(
			messageBurst,
			this.#tokens + ((now - this.#refilledAt) * messageRate) / 1000
		);
		this.#refilledAt = now;
		if (this.#tokens >= 1) {
			this.#tokens -= 1;
			return true;
		}
		this.reject('rate_limited', CloseCode.policyViolation, 'rate limit exceeded');
		return false;
	}

	/**
	 * Writes a complete, prepared WebSocket frame. A receiver whose unsent bytes exceed
	 * `MAX_BUFFERED_BYTES` afterwards is a slow consumer and is terminated.
	 *
	 * @returns whether the frame was written.
	 */
	sendFrame(frame: Buffer): boolean {
		if (this.ws.readyState !== WebSocket.OPEN) return false;
		this.#socket.write(frame);
		this.#traffic.messagesOut += 1;
		this.#traffic.bytesOut += frame.length;
		if (this.#socket.writableLength > this.#limits.maxBufferedBytes) {
			this.#stats.reject(this.protocol, 'slow_consumer');
			this.ws.terminate();
		}
		return true;
	}

	/**
	 * Reads one received text message as a JSON object; binary frames (1003) and text that is
	 * not JSON (1007) close the connection.
	 *
	 * @returns the object, `null` for JSON that is not an object (to be ignored), or `undefined`
	 *   when the connection was closed.
	 */
	parse(bytes: Buffer, isBinary: boolean): JsonObject | null | undefined {
		if (isBinary) {
			this.reject('binary', CloseCode.unsupportedData, 'binary messages are not supported');
			return undefined;
		}
		const message = parseJsonObject(bytes);
		if (message === undefined) {
			this.reject('malformed_json', CloseCode.invalidPayload, 'malformed JSON');
		}
		return message;
	}

	/** Counts a refusal and, when `code` is given, closes the connection with it. */
	reject(reason: RejectReason, code?: number, description?: string): void {
		this.#stats.reject(this.protocol, reason);
		if (code !== undefined && this.ws.readyState === WebSocket.OPEN) {
			this.ws.close(code, description);
		}
	}
}
