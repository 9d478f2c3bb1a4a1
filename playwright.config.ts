import { defineConfig } from '@playwright/test';

/** Where the relay under test listens; the helpers in tests/e2e/support use the same origin. */
const baseURL = 'http://127.0.0.1:8799';

/**
 * End-to-end tests in Debian's Chromium (Playwright cannot download browsers here). Run them through
 * `bash tests/tools/e2e.sh` so media fixtures exist and the run is in a loopback-only namespace.
 * One worker: each test launches several browser processes on a 2-core machine.
 */
export default defineConfig({
	testDir: 'tests/e2e',
	fullyParallel: false,
	workers: 1,
	retries: 0,
	timeout: 120_000,
	expect: { timeout: 20_000 },
	reporter: 'list',
	forbidOnly: !!process.env.CI,
	use: {
		baseURL,
		// A failed test keeps its trace (actions, DOM snapshots, console, network). Not the
		// screencast: encoding every frame of several live-video pages took more CPU than the
		// calls themselves on a 2-core machine, and doubled the tests' times.
		trace: { mode: 'retain-on-failure', screenshots: false },
		launchOptions: {
			executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
		}
	},
	webServer: {
		// The relay serves the built app; build first when a bare `playwright test` finds no build.
		command:
			'{ test -f build/index.html && test -f signaling/dist/main.js; } || npm run build; exec node signaling/dist/main.js',
		url: `${baseURL}/healthz`,
		env: { PORT: '8799', HOST: '127.0.0.1' },
		reuseExistingServer: false,
		timeout: 300_000,
		stdout: 'ignore',
		stderr: 'pipe'
	}
});
