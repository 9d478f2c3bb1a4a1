import { createReadStream, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { sveltekit } from '@sveltejs/kit/vite';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

/**
 * Serves the background-effects model (`@mediapipe/selfie_segmentation`: script, WASM, graph and
 * weights) from Confer's own origin at `/mediapipe/selfie_segmentation@<version>/`, never from a
 * CDN (ARCHITECTURE.md, "Background effects"): copied into the client build, and served from
 * `node_modules` by the dev server. Not precached: the service worker keeps the files once a person
 * first uses an effect.
 */
function selfieSegmentationModel(): Plugin {
	const packageJson = require.resolve('@mediapipe/selfie_segmentation/package.json');
	const dir = dirname(packageJson);
	const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
	const base = `/mediapipe/selfie_segmentation@${version}/`;
	// What the package loads (its `selfie_segmentation.js`): the landscape model only, and the
	// WASM with and without SIMD (the script picks one).
	const files = [
		'selfie_segmentation.js',
		'selfie_segmentation.binarypb',
		'selfie_segmentation_landscape.tflite',
		'selfie_segmentation_solution_simd_wasm_bin.js',
		'selfie_segmentation_solution_simd_wasm_bin.wasm',
		'selfie_segmentation_solution_wasm_bin.js',
		'selfie_segmentation_solution_wasm_bin.wasm'
	];
	const types: Record<string, string> = {
		'.js': 'text/javascript',
		'.wasm': 'application/wasm'
	};
	return {
		name: 'confer:selfie-segmentation-model',
		configureServer(server) {
			server.middlewares.use((req, res, next) => {
				const name = req.url?.startsWith(base) ? req.url.slice(base.length) : null;
				if (!name || !files.includes(name)) return next();
				const type = types[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream';
				res.setHeader('Content-Type', type);
				createReadStream(join(dir, name)).pipe(res);
			});
		},
		generateBundle() {
			if (this.environment.name !== 'client') return;
			for (const name of files) {
				this.emitFile({
					type: 'asset',
					fileName: `${base.slice(1)}${name}`,
					source: readFileSync(join(dir, name))
				});
			}
		}
	};
}

export default defineConfig({
	plugins: [sveltekit(), selfieSegmentationModel()],
	server: { host: '127.0.0.1' },
	test: {
		projects: [
			{
				extends: true,
				test: {
					name: 'unit',
					environment: 'node',
					include: ['tests/unit/**/*.test.ts', 'src/**/*.test.ts'],
					setupFiles: ['tests/unit/setup.ts']
				}
			},
			{
				test: {
					name: 'relay',
					environment: 'node',
					include: ['tests/signaling/**/*.test.ts'],
					testTimeout: 60_000,
					hookTimeout: 30_000,
					fileParallelism: false
				}
			}
		]
	}
});
