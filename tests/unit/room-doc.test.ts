import * as prng from 'lib0/prng';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { MAX_MESSAGE_LENGTH, RoomDoc, type ChatMessage } from '$lib/room/room-doc';

const ALICE = { id: 'alice-id', name: 'Alice' };

/** Replicas whose updates travel through per-receiver inboxes, delivered when and in the order a test says. */
function createReplicas(count: number): { rooms: RoomDoc[]; inboxes: Uint8Array[][] } {
	const rooms: RoomDoc[] = [];
	const inboxes: Uint8Array[][] = [];
	for (let i = 0; i < count; i++) {
		const doc = new Y.Doc();
		doc.clientID = i + 1;
		rooms.push(new RoomDoc(doc));
		inboxes.push([]);
	}
	rooms.forEach((room, sender) => {
		room.doc.on('update', (update: Uint8Array, origin: unknown) => {
			if (origin === 'remote') return;
			inboxes.forEach((inbox, receiver) => {
				if (receiver !== sender) inbox.push(update);
			});
		});
	});
	return { rooms, inboxes };
}

/** Junk a malicious or buggy peer could append to the chat array. */
function junk(gen: prng.PRNG): unknown {
	const choices: (() => unknown)[] = [
		() => null,
		() => prng.int32(gen, -5, 5),
		() => prng.word(gen),
		() => [prng.word(gen)],
		() => new Uint8Array([1, 2, 3]),
		() => ({ id: 7, authorId: 'x', authorName: 'X', text: 'hi', sentAt: 1 }),
		() => ({ id: 'x', authorId: 'x', authorName: 'X', text: 'hi', sentAt: '1' }),
		() => ({ id: 'x', authorId: 'x', authorName: 'X', text: '   ', sentAt: 1 }),
		() => ({ id: 'x', authorId: 'x', authorName: null, text: 'hi', sentAt: 1 }),
		() => ({ id: '', authorId: 'x', authorName: 'X', text: 'hi', sentAt: 1 }),
		() => ({ id: 'x'.repeat(1000), authorId: 'x', authorName: 'X', text: 'hi', sentAt: 1 }),
		() => ({ authorId: 'x', authorName: 'X', text: 'hi', sentAt: 1 })
	];
	return prng.oneOf(gen, choices)();
}

/** Runs random operations and deliveries on `count` replicas, then delivers everything. */
function runRandomSession(seed: number, count: number, steps: number): RoomDoc[] {
	const gen = prng.create(seed);
	const { rooms, inboxes } = createReplicas(count);
	const deliver = (receiver: number, howMany: number): void => {
		const inbox = inboxes[receiver] ?? [];
		for (let i = 0; i < howMany && inbox.length > 0; i++) {
			const [update] = inbox.splice(prng.int32(gen, 0, inbox.length - 1), 1);
			if (update) Y.applyUpdate(rooms[receiver]!.doc, update, 'remote');
		}
	};
	for (let step = 0; step < steps; step++) {
		const i = prng.int32(gen, 0, count - 1);
		const room = rooms[i]!;
		// a handful of timestamps, so that many messages share one
		const now = 1_700_000_000_000 + prng.int32(gen, 0, 4);
		const op = prng.int32(gen, 0, 99);
		if (op < 45) {
			room.sendMessage(
				{ id: `person-${i}`, name: `Person ${i}` },
				`  ${prng.word(gen, 1, 12)} \n`,
				now
			);
		} else if (op < 60) {
			room.recordAttendance(`person-${i}`, `Person ${i}`, prng.bool(gen) ? 'join' : 'leave', now);
		} else if (op < 65) {
			room.title = `Title from ${i}`;
		} else if (op < 70) {
			room.chat.push([junk(gen) as ChatMessage]);
		} else if (op < 72) {
			// a peer reusing someone else's message id
			const victim = room.messages()[0];
			if (victim) room.chat.push([{ ...victim, text: 'impostor', sentAt: now }]);
		} else {
			deliver(i, prng.int32(gen, 0, 6));
		}
	}
	for (let i = 0; i < count; i++) deliver(i, Infinity);
	// a final full state exchange, as y-protocols sync step 1/2 would do
	for (const a of rooms) {
		for (const b of rooms)
			if (a !== b) Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc, Y.encodeStateVector(b.doc)));
	}
	return rooms;
}

describe('RoomDoc convergence', () => {
	for (let seed = 1; seed <= 12; seed++) {
		it(`4 replicas with random operations and deliveries converge (seed ${seed})`, () => {
			const rooms = runRandomSession(seed, 4, 300);
			const [first, ...others] = rooms.map((room) => ({
				messages: room.messages(),
				attendance: room.attendanceEvents(),
				title: room.title,
				names: room.namesSeen()
			}));
			expect(first!.messages.length).toBeGreaterThan(20);
			for (const other of others) expect(other).toEqual(first);
			const messages = first!.messages;
			for (let i = 1; i < messages.length; i++) {
				const [a, b] = [messages[i - 1]!, messages[i]!];
				expect(a.sentAt < b.sentAt || (a.sentAt === b.sentAt && a.id < b.id)).toBe(true);
			}
			expect(new Set(messages.map((m) => m.id)).size).toBe(messages.length);
			expect(messages.some((m) => m.text === 'impostor')).toBe(false);
			for (const message of messages) expect(message.text).toBe(message.text.trim());
		});
	}
});

describe('RoomDoc.sendMessage', () => {
	it('stores a trimmed message with a random id', () => {
		const room = new RoomDoc();
		const message = room.sendMessage(ALICE, '  hello\n  world \n', 42);
		expect(message).toEqual({
			id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
			authorId: 'alice-id',
			authorName: 'Alice',
			text: 'hello\n  world',
			sentAt: 42
		});
		expect(room.messages()).toEqual([message]);
		expect(room.sendMessage(ALICE, 'again', 42).id).not.toBe(message.id);
	});

	it('rejects empty and whitespace-only messages with an Error', () => {
		const room = new RoomDoc();
		expect(() => room.sendMessage(ALICE, '')).toThrow(Error);
		expect(() => room.sendMessage(ALICE, ' \n\t ')).toThrow(Error);
		expect(room.chat.length).toBe(0);
	});

	it('rejects an author without an id and a send time that is not a number', () => {
		const room = new RoomDoc();
		expect(() => room.sendMessage({ id: '', name: 'Nobody' }, 'hi')).toThrow(TypeError);
		expect(() => room.sendMessage(ALICE, 'hi', Number.NaN)).toThrow(TypeError);
		expect(room.chat.length).toBe(0);
	});

	it(`accepts ${MAX_MESSAGE_LENGTH} characters and rejects more with a RangeError`, () => {
		const room = new RoomDoc();
		expect(room.sendMessage(ALICE, 'a'.repeat(MAX_MESSAGE_LENGTH)).text).toHaveLength(
			MAX_MESSAGE_LENGTH
		);
		expect(() => room.sendMessage(ALICE, 'a'.repeat(MAX_MESSAGE_LENGTH + 1))).toThrow(RangeError);
		expect(room.sendMessage(ALICE, ` ${'a'.repeat(MAX_MESSAGE_LENGTH)} `).text).toHaveLength(
			MAX_MESSAGE_LENGTH
		);
	});

	it('keeps markup as plain text', () => {
		const room = new RoomDoc();
		room.sendMessage(ALICE, '<img src=x onerror=alert(1)>');
		expect(room.messages()[0]?.text).toBe('<img src=x onerror=alert(1)>');
	});
});

describe('RoomDoc file messages', () => {
	const file = {
		name: 'slides.pdf',
		size: 1_000_000,
		type: 'application/pdf',
		sha256: 'a'.repeat(64),
		chunkSize: 128 * 1024,
		root: 'b'.repeat(64)
	};

	it('sends a file with or without text, and lists the files shared', () => {
		const room = new RoomDoc();
		room.sendMessage(ALICE, '', 1, file);
		room.sendMessage(ALICE, 'the same again', 2, file);
		const [first, second] = room.messages();
		expect(first).toMatchObject({ text: '', file });
		expect(second).toMatchObject({ text: 'the same again', file });
		expect([...room.files().keys()]).toEqual([file.sha256]);
		expect(() => room.sendMessage(ALICE, ' ', 3)).toThrow(Error);
	});

	it('drops a malformed file, and its message when it has no text', () => {
		const room = new RoomDoc();
		const base = { authorId: 'eve', authorName: 'Eve', sentAt: 1 };
		room.chat.push([
			{ ...base, id: 'm1', text: '', file: { ...file, sha256: 'not a hash' } },
			{ ...base, id: 'm2', text: 'look', file: { ...file, size: -5 } },
			{ ...base, id: 'm3', text: '', file: { ...file, chunkSize: 1 } }
		] as unknown as ChatMessage[]);
		const messages = room.messages();
		expect(messages.map((m) => m.id)).toEqual(['m2']);
		expect(messages[0]?.file).toBeUndefined();
		expect(room.files().size).toBe(0);
	});
});

describe('RoomDoc with malformed peer entries', () => {
	it('skips entries that are not messages, cuts over-long text, keeps the first of duplicate ids', () => {
		const peer = new RoomDoc();
		const valid = { id: 'm1', authorId: 'p', authorName: '  Mallory  ', text: 'ok', sentAt: 5 };
		const entries: unknown[] = [
			null,
			0,
			'text',
			true,
			[valid],
			new Uint8Array(4),
			{},
			{ ...valid, id: 1 },
			{ ...valid, id: 'n1', sentAt: Number.NaN },
			{ ...valid, id: 'n2', sentAt: '5' },
			{ ...valid, id: 'n3', text: { toString: 'x' } },
			{ ...valid, id: 'n4', authorId: null },
			{ ...valid, id: 'n5', text: '' },
			valid,
			{ ...valid, text: 'duplicate id' },
			{
				...valid,
				id: 'long',
				text: `${'x'.repeat(MAX_MESSAGE_LENGTH - 1)}😀tail`,
				extra: { deep: [1, 2] }
			},
			{ ...valid, id: 'big-name', authorName: 'N'.repeat(10_000), sentAt: 6 }
		];
		for (const entry of entries) peer.chat.push([entry as ChatMessage]);
		peer.chat.push([new Y.Map() as unknown as ChatMessage]);
		peer.attendance.push([
			null,
			{ personId: 'p', name: 'P', event: 'dance', at: 1 },
			{ personId: 'p', name: 'P', event: 'join', at: 1 }
		] as never[]);

		// travel through the wire format, as from a real peer
		const room = new RoomDoc();
		Y.applyUpdate(room.doc, Y.encodeStateAsUpdate(peer.doc));

		const messages = room.messages();
		expect(messages.map((m) => m.id)).toEqual(['long', 'm1', 'big-name']);
		expect(messages[1]).toEqual({ ...valid, authorName: 'Mallory' });
		expect(messages[0]!.text).toHaveLength(MAX_MESSAGE_LENGTH - 1);
		expect(messages[0]).not.toHaveProperty('extra');
		expect(messages[2]!.authorName.length).toBeLessThanOrEqual(80);
		expect(room.attendanceEvents()).toEqual([{ personId: 'p', name: 'P', event: 'join', at: 1 }]);
	});

	it('reads a title of the wrong type as empty and cuts a long one', () => {
		const room = new RoomDoc();
		room.meta.set('title', 42);
		room.meta.set('createdAt', 'yesterday');
		expect(room.title).toBe('');
		expect(room.createdAt).toBeNull();
		room.meta.set('title', 't'.repeat(1000));
		expect(room.title).toHaveLength(200);
	});
});

describe('RoomDoc meta, attendance and changes', () => {
	it('sets createdAt once and the title any time', () => {
		const room = new RoomDoc();
		expect(room.createdAt).toBeNull();
		room.initMeta(100);
		room.initMeta(200);
		expect(room.createdAt).toBe(100);
		room.title = '  Weekly sync ';
		expect(room.title).toBe('Weekly sync');
		expect(() => (room.title = 'x'.repeat(201))).toThrow(RangeError);
	});

	it('lists attendance by time and the names seen', () => {
		const room = new RoomDoc();
		room.recordAttendance('b', 'Bob', 'join', 20);
		room.recordAttendance('a', 'Alice', 'join', 10);
		room.recordAttendance('a', 'Alice', 'leave', 30);
		room.sendMessage({ id: 'c', name: 'Carol' }, 'hi', 25);
		room.sendMessage({ id: 'd', name: '' }, 'hi', 26);
		expect(room.attendanceEvents().map((e) => `${e.name} ${e.event}`)).toEqual([
			'Alice join',
			'Bob join',
			'Alice leave'
		]);
		expect(room.namesSeen()).toEqual(['Alice', 'Bob', 'Carol']);
	});

	it('calls onChange for local and remote changes until unsubscribed', () => {
		const room = new RoomDoc();
		const remote = new RoomDoc();
		let calls = 0;
		const unsubscribe = room.onChange(() => calls++);
		room.sendMessage(ALICE, 'one');
		expect(calls).toBe(1);
		remote.recordAttendance('b', 'Bob', 'join');
		Y.applyUpdate(room.doc, Y.encodeStateAsUpdate(remote.doc));
		expect(calls).toBe(2);
		room.title = 'T';
		expect(calls).toBe(3);
		unsubscribe();
		room.sendMessage(ALICE, 'two');
		expect(calls).toBe(3);
		room.destroy();
	});
});
