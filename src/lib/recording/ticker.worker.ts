/// <reference lib="webworker" />
// A timer for the page's compositor: each message is a delay (ms) after which the worker answers
// once. Timers in a worker keep their rate while the page is in the background, where the page's
// own timers are throttled to once a second.
self.onmessage = (event: MessageEvent<number>) => {
	setTimeout(() => self.postMessage(null), Math.max(0, event.data));
};
