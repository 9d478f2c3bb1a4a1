/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
// Confer's service worker: the app shell works offline, and a new version waits until the person
// accepts the "New version available" prompt (src/lib/pwa/register.ts sends SKIP_WAITING).
import { build, files, version } from '$service-worker';

const sw = self as unknown as ServiceWorkerGlobalScope;

/** One cache per deployed version; older ones are deleted when this worker activates. */
const CACHE = `confer-shell-${version}`;

/** adapter-static's SPA fallback: every route of the app renders from this one page. */
const SHELL = '/index.html';

/** Immutable build output, static files (manifest, icons) and the shell. */
const PRECACHE = new Set([...build, ...files, SHELL]);

/**
 * SvelteKit's runtime environment module, which a build has only when the app reads
 * `$env/dynamic/public`; it is not in `build`. Precached when present, like the rest of a version.
 */
const OPTIONAL = new Set(['/_app/env.js']);

/**
 * The background-effects model (about 6 MB), fetched the first time a person picks an effect and
 * kept from then on, across app versions: its path names the package version, so it never changes.
 */
const MODEL = /^\/mediapipe\/[^/]+@[^/]+\//;
const MODEL_CACHE = 'confer-models';

/** Live relay endpoints: never answered from a cache (ICE credentials expire, sockets are live). */
const LIVE = /^\/(?:config\.json$|yjs(?:\/|$)|peerjs\/|healthz$|metrics$)/;

sw.addEventListener('install', (event) => {
	event.waitUntil(
		(async () => {
			const cache = await caches.open(CACHE);
			await cache.addAll([...PRECACHE]);
			// A missing optional file is fine; a missing shell file fails the install.
			await Promise.all([...OPTIONAL].map((path) => cache.add(path).catch(() => undefined)));
		})()
	);
});

sw.addEventListener('activate', (event) => {
	event.waitUntil(
		(async () => {
			for (const key of await caches.keys()) {
				if (key !== CACHE && key !== MODEL_CACHE) await caches.delete(key);
			}
			await sw.clients.claim();
		})()
	);
});

sw.addEventListener('message', (event) => {
	if ((event.data as { type?: unknown } | null)?.type === 'SKIP_WAITING') void sw.skipWaiting();
});

sw.addEventListener('fetch', (event) => {
	const { request } = event;
	if (request.method !== 'GET') return;
	const url = new URL(request.url);
	if (url.origin !== sw.location.origin || LIVE.test(url.pathname)) return;

	if (request.mode === 'navigate') {
		event.respondWith(navigate(request));
	} else if (PRECACHE.has(url.pathname) || OPTIONAL.has(url.pathname)) {
		event.respondWith(cacheFirst(request, url.pathname));
	} else if (MODEL.test(url.pathname)) {
		event.respondWith(keep(request));
	}
});

/**
 * Navigations go to the network so a deployed fix shows at once; offline (or on a network error)
 * the precached shell answers, and the client-side router renders the requested route.
 */
async function navigate(request: Request): Promise<Response> {
	try {
		return await fetch(request);
	} catch (error) {
		const shell = await caches.match(SHELL, { cacheName: CACHE });
		if (shell) return shell;
		throw error;
	}
}

/** Hashed build assets and static files never change within a version: the cache answers first. */
async function cacheFirst(request: Request, pathname: string): Promise<Response> {
	const cached = await caches.match(pathname, { cacheName: CACHE });
	return cached ?? fetch(request);
}

/** Answers from the model cache, or fetches and keeps a complete (200) response. */
async function keep(request: Request): Promise<Response> {
	const cache = await caches.open(MODEL_CACHE);
	const cached = await cache.match(request);
	if (cached) return cached;
	const response = await fetch(request);
	if (response.status === 200) await cache.put(request, response.clone());
	return response;
}
