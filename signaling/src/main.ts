#!/usr/bin/env node
import { ConfigError, describeLimits, loadConfig } from './config.js';
import { createRelay } from './relay.js';

/** Hard deadline for a graceful shutdown, ms: the process exits by then whatever happens. */
const EXIT_DEADLINE_MS = 4500;

/**
 * Starts the relay from the environment, prints `Confer relay listening on <url>` and the effective
 * limits, and shuts down gracefully on SIGTERM or SIGINT (1001 to every client, exit within 5 s).
 * Exits with status 1 on a configuration or listen error.
 */
async function main(): Promise<void> {
	let config;
	try {
		config = loadConfig(process.env);
	} catch (error) {
		if (!(error instanceof ConfigError)) throw error;
		console.error(`Confer relay: configuration error: ${error.message}`);
		process.exit(1);
	}
	const relay = createRelay(config);
	let url: URL;
	try {
		url = await relay.listen();
	} catch (error) {
		console.error(`Confer relay: cannot listen on ${config.host}:${config.port}:`, error);
		process.exit(1);
	}
	console.log(`Confer relay listening on ${url.href}`);
	console.log(`Confer relay limits: ${describeLimits(config.limits)}; serving ${config.staticDir}`);

	const stop = (signal: NodeJS.Signals): void => {
		console.log(`Confer relay: ${signal} received, closing connections`);
		setTimeout(() => process.exit(0), EXIT_DEADLINE_MS).unref();
		relay.close().then(
			() => process.exit(0),
			(error: unknown) => {
				console.error('Confer relay: error during shutdown:', error);
				process.exit(1);
			}
		);
	};
	process.once('SIGTERM', stop);
	process.once('SIGINT', stop);
}

await main();
