// `npm run bench:relay`: Confer's relay against y-webrtc's reference signaling server
// (node_modules/y-webrtc/bin/server.js), same load, same run. Prints figures, asserts nothing.
//
// 1. Fan-out: ROOMS rooms × SUBSCRIBERS subscribers on /yjs, one publisher per room sending
//    MESSAGE_BYTES-byte publishes at RATE per second, ROUNDS rounds per server taken in turns.
//    Server CPU time per delivered message (from /proc/<pid>/stat; median of the rounds), p50/p99
//    delivery latency over all rounds (sender and receivers share this process's clock).
// 2. Idle memory: IDLE_CONNECTIONS connections, each subscribed to one topic; resident memory
//    (/proc/<pid>/status VmRSS) growth per connection.
// Both servers run as child processes on 127.0.0.1. Bounded: about a minute in total.
//
// With `--cluster` (`npm run bench:relay -- --cluster`), the same fan-out load against one Confer
// relay alone and against three relays sharing a Redis (Debian's redis-server, started here on a
// free loopback port, no persistence), clients spread over the three as a load balancer would:
// delivered messages per second, CPU per delivered message (every relay and Redis counted) and
// p50/p99 latency, in the same run.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import { ROOT, delay, freePort, median } from './lib.mjs';

const ROOMS = 40;
const SUBSCRIBERS = 8;
const RATE = 40;
const MESSAGE_BYTES = 1200;
const WARMUP_MS = 2000;
const MEASURE_MS = 6000;
/** Fan-out rounds per server, alternating servers, so background load hits both alike. */
const ROUNDS = 3;
const IDLE_CONNECTIONS = 5000;
const SETTLE_MS = 2000;
const CLOCK_TICKS =
	Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/**
 * @typedef {{ name: string, pid: number, url: string, pids: number[], urls: string[],
 *   stop: () => Promise<void> }} Server
 * @typedef {{ cpuUsPerMessage: number, delivered: number, p50Ms: number, p99Ms: number,
 *   userUsPerMessage: number, serverCpuMs: number, rssPerConnectionKiB: number, idleConnections: number }} Result
 */

/**
 * Server CPU time so far, ms: user (JavaScript, V8, libuv) and system (the kernel, which on
 * loopback also does the receiving side of every TCP write).
 * @param {number} pid
 * @returns {{ user: number, system: number }}
 */
function cpuMs(pid) {
	const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	return {
		user: (Number(fields[11]) * 1000) / CLOCK_TICKS,
		system: (Number(fields[12]) * 1000) / CLOCK_TICKS
	};
}

/**
 * CPU time so far of several processes together, ms.
 * @param {number[]} pids
 */
function totalCpuMs(pids) {
	return pids.map(cpuMs).reduce((sum, cpu) => ({
		user: sum.user + cpu.user,
		system: sum.system + cpu.system
	}));
}

/**
 * Resident set size, KiB.
 * @param {number} pid
 */
function rssKiB(pid) {
	const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
	return Number(match?.[1] ?? NaN);
}

/**
 * Spawns a server and resolves when `ready` finds its URL in the output.
 * @param {string} name
 * @param {string[]} args node arguments
 * @param {NodeJS.ProcessEnv} env
 * @param {(output: string) => string | null} ready
 * @returns {Promise<Server>}
 */
function startServer(name, args, env, ready) {
	const child = spawn(process.execPath, args, {
		cwd: ROOT,
		env: { ...process.env, ...env },
		stdio: ['ignore', 'pipe', 'pipe']
	});
	let output = '';
	return new Promise((resolve, reject) => {
		/** @param {Buffer} chunk */
		const onData = (chunk) => {
			output += String(chunk);
			const url = ready(output);
			if (url === null || child.pid === undefined) return;
			child.stdout?.off('data', onData);
			const pid = child.pid;
			const exited = new Promise((done) => child.once('exit', done));
			resolve({
				name,
				pid,
				url,
				pids: [pid],
				urls: [url],
				stop: async () => {
					child.kill('SIGKILL');
					await exited;
				}
			});
		};
		child.stdout?.on('data', onData);
		child.stderr?.on('data', (chunk) => (output += String(chunk)));
		child.once('exit', (code) => reject(new Error(`${name} exited with ${code}: ${output}`)));
	});
}

/** Confer's compiled relay, with connection limits raised for the idle-memory phase. */
function startConfer() {
	return startServer(
		'confer relay',
		['signaling/dist/main.js'],
		{
			HOST: '127.0.0.1',
			PORT: '0',
			MAX_CONNECTIONS: String(IDLE_CONNECTIONS + 1000),
			MAX_CONNECTIONS_PER_IP: String(IDLE_CONNECTIONS + 1000)
		},
		(output) => {
			const match = /listening on http:\/\/(\S+?)\/?\s/.exec(output);
			return match ? `ws://${match[1]}/yjs` : null;
		}
	);
}

/** y-webrtc's reference server, bound to loopback (it would otherwise listen on every interface). */
async function startReference() {
	const port = await freePort();
	const loopbackOnly = `import http from 'node:http';
const listen = http.Server.prototype.listen;
http.Server.prototype.listen = function (port, ...rest) {
	return listen.call(this, port, '127.0.0.1', ...rest.filter((arg) => typeof arg === 'function'));
};`;
	const server = await startServer(
		'y-webrtc reference',
		[
			'--import',
			`data:text/javascript,${encodeURIComponent(loopbackOnly)}`,
			'node_modules/y-webrtc/bin/server.js'
		],
		{ PORT: String(port) },
		(output) => (output.includes('Signaling server running') ? `ws://127.0.0.1:${port}` : null)
	);
	for (let attempt = 0; attempt < 50; attempt++) {
		try {
			const socket = await open(server.url);
			socket.close();
			return server;
		} catch {
			await delay(50);
		}
	}
	throw new Error('the reference server did not accept connections');
}

/**
 * Opens a WebSocket (no compression, like both servers).
 * @param {string} url
 * @returns {Promise<WebSocket>}
 */
function open(url) {
	return new Promise((resolve, reject) => {
		const socket = new WebSocket(url, { perMessageDeflate: false });
		socket.once('open', () => resolve(socket));
		socket.once('error', reject);
	});
}

/**
 * Opens `count` connections, `parallel` handshakes at a time, each subscribed to `topicOf(i)`;
 * connection `i` goes to `urls[i % urls.length]` (round robin, as a load balancer without
 * stickiness).
 * @param {string[]} urls
 * @param {number} count
 * @param {(index: number) => string} topicOf
 */
async function openMany(urls, count, topicOf, parallel = 100) {
	/** @type {WebSocket[]} */
	const sockets = [];
	for (let start = 0; start < count; start += parallel) {
		const batch = await Promise.all(
			Array.from({ length: Math.min(parallel, count - start) }, (_, offset) =>
				open(/** @type {string} */ (urls[(start + offset) % urls.length]))
			)
		);
		batch.forEach((socket, offset) => {
			socket.send(JSON.stringify({ type: 'subscribe', topics: [topicOf(start + offset)] }));
			sockets.push(socket);
		});
	}
	return sockets;
}

/**
 * Closes sockets and waits until they are closed.
 * @param {WebSocket[]} sockets
 */
async function closeAll(sockets) {
	await Promise.all(
		sockets.map(
			(socket) =>
				new Promise((resolve) => {
					socket.once('close', resolve);
					socket.terminate();
				})
		)
	);
}

/**
 * Value at rank ⌊quantile · n⌋ of `values` (not lib.mjs `quantile`'s nearest rank, which picks
 * one lower: kept so that figures compare with earlier runs); NaN for none.
 * @param {Float64Array} values sorted ascending
 * @param {number} quantile 0…1
 */
function percentile(values, quantile) {
	return values[Math.min(values.length - 1, Math.floor(quantile * values.length))] ?? NaN;
}

/**
 * Fan-out load: CPU per delivered message and delivery latency.
 * @param {Server} server
 */
async function fanOut(server) {
	const topicOf = (/** @type {number} */ index) => `bench-room-${Math.floor(index / SUBSCRIBERS)}`;
	const sockets = await openMany(server.urls, ROOMS * SUBSCRIBERS, topicOf);
	// Subscriptions reach the other relays of a cluster before the load starts.
	await delay(server.urls.length > 1 ? 500 : 0);
	const latencies = new Float64Array(
		Math.ceil(ROOMS * SUBSCRIBERS * RATE * (MEASURE_MS / 1000) * 1.2)
	);
	let delivered = 0;
	let measuring = false;
	for (const socket of sockets) {
		socket.on('message', (data) => {
			if (!measuring) return;
			const message = JSON.parse(String(data));
			if (delivered < latencies.length) latencies[delivered] = performance.now() - message.data.t;
			delivered += 1;
		});
	}
	await delay(200);
	const pad = 'x'.repeat(MESSAGE_BYTES - 110);
	let seq = 0;
	const publishers = Array.from({ length: ROOMS }, (_, room) => {
		const socket = /** @type {WebSocket} */ (sockets[room * SUBSCRIBERS]);
		const topic = topicOf(room * SUBSCRIBERS);
		return setInterval(() => {
			const data = { seq: seq++, t: performance.now(), pad };
			socket.send(JSON.stringify({ type: 'publish', topic, data }));
		}, 1000 / RATE);
	});
	await delay(WARMUP_MS);
	measuring = true;
	const cpuBefore = totalCpuMs(server.pids);
	await delay(MEASURE_MS);
	const cpuAfter = totalCpuMs(server.pids);
	const userCpuMs = cpuAfter.user - cpuBefore.user;
	const serverCpuMs = userCpuMs + cpuAfter.system - cpuBefore.system;
	measuring = false;
	publishers.forEach(clearInterval);
	await delay(300);
	await closeAll(sockets);
	return {
		delivered,
		serverCpuMs,
		userCpuMs,
		latencies: latencies.slice(0, Math.min(delivered, latencies.length))
	};
}

/**
 * Idle memory: RSS growth per connection at IDLE_CONNECTIONS connections.
 * @param {Server} server
 * @param {number} count
 */
async function idleMemory(server, count) {
	globalThis.gc?.();
	await delay(SETTLE_MS);
	const before = rssKiB(server.pid);
	const sockets = await openMany(
		[server.url],
		count,
		(index) => `idle-room-${Math.floor(index / 8)}`
	);
	globalThis.gc?.();
	await delay(SETTLE_MS);
	const after = rssKiB(server.pid);
	await closeAll(sockets);
	return (after - before) / count;
}

/**
 * Every round's latencies together, sorted ascending.
 * @param {Awaited<ReturnType<typeof fanOut>>[]} runs
 */
function allLatencies(runs) {
	const all = new Float64Array(runs.reduce((sum, run) => sum + run.latencies.length, 0));
	let offset = 0;
	for (const run of runs) {
		all.set(run.latencies, offset);
		offset += run.latencies.length;
	}
	return all.sort();
}

/**
 * Runs ROUNDS fan-out rounds per server, the servers taken in turns (so that background load hits
 * all alike), each started fresh and stopped after its round.
 * @param {(() => Promise<Server>)[]} starters
 * @returns {Promise<Awaited<ReturnType<typeof fanOut>>[][]>} each server's rounds
 */
async function fanOutRounds(starters) {
	const rounds = starters.map(() => /** @type {Awaited<ReturnType<typeof fanOut>>[]} */ ([]));
	for (let round = 0; round < ROUNDS; round++) {
		for (let turn = 0; turn < starters.length; turn++) {
			const index = (round + turn) % starters.length;
			const server = await /** @type {() => Promise<Server>} */ (starters[index])();
			try {
				rounds[index]?.push(await fanOut(server));
			} finally {
				await server.stop();
			}
		}
	}
	return rounds;
}

/**
 * Runs the fan-out rounds (servers in turns) and the idle-memory phase for each server.
 * @param {(() => Promise<Server>)[]} starters
 * @param {number} idleConnections
 * @returns {Promise<Result[]>}
 */
async function measure(starters, idleConnections) {
	const rounds = await fanOutRounds(starters);
	/** @type {Result[]} */
	const results = [];
	for (const [index, start] of starters.entries()) {
		const server = await start();
		try {
			const runs = rounds[index] ?? [];
			const all = allLatencies(runs);
			results.push({
				delivered: median(runs.map((run) => run.delivered)),
				serverCpuMs: median(runs.map((run) => run.serverCpuMs)),
				cpuUsPerMessage: median(runs.map((run) => (run.serverCpuMs * 1000) / run.delivered)),
				userUsPerMessage: median(runs.map((run) => (run.userCpuMs * 1000) / run.delivered)),
				p50Ms: percentile(all, 0.5),
				p99Ms: percentile(all, 0.99),
				rssPerConnectionKiB: await idleMemory(server, idleConnections),
				idleConnections
			});
		} finally {
			await server.stop();
		}
	}
	return results;
}

/** How many idle connections the file-descriptor limit allows (each is one descriptor here). */
function idleConnectionCount() {
	// "unlimited" parses as NaN, which means no limit.
	const limit = Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
	if (Number.isFinite(limit) && limit < IDLE_CONNECTIONS + 200) {
		console.warn(
			`ulimit -n is ${limit}: measuring ${limit - 200} idle connections (raise it for ${IDLE_CONNECTIONS})`
		);
		return Math.max(100, limit - 200);
	}
	return IDLE_CONNECTIONS;
}

/** `redis-server` on a free loopback port, without persistence. */
async function startRedis() {
	const port = await freePort();
	const child = spawn(
		'redis-server',
		['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
		{ stdio: 'ignore' }
	);
	const exited = new Promise((done) => child.once('exit', done));
	for (let attempt = 0; ; attempt++) {
		try {
			execFileSync('redis-cli', ['-p', String(port), 'ping'], { stdio: 'ignore' });
			break;
		} catch {
			if (attempt > 100) throw new Error('redis-server did not start');
			await delay(50);
		}
	}
	return {
		url: `redis://127.0.0.1:${port}`,
		pid: /** @type {number} */ (child.pid),
		stop: async () => {
			child.kill('SIGKILL');
			await exited;
		}
	};
}

/**
 * Three Confer relays on one Redis, as one {@link Server}: every relay's and Redis's CPU counted.
 * @returns {Promise<Server>}
 */
async function startCluster() {
	const redis = await startRedis();
	const relays = [];
	for (let i = 0; i < 3; i++) {
		relays.push(
			await startServer(
				`confer relay ${i + 1}`,
				['signaling/dist/main.js'],
				{ HOST: '127.0.0.1', PORT: '0', REDIS_URL: redis.url },
				(output) => {
					if (!output.includes('joined the cluster')) return null;
					const match = /listening on http:\/\/(\S+?)\/?\s/.exec(output);
					return match ? `ws://${match[1]}/yjs` : null;
				}
			)
		);
	}
	return {
		name: 'three relays + Redis',
		pid: /** @type {number} */ (relays[0]?.pid),
		url: /** @type {string} */ (relays[0]?.url),
		pids: [...relays.map((relay) => relay.pid), redis.pid],
		urls: relays.map((relay) => relay.url),
		stop: async () => {
			await Promise.all(relays.map((relay) => relay.stop()));
			await redis.stop();
		}
	};
}

/** `--cluster`: the fan-out load against one relay and against three relays with Redis. */
async function clusterBench() {
	console.log(
		`Fan-out: ${ROOMS} rooms × ${SUBSCRIBERS} subscribers (spread over the relays in turn), one ` +
			`publisher per room, ${MESSAGE_BYTES}-byte publishes at ${RATE}/s; ${ROUNDS} rounds each of ` +
			`${MEASURE_MS / 1000} s after ${WARMUP_MS / 1000} s warm-up. Node ${process.version}.`
	);
	const starters = [startConfer, startCluster];
	const rounds = await fanOutRounds(starters);
	const summary = rounds.map((runs) => {
		const all = allLatencies(runs);
		return {
			perSecond: median(runs.map((run) => run.delivered / (MEASURE_MS / 1000))),
			cpuUs: median(runs.map((run) => (run.serverCpuMs * 1000) / run.delivered)),
			p50: percentile(all, 0.5),
			p99: percentile(all, 0.99)
		};
	});
	const [one, three] = summary;
	if (!one || !three) throw new Error('no results');
	/** @type {[string, (r: typeof one) => number, number][]} */
	const clusterRows = [
		['delivered messages per second (median)', (r) => r.perSecond, 0],
		['CPU per delivered message, relays + Redis (median), µs', (r) => r.cpuUs, 2],
		['delivery latency p50, ms', (r) => r.p50, 2],
		['delivery latency p99, ms', (r) => r.p99, 2]
	];
	console.table(
		clusterRows.map(([label, value, decimals]) => ({
			metric: label,
			'one relay': value(one).toFixed(decimals),
			'three relays + Redis': value(three).toFixed(decimals),
			'three / one': (value(three) / value(one)).toFixed(2)
		}))
	);
}

if (process.argv.includes('--cluster')) {
	await clusterBench();
	process.exit(0);
}

const idleConnections = idleConnectionCount();
console.log(
	`Fan-out: ${ROOMS} rooms × ${SUBSCRIBERS} subscribers, one publisher per room, ${MESSAGE_BYTES}-byte ` +
		`publishes at ${RATE}/s; ${ROUNDS} rounds per server of ${MEASURE_MS / 1000} s after ` +
		`${WARMUP_MS / 1000} s warm-up; ` +
		`idle memory at ${idleConnections} connections. Node ${process.version}.`
);
const [confer, reference] = await measure([startConfer, startReference], idleConnections);
if (confer === undefined || reference === undefined) throw new Error('no results');

/** @type {[string, (result: Result) => number, number][]} label, value, decimals */
const rows = [
	['delivered messages per round (median)', (r) => r.delivered, 0],
	['server CPU per round (median), ms', (r) => r.serverCpuMs, 0],
	['server CPU per delivered message (median), µs', (r) => r.cpuUsPerMessage, 2],
	['  of which user space (median), µs', (r) => r.userUsPerMessage, 2],
	['delivery latency p50, ms', (r) => r.p50Ms, 2],
	['delivery latency p99, ms', (r) => r.p99Ms, 2],
	[`RSS per idle connection (${idleConnections}), KiB`, (r) => r.rssPerConnectionKiB, 2]
];
const table = rows.map(([label, value, decimals]) => {
	const ours = value(confer);
	const theirs = value(reference);
	return {
		metric: label,
		'confer relay': ours.toFixed(decimals),
		'y-webrtc reference': theirs.toFixed(decimals),
		'confer / reference': (ours / theirs).toFixed(2)
	};
});
console.table(table);
