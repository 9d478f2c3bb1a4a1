import { resolve } from '$app/paths';

/** The in-app path of a meeting: `/abc-defg-hij#k=<secret>` (the secret stays in the fragment). */
export function meetingPath(code: string, secret: string): string {
	return `${resolve('/[code]', { code })}#k=${secret}`;
}
