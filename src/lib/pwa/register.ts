import { dev } from '$app/environment';
import { Workbox } from 'workbox-window';

/**
 * Registers Confer's service worker (`/service-worker.js`, scope `/`) in production builds, in
 * browsers that support service workers; does nothing in `vite dev` or elsewhere.
 *
 * When a new version has installed and is waiting (also when one was already waiting at page load),
 * calls `onUpdate` with `reload`: calling it tells the waiting worker to activate
 * (`{ type: 'SKIP_WAITING' }`, workbox-window's `messageSkipWaiting()`), and the page reloads once that
 * worker controls it. Registration failures are logged as warnings: the app works without a worker.
 */
export function registerServiceWorker(onUpdate: (reload: () => void) => void): void {
	if (dev || typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return;
	const workbox = new Workbox('/service-worker.js', { scope: '/' });
	workbox.addEventListener('waiting', () => {
		onUpdate(() => {
			workbox.addEventListener('controlling', () => window.location.reload());
			workbox.messageSkipWaiting();
		});
	});
	workbox.register().catch((error: unknown) => {
		console.warn('Confer: the service worker could not be registered; offline use is off.', error);
	});
}
