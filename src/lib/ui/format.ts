/**
 * "Today, 14:05", "Yesterday, 09:30" or "12 Mar, 18:00" for a time in ms since the epoch,
 * in the browser's locale.
 */
export function describeWhen(at: number, now: number = Date.now()): string {
	const date = new Date(at);
	const time = date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
	const day = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
	const days = Math.round((day(new Date(now)) - day(date)) / 86_400_000);
	if (days === 0) return `Today, ${time}`;
	if (days === 1) return `Yesterday, ${time}`;
	return `${date.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })}, ${time}`;
}

/** "less than a minute", "12 min", "1 h 5 min" for a duration in ms. */
export function describeDuration(ms: number): string {
	const minutes = Math.floor(ms / 60_000);
	if (minutes < 1) return 'less than a minute';
	if (minutes < 60) return `${minutes} min`;
	const hours = Math.floor(minutes / 60);
	return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
}

/** A length of media as a clock shows it: "0:08", "12:05", "1:02:03". */
export function clockDuration(ms: number): string {
	const total = Math.round(ms / 1000);
	const seconds = String(total % 60).padStart(2, '0');
	const minutes = Math.floor(total / 60) % 60;
	const hours = Math.floor(total / 3600);
	return hours > 0
		? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}`
		: `${minutes}:${seconds}`;
}
