import { connect, createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it; another process could still
 * take it before the caller binds, which on a test machine is unlikely).
 */
export async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() => {
				if (address && typeof address === 'object') resolve(address.port);
				else reject(new Error('freePort: no port assigned'));
			});
		});
	});
}

/**
 * Resolves once a TCP connection to `host:port` succeeds, retrying every 100 ms.
 * @throws Error after `timeoutMs` (default 10 s) without a successful connection.
 */
export async function waitForTcp(host: string, port: number, timeoutMs = 10_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const ok = await new Promise<boolean>((resolve) => {
			const socket = connect({ host, port });
			socket.once('connect', () => {
				socket.destroy();
				resolve(true);
			});
			socket.once('error', () => resolve(false));
		});
		if (ok) return;
		if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port}`);
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}
