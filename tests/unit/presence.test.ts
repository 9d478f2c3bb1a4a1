import { describe, expect, it } from 'vitest';
import { applyAwarenessUpdate, Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { readPresence, toPresence, type Presence } from '$lib/room/presence';

const VALID: Presence = {
	user: { id: 'person-1', name: 'Alice', color: '#1565c0' },
	peerId: 'peer-1',
	syncId: 'sync-1',
	dtls: 'sha-256 AB:CD:EF',
	media: { mic: true, cam: false, screen: false },
	joinedAt: 1_699_999_999_000,
	hand: 1_700_000_000_000,
	reaction: { name: 'Clap', at: 1_700_000_001_000 },
	notViewing: ['peer-2'],
	files: ['abababababababababababababababababababababababababababababababab'],
	recording: { since: 1_700_000_002_000, paused: false }
};

describe('toPresence', () => {
	it('accepts a well-formed state and copies it', () => {
		const presence = toPresence(VALID);
		expect(presence).toEqual(VALID);
		expect(presence).not.toBe(VALID);
		expect(toPresence({ ...VALID, peerId: null, dtls: null })).toEqual({
			...VALID,
			peerId: null,
			dtls: null
		});
	});

	it('reads the in-call fields leniently: absent or malformed means none', () => {
		const {
			joinedAt: _j,
			hand: _h,
			reaction: _r,
			notViewing: _n,
			files: _f,
			recording: _rec,
			...older
		} = VALID;
		expect(toPresence(older)).toEqual({
			...older,
			joinedAt: null,
			hand: null,
			reaction: null,
			notViewing: [],
			files: [],
			recording: null
		});
		expect(
			toPresence({
				...VALID,
				hand: 'up',
				reaction: { name: 'Boo', at: 1 },
				notViewing: [1, '', 'peer-3', { x: 1 }]
			})
		).toEqual({ ...VALID, hand: null, reaction: null, notViewing: ['peer-3'] });
	});

	it('reads the sync id leniently: absent or malformed means none', () => {
		expect(toPresence({ ...VALID, syncId: undefined })?.syncId).toBeNull();
		expect(toPresence({ ...VALID, syncId: 42 })?.syncId).toBeNull();
		expect(toPresence({ ...VALID, syncId: 'x'.repeat(500) })?.syncId).toBeNull();
	});

	it('trims and cuts names', () => {
		expect(
			toPresence({ ...VALID, user: { ...VALID.user, name: ` ${'n'.repeat(500)} ` } })?.user.name
		).toHaveLength(80);
	});

	it.each<[string, unknown]>([
		['null', null],
		['a string', 'hello'],
		['no user', { ...VALID, user: undefined }],
		['no media', { ...VALID, media: null }],
		['numeric id', { ...VALID, user: { ...VALID.user, id: 1 } }],
		['CSS in the colour', { ...VALID, user: { ...VALID.user, color: 'red; background: url(x)' } }],
		['named colour', { ...VALID, user: { ...VALID.user, color: 'red' } }],
		['missing peerId', { ...VALID, peerId: undefined }],
		['empty peerId', { ...VALID, peerId: '' }],
		['huge dtls', { ...VALID, dtls: 'x'.repeat(10_000) }],
		['string mic', { ...VALID, media: { ...VALID.media, mic: 'yes' } }]
	])('rejects %s', (_, state) => {
		expect(toPresence(state)).toBeNull();
	});
});

describe('readPresence', () => {
	it('returns well-formed states by client id, local and remote, and leaves out the rest', () => {
		const local = new Awareness(new Y.Doc());
		const good = new Awareness(new Y.Doc());
		const bad = new Awareness(new Y.Doc());
		local.setLocalState(VALID);
		good.setLocalState({ ...VALID, user: { ...VALID.user, id: 'person-2', name: 'Bob' } });
		bad.setLocalState({ user: 'mallory' });
		for (const remote of [good, bad]) {
			applyAwarenessUpdate(local, encodeAwarenessUpdate(remote, [remote.clientID]), 'remote');
		}
		const presence = readPresence(local);
		expect([...presence.keys()].sort()).toEqual([local.clientID, good.clientID].sort());
		expect(presence.get(good.clientID)?.user.name).toBe('Bob');
		for (const awareness of [local, good, bad]) awareness.destroy();
	});
});
