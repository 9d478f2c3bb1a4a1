/// <reference lib="webworker" />
// Ticks for the recording's compositor: timers in a worker keep their rate while the page is in
// the background, where the page's own timers are throttled to once a second.
let timer: ReturnType<typeof setInterval> | undefined;

self.onmessage = (event: MessageEvent<{ fps: number } | null>) => {
	clearInterval(timer);
	if (event.data) timer = setInterval(() => self.postMessage(null), 1000 / event.data.fps);
};
