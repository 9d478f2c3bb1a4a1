// Prints the gzip size of each route's JavaScript after `vite build`, and fails when the home page's
// initial JavaScript contains PeerJS or y-webrtc (the meeting route must load them lazily).
//
// "Initial" JS of a route: SvelteKit's entry chunks (start, app), the root layout and root error nodes
// (the client imports both at start), the route's layout and page nodes, and all their static imports,
// each chunk counted once. "Lazy" JS: chunks that code of the route loads with dynamic `import()`
// (other routes' nodes, which the router imports on navigation, are not counted).
// Sources: Vite's build manifest (.svelte-kit/output/client/.vite/manifest.json) and the route
// dictionary SvelteKit generates (.svelte-kit/generated/client-optimized/app.js).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('../../', import.meta.url));
const client = `${root}.svelte-kit/output/client/`;
const generated = `${root}.svelte-kit/generated/client-optimized/`;

/** Libraries the home page must not load, by build-manifest key and by a string their code keeps. */
const forbidden = [
	{ name: 'peerjs', key: /^node_modules\/peerjs\//, text: '0.peerjs.com' },
	{ name: 'y-webrtc', key: /^node_modules\/y-webrtc\//, text: 'y-webrtc-eu.fly.dev' },
	{ name: 'simple-peer (y-webrtc)', key: /^node_modules\/simple-peer\//, text: 'simple-peer' }
];

/** @typedef {{ file: string, name?: string, isEntry?: boolean, imports?: string[], dynamicImports?: string[] }} Chunk */

/** @type {Record<string, Chunk>} */
let manifest;
let app;
try {
	manifest = JSON.parse(readFileSync(`${client}.vite/manifest.json`, 'utf8'));
	app = readFileSync(`${generated}app.js`, 'utf8');
} catch (error) {
	console.error(`size: no client build found (${error.message}); run \`vite build\` first`);
	process.exit(1);
}

const dictionaryText = /export const dictionary = (\{[\s\S]*?\});/.exec(app)?.[1];
if (!dictionaryText) {
	console.error('size: no route dictionary in .svelte-kit/generated/client-optimized/app.js');
	process.exit(1);
}
/** Route id → [page node, layout nodes?, error nodes?]; `~n` marks nodes with a server load. */
const dictionary = /** @type {Record<string, (number | (number | undefined)[])[]>} */ (
	new Function(`return ${dictionaryText}`)()
);
const node = (/** @type {number} */ n) => (n < 0 ? ~n : n);
const nodeKey = (/** @type {number} */ n) => `.svelte-kit/generated/client-optimized/nodes/${n}.js`;

const entries = Object.keys(manifest).filter((key) => {
	const chunk = manifest[key];
	return chunk?.isEntry && chunk.name?.startsWith('entry/');
});

/** @type {Map<string, number>} */
const gzipCache = new Map();
/** gzip size in bytes of a built file (zlib default level, like most web servers). */
function gzipSize(/** @type {string} */ file) {
	let size = gzipCache.get(file);
	if (size === undefined) {
		size = gzipSync(readFileSync(client + file)).length;
		gzipCache.set(file, size);
	}
	return size;
}

/** Manifest keys reachable from `start` through static imports. */
function staticClosure(/** @type {string[]} */ start) {
	const seen = new Set();
	const stack = [...start];
	while (stack.length > 0) {
		const key = /** @type {string} */ (stack.pop());
		if (seen.has(key)) continue;
		const chunk = manifest[key];
		if (!chunk) throw new Error(`size: ${key} is not in the build manifest`);
		seen.add(key);
		stack.push(...(chunk.imports ?? []));
	}
	return seen;
}

/** Source file of a route's page, e.g. `/[code]` → `src/routes/[code]/+page.svelte`. */
function pageFile(/** @type {string} */ id) {
	const nodeFile = readFileSync(
		`${generated}nodes/${node(/** @type {number} */ (dictionary[id]?.[0]))}.js`,
		'utf8'
	);
	return /src\/routes\/\S*?\+page\.svelte/.exec(nodeFile)?.[0] ?? id;
}

const kb = (/** @type {number} */ bytes) => (bytes / 1024).toFixed(1);
const rows = [];
const failures = [];

for (const [id, [leaf, layouts]] of Object.entries(dictionary)) {
	const nodes = [0, 1, node(/** @type {number} */ (leaf))];
	if (Array.isArray(layouts)) {
		for (const n of layouts) if (n !== undefined) nodes.push(node(n));
	}
	const initial = staticClosure([...entries, ...nodes.map(nodeKey)]);
	// The router's own dynamic imports (every route node, the error page) belong to no one route.
	const dynamic = [...initial]
		.flatMap((key) => manifest[key]?.dynamicImports ?? [])
		.filter((key) => !key.startsWith('.svelte-kit/generated/'));
	const lazy = [...staticClosure(dynamic)].filter((key) => !initial.has(key));
	const files = (/** @type {Iterable<string>} */ keys) => [
		...new Set([...keys].map((key) => /** @type {Chunk} */ (manifest[key]).file))
	];
	const sum = (/** @type {string[]} */ list) => list.reduce((total, f) => total + gzipSize(f), 0);
	const initialFiles = files(initial);
	rows.push({
		route: id,
		page: pageFile(id),
		chunks: initialFiles.length,
		initial: sum(initialFiles),
		lazy: sum(files(lazy))
	});

	if (id === '/') {
		for (const lib of forbidden) {
			const byKey = [...initial].filter((key) => lib.key.test(key));
			const byText = initialFiles.filter((f) =>
				readFileSync(client + f, 'utf8').includes(lib.text)
			);
			if (byKey.length > 0 || byText.length > 0) {
				failures.push(
					`the home page's initial JS includes ${lib.name}: ${[...byKey, ...byText].join(', ')}`
				);
			}
		}
	}
}

if (!rows.some((row) => row.route === '/')) failures.push('no home route (/) in the build');

const header = ['route', 'page', 'chunks', 'initial JS (KB gzip)', 'lazy JS (KB gzip)'];
const table = [
	header,
	...rows.map((r) => [r.route, r.page, String(r.chunks), kb(r.initial), kb(r.lazy)])
];
const widths = header.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
console.log('\nJavaScript per route (gzip):');
for (const [i, row] of table.entries()) {
	console.log(
		row
			.map((cell, c) => (c >= 2 ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
			.join('  ')
	);
	if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
}

if (failures.length > 0) {
	for (const failure of failures) console.error(`size: FAIL: ${failure}`);
	process.exit(1);
}
console.log('size: the home page loads neither PeerJS nor y-webrtc up front.');
