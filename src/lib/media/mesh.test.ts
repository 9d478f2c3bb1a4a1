// The mesh and its call links against a fake PeerJS (the way yjs tests its providers with a test
// connector): who calls, waiting for a caller, every deadline, back-off, identity changes, refusal
// of calls that do not present the announced certificate, and a relay that goes away.
import { EventEmitter } from 'node:events';
import type { Peer, PeerOptions } from 'peerjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ResolvedRelay } from '$lib/relay/config';
import { LINK_TIMING } from './call-link';
import { Mesh, MeshError, type MeshMember } from './mesh';

const FP_A = 'sha-256 AA:AA';
const FP_B = 'sha-256 BB:BB';
const FP_EVIL = 'sha-256 EE:EE';
const sdp = (fingerprint: string) => `v=0\r\na=fingerprint:${fingerprint}\r\n`;

/** The part of an RTCPeerConnection a call link reads. */
class FakePC extends EventTarget {
	connectionState: RTCPeerConnectionState = 'new';
	remoteDescription: { sdp: string } | null = null;
	getSenders() {
		return [];
	}
	/** The answer arrived (caller side). */
	answered(fingerprint: string) {
		this.remoteDescription = { sdp: sdp(fingerprint) };
		this.dispatchEvent(new Event('signalingstatechange'));
	}
	set(state: RTCPeerConnectionState) {
		this.connectionState = state;
		this.dispatchEvent(new Event('connectionstatechange'));
	}
}

/** A PeerJS MediaConnection: `close` is emitted only for calls that were answered, as in 1.5. */
class FakeCall extends EventEmitter {
	open = false;
	closed = false;
	answeredWith: unknown = null;
	peerConnection: FakePC | null;
	options: { _payload?: { sdp: { sdp: string } } };
	constructor(
		readonly peer: string,
		incoming: { offer: string } | null
	) {
		super();
		this.peerConnection = incoming ? null : new FakePC();
		this.options = incoming ? { _payload: { sdp: { sdp: sdp(incoming.offer) } } } : {};
	}
	answer(stream: unknown) {
		this.answeredWith = stream;
		this.open = true;
		this.peerConnection = new FakePC();
	}
	close() {
		if (this.closed) return;
		this.closed = true;
		if (!this.open) return;
		this.open = false;
		this.emit('close');
	}
	get pc(): FakePC {
		if (!this.peerConnection) throw new Error('no peer connection yet');
		return this.peerConnection;
	}
}

/** A PeerJS Peer whose relay the test plays. */
class FakePeer extends EventEmitter {
	static all: FakePeer[] = [];
	open = false;
	disconnected = false;
	destroyed = false;
	reconnects = 0;
	calls: FakeCall[] = [];
	constructor(
		readonly id: string,
		readonly options: PeerOptions
	) {
		super();
		FakePeer.all.push(this);
	}
	call(peerId: string) {
		const call = new FakeCall(peerId, null);
		this.calls.push(call);
		return call;
	}
	reconnect() {
		this.disconnected = false;
		this.reconnects++;
	}
	destroy() {
		this.destroyed = true;
		this.open = false;
	}
	/** The relay answered OPEN. */
	accept() {
		this.open = true;
		this.emit('open', this.id);
	}
	/** The relay went away. */
	lose() {
		this.open = false;
		this.disconnected = true;
		this.emit('error', { type: 'network', message: 'Lost connection to server.' });
		this.emit('disconnected', this.id);
	}
	/** An incoming call from `from`, presenting `fingerprint`. */
	ring(from: string, fingerprint: string): FakeCall {
		const call = new FakeCall(from, { offer: fingerprint });
		this.emit('call', call);
		return call;
	}
	latestCall(): FakeCall {
		const call = this.calls.at(-1);
		if (!call) throw new Error('no call placed');
		return call;
	}
}

const relay: ResolvedRelay = {
	config: {
		iceServers: [],
		iceTransportPolicy: 'all',
		signaling: { yjs: '/yjs', peerjs: { path: '/peerjs', key: 'peerjs' } },
		room: { videoCap: 12 }
	},
	yjsUrl: 'ws://relay.test/yjs',
	peerjs: { host: 'relay.test', port: 80, secure: false, path: '/peerjs', key: 'peerjs' }
};

const outgoing = { id: 'outgoing' } as unknown as MediaStream;

/** A registered mesh with id `id`; `random` fixes the back-off jitter (0.5: none). */
async function meshOf(id: string, random = () => 0.5) {
	const mesh = new Mesh({
		relay,
		certificate: {} as RTCCertificate,
		identity: { id, token: `${id}-token` },
		outgoing: () => outgoing,
		loadPeer: async () => FakePeer as unknown as new (id: string, o: PeerOptions) => Peer,
		random
	});
	const events: string[] = [];
	mesh.on('state', (peer, state) => events.push(`${peer}:${state}`));
	mesh.on('refused', (peer) => events.push(`${peer}:refused`));
	mesh.on('nudge', (peer) => events.push(`${peer}:nudge`));
	const started = mesh.start();
	await vi.advanceTimersByTimeAsync(0);
	const peer = FakePeer.all.at(-1)!;
	peer.accept();
	await expect(started).resolves.toBe(id);
	return { mesh, peer, events };
}

const member = (peerId: string, dtls: string | null): MeshMember => ({ peerId, dtls });

beforeEach(() => {
	vi.useFakeTimers();
	FakePeer.all = [];
});
afterEach(() => {
	vi.useRealTimers();
});

describe('who calls', () => {
	it('the smaller peer id calls, the larger waits; a member without a fingerprint is not called', async () => {
		const { mesh: a, peer: peerA } = await meshOf('aaa');
		a.setMembers([member('bbb', FP_B), member('ccc', null)]);
		expect(peerA.calls.map((c) => c.peer)).toEqual(['bbb']);
		expect(peerA.options).toMatchObject({
			host: 'relay.test',
			path: '/peerjs',
			token: 'aaa-token'
		});

		const { mesh: b, peer: peerB, events } = await meshOf('bbb');
		b.setMembers([member('aaa', FP_A)]);
		expect(peerB.calls).toEqual([]);
		expect(b.link('aaa')?.state).toBe('idle');
		// As callee it answers a verified call from the member.
		const call = peerB.ring('aaa', FP_A);
		expect(call.answeredWith).toBe(outgoing);
		expect(events).toContain('aaa:connecting');
		call.pc.set('connected');
		expect(b.link('aaa')).toEqual({ state: 'connected', everConnected: true });
	});

	it('does not call before it is registered at the relay', async () => {
		const mesh = new Mesh({
			relay,
			certificate: {} as RTCCertificate,
			identity: { id: 'aaa', token: 't' },
			outgoing: () => outgoing,
			loadPeer: async () => FakePeer as unknown as new (id: string, o: PeerOptions) => Peer
		});
		void mesh.start();
		await vi.advanceTimersByTimeAsync(0);
		const peer = FakePeer.all[0]!;
		mesh.setMembers([member('bbb', FP_B)]);
		expect(peer.calls).toEqual([]);
		peer.accept();
		expect(peer.calls.map((c) => c.peer)).toEqual(['bbb']);
	});
});

describe('a pending incoming call', () => {
	it('is answered once its caller becomes a member, with the announced certificate', async () => {
		const { mesh, peer } = await meshOf('bbb');
		const call = peer.ring('aaa', FP_A);
		expect(call.answeredWith).toBeNull();
		await vi.advanceTimersByTimeAsync(2_000);
		mesh.setMembers([member('aaa', FP_A)]);
		expect(call.answeredWith).toBe(outgoing);
	});

	it('is closed when its caller does not become a member in time', async () => {
		const { mesh, peer } = await meshOf('bbb');
		const call = peer.ring('aaa', FP_A);
		await vi.advanceTimersByTimeAsync(6_000);
		expect(call.closed).toBe(true);
		mesh.setMembers([member('aaa', FP_A)]);
		expect(call.answeredWith).toBeNull();
	});
});

describe('deadlines', () => {
	it('a call that is never answered is replaced by a fresh one, although PeerJS never says it closed', async () => {
		const { mesh, peer, events } = await meshOf('aaa');
		mesh.setMembers([member('bbb', FP_B)]);
		const first = peer.latestCall();
		expect(events).toEqual(['bbb:dialling']);
		await vi.advanceTimersByTimeAsync(LINK_TIMING.dialMs - 1);
		expect(first.closed).toBe(false);
		await vi.advanceTimersByTimeAsync(1);
		expect(first.closed).toBe(true);
		expect(events.at(-1)).toBe('bbb:idle');
		await vi.advanceTimersByTimeAsync(LINK_TIMING.backoffBaseMs);
		expect(peer.calls).toHaveLength(2);
		expect(peer.latestCall()).not.toBe(first);
		expect(events.at(-1)).toBe('bbb:dialling');
	});

	it('a call that stays connecting is replaced, with more time for each attempt', async () => {
		const { mesh, peer } = await meshOf('aaa');
		mesh.setMembers([member('bbb', FP_B)]);
		peer.latestCall().pc.answered(FP_B);
		expect(mesh.link('bbb')?.state).toBe('connecting');
		await vi.advanceTimersByTimeAsync(LINK_TIMING.connectMs);
		expect(peer.calls[0]!.closed).toBe(true);
		await vi.advanceTimersByTimeAsync(LINK_TIMING.backoffBaseMs);
		expect(peer.calls).toHaveLength(2);
		// Second attempt: the answer may take 1.5× as long.
		peer.latestCall().pc.answered(FP_B);
		await vi.advanceTimersByTimeAsync(LINK_TIMING.connectMs);
		expect(peer.calls[1]!.closed).toBe(false);
		peer.latestCall().pc.set('connected');
		expect(mesh.link('bbb')?.state).toBe('connected');
	});

	it('a slow connection that keeps taking steps gets more time, up to three deadlines', async () => {
		const { mesh, peer } = await meshOf('aaa');
		mesh.setMembers([member('bbb', FP_B)]);
		const call = peer.latestCall();
		call.pc.answered(FP_B);
		const step = LINK_TIMING.connectMs - 1_000;
		for (let i = 0; i < 2; i++) {
			await vi.advanceTimersByTimeAsync(step);
			expect(call.closed).toBe(false);
			call.pc.dispatchEvent(new Event('iceconnectionstatechange'));
		}
		// Steps no longer extend it past three deadlines from when it began connecting.
		await vi.advanceTimersByTimeAsync(3 * LINK_TIMING.connectMs - 2 * step);
		expect(call.closed).toBe(true);
	});

	it('a connected call that loses ICE gets time to recover, then is dialled again', async () => {
		const { mesh, peer, events } = await meshOf('aaa');
		mesh.setMembers([member('bbb', FP_B)]);
		const call = peer.latestCall();
		call.pc.answered(FP_B);
		call.pc.set('connected');
		call.pc.set('disconnected');
		expect(mesh.link('bbb')).toEqual({ state: 'reconnecting', everConnected: true });
		await vi.advanceTimersByTimeAsync(LINK_TIMING.reconnectMs / 2);
		call.pc.set('connected');
		expect(mesh.link('bbb')?.state).toBe('connected');
		call.pc.set('disconnected');
		await vi.advanceTimersByTimeAsync(LINK_TIMING.reconnectMs);
		expect(call.closed).toBe(true);
		await vi.advanceTimersByTimeAsync(LINK_TIMING.backoffBaseMs);
		expect(peer.calls).toHaveLength(2);
		expect(events.slice(-3)).toEqual(['bbb:reconnecting', 'bbb:idle', 'bbb:dialling']);
	});

	it('a failed connection is dialled again after a short back-off', async () => {
		const { mesh, peer } = await meshOf('aaa');
		mesh.setMembers([member('bbb', FP_B)]);
		peer.latestCall().pc.answered(FP_B);
		peer.latestCall().pc.set('connected');
		peer.latestCall().pc.set('failed');
		expect(mesh.link('bbb')?.state).toBe('idle');
		await vi.advanceTimersByTimeAsync(LINK_TIMING.backoffBaseMs);
		expect(peer.calls).toHaveLength(2);
	});

	it('as callee, asks for a call again when none comes, and takes a new call in place of an old one', async () => {
		const { mesh, peer, events } = await meshOf('bbb');
		mesh.setMembers([member('aaa', FP_A)]);
		await vi.advanceTimersByTimeAsync(LINK_TIMING.waitMs);
		expect(events).toContain('aaa:nudge');
		const first = peer.ring('aaa', FP_A);
		first.pc.set('connected');
		const second = peer.ring('aaa', FP_A);
		expect(first.closed).toBe(true);
		expect(second.answeredWith).toBe(outgoing);
		expect(mesh.link('aaa')?.state).toBe('connecting');
	});

	it('the relay expiring our offer (peer-unavailable) ends the dialling at once', async () => {
		const { mesh, peer } = await meshOf('aaa');
		mesh.setMembers([member('bbb', FP_B)]);
		peer.emit('error', { type: 'peer-unavailable', message: 'Could not connect to peer bbb' });
		expect(peer.latestCall().closed).toBe(true);
		expect(mesh.link('bbb')?.state).toBe('idle');
	});
});

describe('back-off', () => {
	it('grows 0.5 s, 1 s, 2 s … up to 8 s, with jitter, and starts over after a connection', async () => {
		const { mesh, peer } = await meshOf('aaa', () => 0);
		mesh.setMembers([member('bbb', FP_B)]);
		const gaps: number[] = [];
		for (let attempt = 0; attempt < 7; attempt++) {
			peer.emit('error', { type: 'peer-unavailable', message: 'Could not connect to peer bbb' });
			const before = peer.calls.length;
			let waited = 0;
			while (peer.calls.length === before) {
				await vi.advanceTimersByTimeAsync(10);
				waited += 10;
			}
			gaps.push(waited);
		}
		// random() = 0: 70 % of each base delay.
		expect(gaps).toEqual([350, 700, 1400, 2800, 5600, 5600, 5600]);
		peer.latestCall().pc.answered(FP_B);
		peer.latestCall().pc.set('connected');
		peer.latestCall().pc.set('failed');
		const before = peer.calls.length;
		await vi.advanceTimersByTimeAsync(350);
		expect(peer.calls.length).toBe(before + 1);
	});

	it('a hello from the member cuts the back-off short', async () => {
		const { mesh, peer } = await meshOf('aaa');
		mesh.setMembers([member('bbb', FP_B)]);
		peer.emit('error', { type: 'peer-unavailable', message: 'Could not connect to peer bbb' });
		expect(peer.calls).toHaveLength(1);
		mesh.poke('bbb');
		expect(peer.calls).toHaveLength(2);
	});
});

describe('identity', () => {
	it('takes a new identity when the relay says the id is taken, and calls again with it', async () => {
		const { mesh, peer } = await meshOf('aaa');
		const opened: string[] = [];
		mesh.on('open', (id) => opened.push(id));
		mesh.setMembers([member('fff', FP_B)]);
		expect(peer.calls).toHaveLength(1);
		peer.emit('error', { type: 'unavailable-id', message: 'ID "aaa" is taken' });
		expect(peer.destroyed).toBe(true);
		expect(peer.latestCall().closed).toBe(true);
		await vi.advanceTimersByTimeAsync(0);
		const fresh = FakePeer.all.at(-1)!;
		expect(fresh).not.toBe(peer);
		expect(fresh.id).toMatch(/^[0-9a-f]{32}$/);
		expect(fresh.options.token).toMatch(/^[0-9a-f]{32}$/);
		expect(mesh.identity.id).toBe(fresh.id);
		fresh.accept();
		expect(opened).toEqual([fresh.id]);
		// Who calls now depends on the new id.
		const caller = fresh.id < 'fff';
		expect(fresh.calls.length).toBe(caller ? 1 : 0);
	});

	it('a server that refuses us for good rejects start() with a code, once', async () => {
		const mesh = new Mesh({
			relay,
			certificate: {} as RTCCertificate,
			identity: { id: 'aaa', token: 't' },
			outgoing: () => outgoing,
			loadPeer: async () => FakePeer as unknown as new (id: string, o: PeerOptions) => Peer
		});
		const started = mesh.start();
		await vi.advanceTimersByTimeAsync(0);
		FakePeer.all[0]!.emit('error', { type: 'invalid-key', message: 'API KEY "x" is invalid' });
		await expect(started).rejects.toBeInstanceOf(MeshError);
		await expect(started).rejects.toMatchObject({ code: 'server-refused' });
	});
});

describe('refusal on a fingerprint mismatch', () => {
	it('the caller hangs up on an answer with another certificate, says so, and does not dial again', async () => {
		const { mesh, peer, events } = await meshOf('aaa');
		mesh.setMembers([member('bbb', FP_B)]);
		peer.latestCall().pc.answered(FP_EVIL);
		expect(peer.latestCall().closed).toBe(true);
		expect(events.slice(-2)).toEqual(['bbb:closed', 'bbb:refused']);
		await vi.advanceTimersByTimeAsync(60_000);
		expect(peer.calls).toHaveLength(1);
		// A member that announces a new certificate gets a fresh link.
		mesh.setMembers([member('bbb', 'sha-256 B2:B2')]);
		expect(peer.calls).toHaveLength(2);
	});

	it('the callee refuses a call with another certificate and answers the genuine one', async () => {
		const { mesh, peer, events } = await meshOf('bbb');
		mesh.setMembers([member('aaa', FP_A)]);
		const forged = peer.ring('aaa', FP_EVIL);
		expect(forged.closed).toBe(true);
		expect(forged.answeredWith).toBeNull();
		expect(events).toContain('aaa:refused');
		const genuine = peer.ring('aaa', FP_A);
		expect(genuine.answeredWith).toBe(outgoing);
	});

	it('a call from someone who is not a member is never answered', async () => {
		const { peer } = await meshOf('bbb');
		const stranger = peer.ring('zzz', FP_EVIL);
		await vi.advanceTimersByTimeAsync(10_000);
		expect(stranger.answeredWith).toBeNull();
		expect(stranger.closed).toBe(true);
	});
});

describe('relay loss', () => {
	it('keeps connected calls, re-registers within about a second with the same id, then dials at once', async () => {
		const { mesh, peer } = await meshOf('aaa');
		const registered: boolean[] = [];
		mesh.on('registered', (up) => registered.push(up));
		mesh.setMembers([member('bbb', FP_B), member('ccc', FP_B)]);
		const [toB, toC] = peer.calls;
		toB!.pc.answered(FP_B);
		toB!.pc.set('connected');
		peer.lose();
		expect(registered).toEqual([false]);
		expect(toB!.closed).toBe(false);
		expect(mesh.link('bbb')?.state).toBe('connected');
		// The call to ccc times out while the relay is away; dialling waits for it.
		await vi.advanceTimersByTimeAsync(LINK_TIMING.dialMs);
		expect(toC!.closed).toBe(true);
		// Registration is retried after 0.25 s, 0.5 s, then every second, with the same id and token.
		let retries = 0;
		for (let s = 0; s < 5; s++) {
			peer.lose();
			const before = peer.reconnects;
			await vi.advanceTimersByTimeAsync(1_000);
			retries += peer.reconnects - before;
		}
		expect(retries).toBe(5);
		const calls = peer.calls.length;
		peer.accept();
		expect(registered.at(-1)).toBe(true);
		expect(peer.calls.length).toBe(calls + 1);
		expect(peer.latestCall().peer).toBe('ccc');
		expect(FakePeer.all).toHaveLength(1);
	});

	it('reconnectNow() retries at once (the browser came back online)', async () => {
		const { mesh, peer } = await meshOf('aaa');
		peer.lose();
		peer.reconnects = 0;
		mesh.reconnectNow();
		expect(peer.reconnects).toBe(1);
	});

	it('hangs up on members who left, and on everyone when destroyed', async () => {
		const { mesh, peer } = await meshOf('aaa');
		mesh.setMembers([member('bbb', FP_B), member('ccc', FP_B)]);
		const [toB, toC] = peer.calls;
		mesh.setMembers([member('ccc', FP_B)]);
		expect(toB!.closed).toBe(true);
		expect(mesh.link('bbb')).toBeNull();
		mesh.destroy();
		expect(toC!.closed).toBe(true);
		expect(peer.destroyed).toBe(true);
		await vi.advanceTimersByTimeAsync(60_000);
		expect(peer.calls).toHaveLength(2);
	});
});
