import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket as NodeWebSocket, WebSocketServer } from 'ws';
import { generateCode, generateSecret, LinkError } from '$lib/room/link';
import { readPresence } from '$lib/room/presence';
import { dataLinkDeadlineMs, RoomSync } from '$lib/room/room-sync';
import { deriveTopic } from '$lib/room/topic';

const ICE: RTCIceServer[] = [{ urls: 'stun:127.0.0.1:3478' }];

describe('data connection deadline', () => {
	it('is 9–15 s at first, and grows by half for each attempt that ran out, up to 3×', () => {
		expect(dataLinkDeadlineMs(0, 0)).toBe(9_000);
		expect(dataLinkDeadlineMs(0, 0.999_999)).toBeCloseTo(15_000, 0);
		expect(dataLinkDeadlineMs(1, 0.5)).toBe(18_000);
		expect(dataLinkDeadlineMs(4, 0.5)).toBe(36_000);
		expect(dataLinkDeadlineMs(9, 0.5)).toBe(36_000);
	});
});

describe('RoomSync without network', () => {
	it('loads the chat stored by an earlier session of the same meeting, before any network', async () => {
		const code = generateCode();
		const secret = generateSecret();
		const options = { code, secret };

		const first = await RoomSync.open(options);
		expect(first.persistent).toBe(true);
		first.room.initMeta(1);
		first.room.sendMessage({ id: 'ada', name: 'Ada' }, 'kept on this device', 10);
		first.room.recordAttendance('ada', 'Ada', 'join', 5);
		await first.destroy();

		const second = await RoomSync.open(options);
		expect(second.connected).toBe(false);
		expect(second.room.messages().map((m) => m.text)).toEqual(['kept on this device']);
		expect(second.room.attendanceEvents()).toHaveLength(1);
		expect(second.room.createdAt).toBe(1);
		await second.destroy();

		const otherMeeting = await RoomSync.open({ ...options, code: generateCode() });
		expect(otherMeeting.room.messages()).toEqual([]);
		await otherMeeting.destroy();
	});

	it('offers a standalone awareness for presence', async () => {
		const sync = await RoomSync.open({ code: generateCode(), secret: generateSecret() });
		expect(sync.awareness.getLocalState()).toBeNull();
		sync.awareness.setLocalState({
			user: { id: 'ada', name: 'Ada', color: '#1565c0' },
			peerId: null,
			dtls: null,
			media: { mic: false, cam: false, screen: false }
		});
		expect(readPresence(sync.awareness).get(sync.awareness.clientID)?.user.name).toBe('Ada');
		await sync.destroy();
		await sync.destroy();
	});

	it('rejects malformed codes, secrets and signaling URLs', async () => {
		const options = { code: generateCode(), secret: generateSecret() };
		await expect(RoomSync.open({ ...options, code: 'ABC' })).rejects.toBeInstanceOf(LinkError);
		await expect(RoomSync.open({ ...options, secret: 'short' })).rejects.toMatchObject({
			reason: 'bad-secret'
		});
		const sync = await RoomSync.open(options);
		await expect(
			sync.connect({ signalingUrl: 'https://relay.example/yjs', iceServers: ICE })
		).rejects.toBeInstanceOf(TypeError);
		await sync.destroy();
		const other = await RoomSync.open(options);
		await expect(other.connect({ signalingUrl: '', iceServers: ICE })).rejects.toBeInstanceOf(
			TypeError
		);
		await other.destroy();
	});
});

/**
 * A stand-in relay speaking y-webrtc's signaling protocol (subscribe/publish/ping), recording what it
 * is sent. Node 20 has no global WebSocket, so lib0's client uses the `ws` package's.
 */
describe('RoomSync with a relay', () => {
	let server: WebSocketServer;
	let url: string;
	const received: string[] = [];
	let open = 0;
	const savedWebSocket = globalThis.WebSocket;

	beforeAll(async () => {
		globalThis.WebSocket = NodeWebSocket as unknown as typeof WebSocket;
		server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
		await new Promise((resolve) => server.once('listening', resolve));
		url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/yjs`;
		server.on('connection', (socket) => {
			open++;
			socket.on('close', () => open--);
			socket.on('message', (data) => {
				const text = String(data);
				received.push(text);
				if ((JSON.parse(text) as { type: string }).type === 'ping')
					socket.send(JSON.stringify({ type: 'pong' }));
			});
		});
	});

	afterAll(async () => {
		globalThis.WebSocket = savedWebSocket;
		await new Promise((resolve) => server.close(resolve));
	});

	async function until(condition: () => boolean): Promise<void> {
		for (let i = 0; i < 200 && !condition(); i++)
			await new Promise((resolve) => setTimeout(resolve, 10));
		expect(condition()).toBe(true);
	}

	it('subscribes to the derived topic only and sends the relay nothing readable', async () => {
		const code = generateCode();
		const secret = generateSecret();
		const topic = await deriveTopic(code, secret);
		const sync = await RoomSync.open({ code, secret });
		const statuses: boolean[] = [];
		sync.on('status', ({ connected }) => statuses.push(connected));
		await sync.connect({ signalingUrl: url, iceServers: ICE });
		sync.awareness.setLocalState({
			user: { id: 'ada', name: 'Ada Secretname', color: '#1565c0' }
		});

		await until(() => sync.connected && received.some((m) => m.includes('"publish"')));
		expect(statuses).toEqual([true]);
		const messages = received.map(
			(m) => JSON.parse(m) as { type: string; topics?: string[]; topic?: string; data?: unknown }
		);
		const subscribed = messages.filter((m) => m.type === 'subscribe').flatMap((m) => m.topics);
		expect(subscribed).toEqual([topic]);
		for (const message of messages.filter((m) => m.type === 'publish')) {
			expect(message.topic).toBe(topic);
			// AES-GCM ciphertext, base64 (y-webrtc's password encryption)
			expect(typeof message.data).toBe('string');
			expect(() => JSON.parse(Buffer.from(message.data as string, 'base64').toString())).toThrow();
		}
		const everything = received.join('\n');
		for (const secretPart of [code, secret, 'Secretname'])
			expect(everything).not.toContain(secretPart);

		const twin = await RoomSync.open({ code, secret });
		await expect(twin.connect({ signalingUrl: url, iceServers: ICE })).rejects.toThrow(
			/already open/
		);
		await twin.destroy();

		await sync.destroy();
		// y-webrtc's own destroy() would leave this socket open and reconnecting
		await until(() => open === 0);

		const again = await RoomSync.open({ code, secret });
		await again.connect({ signalingUrl: url, iceServers: ICE });
		await until(() => again.connected);
		await again.destroy();
		await until(() => open === 0);
	});
});
