import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
	plugins: [sveltekit()],
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
