import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { BackupError, parseBackup, restoreBackup, createBackup } from '$lib/history/backup';
import { meetingExport, toJSON, toMarkdown, exportFileName } from '$lib/history/export';
import { highlight } from '$lib/history/highlight';
import { deleteMeeting, meetingDoc, messageDocs, openStoredRoom } from '$lib/history/history';
import type { HistorySearch } from '$lib/history/search-client';
import { SearchIndex } from '$lib/history/search-index';
import { SearchStore } from '$lib/history/search-store';
import { Library, type MeetingEntry } from '$lib/library/library';
import { RoomDoc } from '$lib/room/room-doc';

let databases = 0;
const fresh = (kind: string) => `confer-${kind}-history-test-${++databases}`;
const ALICE = { id: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'Alice' };
const ZOE = { id: 'BBBBBBBBBBBBBBBBBBBBBB', name: 'Zoë' };

describe('search', () => {
	const index = () => {
		const room = new RoomDoc();
		room.sendMessage(ALICE, 'The café opens at nine', 1_000);
		room.sendMessage(ZOE, 'Résumé attached for the review', 2_000);
		const search = SearchIndex.empty();
		search.add([
			meetingDoc('abc-defg-hij', 'Weekly planning', ['Alice', 'Zoë']),
			...messageDocs('abc-defg-hij', room.messages())
		]);
		return search;
	};

	it('ignores diacritics both ways', () => {
		const search = index();
		expect(search.search('cafe').map((h) => h.kind === 'message' && h.text)).toEqual([
			'The café opens at nine'
		]);
		expect(search.search('resume')).toHaveLength(1);
		expect(search.search('zoe').map((h) => h.kind)).toContain('meeting');
	});

	it('matches prefixes, every word', () => {
		const search = index();
		expect(search.search('revi')).toHaveLength(1);
		expect(search.search('caf ope')).toHaveLength(1);
		expect(search.search('caf review')).toHaveLength(0);
		expect(search.search('plan').map((h) => h.id)).toEqual(['meeting:abc-defg-hij']);
	});

	it('is updated incrementally from a remote Yjs update, without duplicates', () => {
		const search = index();
		const here = new RoomDoc();
		const there = new RoomDoc();
		there.sendMessage(ZOE, 'Ärger mit dem Drucker', 3_000);
		// The update arrives here as it would from a peer, and the room's change feeds the index.
		here.onChange(() => search.add(messageDocs('abc-defg-hij', here.messages())));
		Y.applyUpdate(here.doc, Y.encodeStateAsUpdate(there.doc));
		expect(search.search('arger').map((h) => h.kind === 'message' && h.author)).toEqual(['Zoë']);
		// Offering the same messages again changes nothing.
		expect(search.add(messageDocs('abc-defg-hij', here.messages()))).toEqual([]);
		expect(search.size).toBe(4);
	});

	it('forgets a meeting, and replaces a renamed meeting', () => {
		const search = index();
		search.add([meetingDoc('abc-defg-hij', 'Retro', ['Alice'])]);
		expect(search.search('weekly')).toHaveLength(0);
		expect(search.search('retro')).toHaveLength(1);
		search.removeMeeting('abc-defg-hij');
		expect(search.size).toBe(0);
		expect(search.hasMeeting('abc-defg-hij')).toBe(false);
	});

	it('highlights the matched words', () => {
		const [hit] = index().search('cafe');
		expect(highlight('The café opens', hit!.terms)).toEqual([
			{ text: 'The ', match: false },
			{ text: 'café', match: true },
			{ text: ' opens', match: false }
		]);
	});

	it('is kept on the device as a snapshot and a log, replayed on load', async () => {
		const name = fresh('search');
		const store = new SearchStore(name);
		const search = await store.load();
		const first = messageDocs('abc-defg-hij', [
			{ id: 'm1', authorId: ALICE.id, authorName: 'Alice', text: 'first snapshot', sentAt: 1 }
		]);
		await store.log({ op: 'add', docs: search.add(first) });
		await store.checkpoint(search);
		const second = messageDocs('abc-defg-hij', [
			{ id: 'm2', authorId: ALICE.id, authorName: 'Alice', text: 'then logged', sentAt: 2 }
		]);
		await store.log({ op: 'add', docs: search.add(second) });
		const reloaded = await new SearchStore(name).load();
		expect(reloaded.size).toBe(2);
		expect(reloaded.search('logged')).toHaveLength(1);
		expect(reloaded.search('snapshot')).toHaveLength(1);
	});
});

describe('export', () => {
	const room = new RoomDoc();
	room.title = 'Design review';
	room.recordAttendance(ALICE.id, 'Alice', 'join', Date.UTC(2026, 10, 30, 14, 0));
	room.sendMessage(ALICE, 'Hello\n# not a heading', Date.UTC(2026, 10, 30, 14, 5));
	const entry: MeetingEntry = {
		code: 'abc-defg-hij',
		link: 'https://confer.example/abc-defg-hij#k=secret',
		title: 'Design review',
		firstJoinedAt: Date.UTC(2026, 10, 30, 14, 0),
		lastJoinedAt: Date.UTC(2026, 10, 30, 14, 0),
		totalMs: 45 * 60_000,
		names: ['Alice', 'Bob'],
		messageCount: 1
	};

	it('writes a readable Markdown transcript', () => {
		const markdown = toMarkdown([meetingExport('abc-defg-hij', entry, room)]);
		expect(markdown).toContain('# Design review');
		expect(markdown).toContain('- When: 2026-11-30 14:00 UTC');
		expect(markdown).toContain('- Time in the meeting: 45 min');
		expect(markdown).toContain('- People: Alice, Bob');
		expect(markdown).toContain('**Alice** · 2026-11-30 14:05 UTC');
		// Lines of a message are quoted: Markdown inside cannot make headings.
		expect(markdown).toContain('> Hello\n> # not a heading');
		expect(markdown).not.toContain('secret');
	});

	it('writes versioned JSON without the key', () => {
		const json = JSON.parse(toJSON([meetingExport('abc-defg-hij', entry, room)], 5));
		expect(json).toMatchObject({ format: 'confer-export', version: 1, exportedAt: 5 });
		expect(json.meetings[0].messages[0]).toMatchObject({
			author: 'Alice',
			text: 'Hello\n# not a heading'
		});
		expect(json.meetings[0].attendance).toEqual([
			{ name: 'Alice', event: 'join', at: Date.UTC(2026, 10, 30, 14, 0) }
		]);
		expect(JSON.stringify(json)).not.toContain('secret');
	});

	it('names files sensibly', () => {
		expect(exportFileName('Réunion d’équipe: Q4!', 'md', Date.UTC(2026, 10, 30))).toBe(
			'confer-reunion-d-equipe-q4-2026-11-30.md'
		);
	});
});

describe('backup and restore', () => {
	/** A device: a library and its rooms, in IndexedDB databases of its own. */
	async function device() {
		const library = await Library.open(fresh('library'));
		const rooms = new Map<string, Y.Doc>();
		const room = (code: string) => {
			if (!rooms.has(code)) rooms.set(code, new Y.Doc());
			return new RoomDoc(rooms.get(code));
		};
		return { library, rooms, room };
	}
	const LINK = (code: string) => `https://confer.example/${code}#k=AAECAwQFBgcICQoLDA0ODw`;

	async function backupOf(d: Awaited<ReturnType<typeof device>>) {
		return createBackup(d.library.meetings(), async (code) =>
			d.rooms.has(code) ? Y.encodeStateAsUpdate(d.rooms.get(code)!) : null
		);
	}
	const restoreInto = (d: Awaited<ReturnType<typeof device>>, text: string) =>
		restoreBackup(parseBackup(text), d.library, async (code, update) => {
			Y.applyUpdate(d.room(code).doc, update);
		});

	it('round-trips into an empty device, and merges into one with part of the data', async () => {
		const a = await device();
		a.library.recordJoin({ code: 'abc-defg-hij', link: LINK('abc-defg-hij'), title: 'One' }, 1_000);
		a.room('abc-defg-hij').sendMessage(ALICE, 'only in the backup', 1_500);
		a.library.recordJoin({ code: 'klm-nopq-rst', link: LINK('klm-nopq-rst') }, 2_000);
		a.room('klm-nopq-rst').sendMessage(ALICE, 'shared', 2_500);
		const text = await backupOf(a);

		const empty = await device();
		expect(await restoreInto(empty, text)).toBe(2);
		expect(
			empty.library
				.meetings()
				.map((m) => m.code)
				.sort()
		).toEqual(['abc-defg-hij', 'klm-nopq-rst']);
		expect(
			empty
				.room('abc-defg-hij')
				.messages()
				.map((m) => m.text)
		).toEqual(['only in the backup']);

		// A device that already has one of the meetings, with a message of its own in it.
		const b = await device();
		b.library.recordJoin({ code: 'klm-nopq-rst', link: LINK('klm-nopq-rst') }, 3_000);
		Y.applyUpdate(b.room('klm-nopq-rst').doc, Y.encodeStateAsUpdate(a.rooms.get('klm-nopq-rst')!));
		b.room('klm-nopq-rst').sendMessage(ZOE, 'only on this device', 3_500);
		await restoreInto(b, text);
		await restoreInto(b, text);
		expect(
			b
				.room('klm-nopq-rst')
				.messages()
				.map((m) => m.text)
		).toEqual(['shared', 'only on this device']);
		expect(b.library.meeting('klm-nopq-rst')).toMatchObject({
			firstJoinedAt: 2_000,
			lastJoinedAt: 3_000
		});
		expect(b.library.meetings()).toHaveLength(2);
		// Restoring the same backup again changes nothing.
		const before = Y.encodeStateVector(b.library.doc);
		await restoreInto(b, text);
		expect(Y.encodeStateVector(b.library.doc)).toEqual(before);
	});

	it('refuses corrupt, truncated and foreign files in words', async () => {
		const a = await device();
		a.library.recordJoin({ code: 'abc-defg-hij', link: LINK('abc-defg-hij') }, 1_000);
		a.room('abc-defg-hij').sendMessage(ALICE, 'hello', 1_500);
		const text = await backupOf(a);
		expect(() => parseBackup(text.slice(0, text.length / 2))).toThrow(/damaged or incomplete/);
		expect(() => parseBackup('{"format":"something-else"}')).toThrow(/not a Confer backup/);
		expect(() => parseBackup(JSON.stringify({ ...JSON.parse(text), version: 2 }))).toThrow(
			/newer version/
		);
		const file = JSON.parse(text);
		const room = file.rooms['abc-defg-hij'] as string;
		file.rooms['abc-defg-hij'] = room.slice(0, room.length - 8);
		expect(() => parseBackup(JSON.stringify(file))).toThrow(BackupError);
		expect(() => parseBackup(JSON.stringify(file))).toThrow(/meeting abc-defg-hij cannot be read/);
	});
});

describe('delete', () => {
	it('removes the room document, the library entry and the search entries', async () => {
		const library = await Library.open(fresh('library'));
		const code = 'abc-defg-hij';
		library.recordJoin({ code, link: `https://confer.example/${code}#k=x` });
		const stored = await openStoredRoom(code);
		stored!.room.sendMessage(ALICE, 'to be deleted');
		await stored!.close();
		const removed: string[] = [];
		const search = { removeMeeting: (c: string) => removed.push(c) } as unknown as HistorySearch;

		await deleteMeeting(library, search, code);
		expect(library.meeting(code)).toBeNull();
		expect(removed).toEqual([code]);
		const reopened = await openStoredRoom(code);
		expect(reopened!.room.messages()).toEqual([]);
		await reopened!.close();
	});
});
