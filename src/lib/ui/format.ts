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

/**
 * When an upcoming meeting starts, in the browser's locale and time zone: "Today, 15:00 · in 12
 * min", "Tomorrow, 09:30 · in 18 h", "7 Dec, 15:00 · in 6 days"; "now" while it is on.
 * @param start ms since the epoch
 */
export function describeUpcoming(start: number, now: number = Date.now()): string {
	const date = new Date(start);
	const time = date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
	const day = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
	const days = Math.round((day(date) - day(new Date(now))) / 86_400_000);
	const when =
		days === 0
			? `Today, ${time}`
			: days === 1
				? `Tomorrow, ${time}`
				: `${date.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short' })}, ${time}`;
	return `${when} · ${untilText(start, now)}`;
}

/** "in 12 min", "in 3 h", "in 6 days", or "now" once `start` (ms since the epoch) has come. */
export function untilText(start: number, now: number = Date.now()): string {
	const minutes = Math.round((start - now) / 60_000);
	if (minutes <= 0) return 'now';
	if (minutes < 60) return `in ${minutes} min`;
	if (minutes < 48 * 60) return `in ${Math.round(minutes / 60)} h`;
	return `in ${Math.round(minutes / (24 * 60))} days`;
}

/**
 * The prejoin screen's line for a meeting that has not started: "Starts at 15:00 (in 2 h)", or on
 * another day "Starts on Mon 7 Dec at 15:00 (in 6 days)", in the browser's locale and time zone.
 */
export function describeStartsAt(start: number, now: number = Date.now()): string {
	const date = new Date(start);
	const time = date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
	const sameDay = date.toDateString() === new Date(now).toDateString();
	const day = sameDay
		? ''
		: ` on ${date.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short' })}`;
	return `Starts${day} at ${time} (${untilText(start, now)})`;
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
