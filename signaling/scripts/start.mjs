#!/usr/bin/env node
// `npm start`: build the app and the relay when missing or stale, then run the relay serving build/.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Build outputs; any missing or older than a source means a rebuild. */
const OUTPUTS = ['build/index.html', 'signaling/dist/main.js'];
/** Sources of those outputs: directories are walked recursively. */
const SOURCES = ['src', 'static', 'signaling/src', 'svelte.config.js', 'vite.config.ts'];

/**
 * Newest modification time under `path`, ms since the Unix epoch (0 when it does not exist).
 *
 * @param {string} path
 * @returns {number}
 */
function newestMtime(path) {
	let stats;
	try {
		stats = statSync(path);
	} catch {
		return 0;
	}
	if (!stats.isDirectory()) return stats.mtimeMs;
	let newest = stats.mtimeMs;
	for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
	return newest;
}

/**
 * Modification time of `path`, ms since the Unix epoch, or `null` when it does not exist.
 *
 * @param {string} path
 * @returns {number | null}
 */
function mtimeOrNull(path) {
	try {
		return statSync(path).mtimeMs;
	} catch {
		return null;
	}
}

const newestSource = Math.max(...SOURCES.map((path) => newestMtime(join(root, path))));
const stale = OUTPUTS.filter((path) => {
	const mtime = mtimeOrNull(join(root, path));
	return mtime === null || mtime < newestSource;
});
if (stale.length > 0) {
	console.log(`Confer: ${stale.join(' and ')} missing or out of date, running npm run build`);
	const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
	const build = spawnSync(npm, ['run', 'build'], { cwd: root, stdio: 'inherit' });
	if (build.status !== 0) {
		console.error(
			`Confer: npm run build failed (${build.error?.message ?? `exit ${build.status}`})`
		);
		process.exit(build.status ?? 1);
	}
}

await import('../dist/main.js');
