import { resolve } from '$app/paths';
import type { MeetingEntry } from '$lib/library/library';
import { parseLink } from '$lib/room/link';

/** The in-app path of a meeting: `/abc-defg-hij#k=<secret>` (the secret stays in the fragment). */
export function meetingPath(code: string, secret: string): string {
	return `${resolve('/[code]', { code })}#k=${secret}`;
}

/** The in-app path to rejoin a stored meeting (its stored link may name another host). */
export function rejoinPath(entry: MeetingEntry): string {
	try {
		const { code, secret } = parseLink(entry.link);
		return meetingPath(code, secret);
	} catch {
		return resolve('/[code]', { code: entry.code });
	}
}

/** The history detail view of a meeting; with `messageId`, scrolled to that message. */
export function historyPath(code: string, messageId?: string): string {
	const path = resolve('/meetings/[code]', { code });
	return messageId ? `${path}?message=${encodeURIComponent(messageId)}` : path;
}
