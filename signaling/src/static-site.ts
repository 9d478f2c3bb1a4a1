import { createReadStream, readFileSync, type Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { policyFromIndexHtml } from './csp.js';

/** Media types by file extension (IANA registrations; `.js` per RFC 9239, `.webmanifest` per W3C
 * Web App Manifest §1.1). */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
	'.html': 'text/html; charset=utf-8',
	'.js': 'text/javascript; charset=utf-8',
	'.mjs': 'text/javascript; charset=utf-8',
	'.css': 'text/css; charset=utf-8',
	'.json': 'application/json; charset=utf-8',
	'.map': 'application/json; charset=utf-8',
	'.webmanifest': 'application/manifest+json; charset=utf-8',
	'.txt': 'text/plain; charset=utf-8',
	'.xml': 'application/xml; charset=utf-8',
	'.svg': 'image/svg+xml',
	'.png': 'image/png',
	'.jpg': 'image/jpeg',
	'.jpeg': 'image/jpeg',
	'.webp': 'image/webp',
	'.avif': 'image/avif',
	'.gif': 'image/gif',
	'.ico': 'image/x-icon',
	'.woff': 'font/woff',
	'.woff2': 'font/woff2',
	'.wasm': 'application/wasm',
	'.mp3': 'audio/mpeg',
	'.ogg': 'audio/ogg',
	'.webm': 'video/webm',
	'.mp4': 'video/mp4'
};

/**
 * SvelteKit's content-hashed build output, and model files under a versioned path
 * (`/mediapipe/<package>@<version>/`): safe to cache for a year.
 */
const IMMUTABLE = /^\/(?:_app\/immutable\/|mediapipe\/[^/]+@[^/]+\/)/;
const IMMUTABLE_CACHING = 'public, max-age=31536000, immutable';
/** Everything else (index.html, service-worker.js, manifest, icons) is revalidated on each use. */
const REVALIDATE = 'no-cache';

function entityTag(file: Stats): string {
	return `W/"${file.size.toString(16)}-${Math.floor(file.mtimeMs).toString(16)}"`;
}

function isFresh(req: IncomingMessage, tag: string, file: Stats): boolean {
	const ifNoneMatch = req.headers['if-none-match'];
	if (ifNoneMatch !== undefined) {
		return ifNoneMatch
			.split(',')
			.map((item) => item.trim().replace(/^W\//, ''))
			.some((item) => item === '*' || item === tag.slice(2));
	}
	const ifModifiedSince = Date.parse(req.headers['if-modified-since'] ?? '');
	return (
		!Number.isNaN(ifModifiedSince) && Math.floor(file.mtimeMs / 1000) * 1000 <= ifModifiedSince
	);
}

/** Writes a short plain-text response (errors and 404s). */
export function sendText(res: ServerResponse, status: number, text: string): void {
	res.writeHead(status, {
		'Content-Type': 'text/plain; charset=utf-8',
		'Content-Length': Buffer.byteLength(text),
		'Cache-Control': 'no-store'
	});
	res.end(res.req.method === 'HEAD' ? undefined : text);
}

async function statFile(path: string): Promise<Stats | null> {
	try {
		const file = await stat(path);
		return file.isFile() ? file : null;
	} catch {
		return null;
	}
}

/**
 * The built single-page app in `root`: files as they are, `index.html` for app routes (paths without
 * a file extension, outside `/_app/`), 404 for missing assets. Also owns the Content-Security-Policy,
 * derived from `index.html` at start-up and again whenever `index.html` changes.
 */
export class StaticSite {
	readonly root: string;
	#policy: string;
	#indexTag: string | null = null;

	/** Reads `root/index.html` synchronously once, for the initial policy. */
	constructor(root: string) {
		this.root = root;
		let html: string | null;
		try {
			html = readFileSync(join(root, 'index.html'), 'utf8');
		} catch {
			html = null;
		}
		this.#policy = policyFromIndexHtml(html);
	}

	/** The `Content-Security-Policy` header value for every response. */
	get contentSecurityPolicy(): string {
		return this.#policy;
	}

	/**
	 * Answers a GET or HEAD for `pathname` (still percent-encoded). Paths that leave `root`, contain
	 * NUL, or have a segment starting with `.` are 404; `ETag` / `Last-Modified` allow 304 answers.
	 */
	async serve(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
		let decoded: string;
		try {
			decoded = decodeURIComponent(pathname);
		} catch {
			sendText(res, 400, 'Bad request');
			return;
		}
		const segments = decoded.split('/');
		if (decoded.includes('\0') || segments.some((segment) => segment.startsWith('.'))) {
			sendText(res, 404, 'Not found');
			return;
		}
		const path = join(this.root, ...segments);
		const file = path.startsWith(this.root + sep) ? await statFile(path) : null;
		if (file !== null) {
			await this.#sendFile(req, res, path, file, decoded);
			return;
		}
		const isAppRoute = !decoded.startsWith('/_app/') && extname(segments.at(-1) ?? '') === '';
		if (!isAppRoute) {
			sendText(res, 404, 'Not found');
			return;
		}
		const indexPath = join(this.root, 'index.html');
		const index = await statFile(indexPath);
		if (index === null) {
			sendText(res, 503, 'The app is not built yet: run `npm run build`.');
			return;
		}
		await this.#sendFile(req, res, indexPath, index, '/index.html');
	}

	async #sendFile(
		req: IncomingMessage,
		res: ServerResponse,
		path: string,
		file: Stats,
		pathname: string
	): Promise<void> {
		const tag = entityTag(file);
		if (pathname === '/index.html' && tag !== this.#indexTag) {
			this.#indexTag = tag;
			this.#policy = policyFromIndexHtml(await readFile(path, 'utf8').catch(() => null));
			res.setHeader('Content-Security-Policy', this.#policy);
		}
		res.setHeader('ETag', tag);
		res.setHeader('Last-Modified', file.mtime.toUTCString());
		res.setHeader('Cache-Control', IMMUTABLE.test(pathname) ? IMMUTABLE_CACHING : REVALIDATE);
		if (isFresh(req, tag, file)) {
			res.writeHead(304).end();
			return;
		}
		res.writeHead(200, {
			'Content-Type': CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
			'Content-Length': file.size
		});
		if (req.method === 'HEAD') {
			res.end();
			return;
		}
		try {
			await pipeline(createReadStream(path), res);
		} catch {
			res.destroy();
		}
	}
}
