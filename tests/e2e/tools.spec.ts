// The test helpers themselves, without the app: fixture media reach pixels and tones, a real
// RTCPeerConnection carries them, coturn relays, the relay helper starts, axe finds violations.
import { expect, test, type Page } from '@playwright/test';
import {
	dominantColor,
	formatViolations,
	launchParticipant,
	peakFrequency,
	seriousViolations,
	startCoturn,
	startRelay,
	turnCredentials,
	videoColor,
	type Participant
} from './support/index.js';

/** A blank page on the relay's origin (a secure context: getUserMedia works there). */
async function blankPage(page: Page, body = '<main><h1>Tools</h1></main>'): Promise<void> {
	await page.route('**/__tools', (route) =>
		route.fulfill({
			contentType: 'text/html',
			body: `<!doctype html><html lang="en"><head><title>Tools</title></head><body>${body}</body></html>`
		})
	);
	await page.goto('/__tools');
}

/**
 * Two RTCPeerConnections in the page: the camera and microphone go from one to the other; the
 * remote stream plays in `<video id="remote">`. Resolves with the type of the local ICE candidate
 * of the selected pair ('host', 'relay', …).
 */
async function loopbackCall(page: Page, iceServers: RTCIceServer[] = [], relayOnly = false) {
	return page.evaluate(
		async ({ iceServers, relayOnly }) => {
			const config: RTCConfiguration = {
				iceServers,
				iceTransportPolicy: relayOnly ? 'relay' : 'all'
			};
			const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
			const caller = new RTCPeerConnection(config);
			const callee = new RTCPeerConnection(config);
			caller.onicecandidate = (e) => void (e.candidate && callee.addIceCandidate(e.candidate));
			callee.onicecandidate = (e) => void (e.candidate && caller.addIceCandidate(e.candidate));
			const video = document.createElement('video');
			video.id = 'remote';
			video.autoplay = true;
			video.playsInline = true;
			document.body.append(video);
			callee.ontrack = (e) => {
				if (e.streams[0] && video.srcObject !== e.streams[0]) {
					video.srcObject = e.streams[0];
					void video.play();
				}
			};
			for (const track of stream.getTracks()) caller.addTrack(track, stream);
			await caller.setLocalDescription();
			await callee.setRemoteDescription(caller.localDescription!);
			await callee.setLocalDescription();
			await caller.setRemoteDescription(callee.localDescription!);
			await new Promise<void>((resolve, reject) => {
				const check = () => {
					if (caller.connectionState === 'connected') resolve();
					if (caller.connectionState === 'failed') reject(new Error('ICE failed'));
				};
				caller.onconnectionstatechange = check;
				check();
			});
			Object.assign(window, { toolsCall: { caller, callee, stream } });
			const stats = await caller.getStats();
			let candidateType = '';
			stats.forEach((report) => {
				if (report.type === 'transport' && report.selectedCandidatePairId) {
					const pair = stats.get(report.selectedCandidatePairId);
					candidateType = stats.get(pair.localCandidateId)?.candidateType ?? '';
				}
			});
			return candidateType;
		},
		{ iceServers, relayOnly }
	);
}

let participant: Participant | undefined;

test.afterEach(async () => {
	await participant?.close();
	participant = undefined;
});

test('dominantColor classifies fixture colours, black and mixes', () => {
	expect(dominantColor({ r: 250, g: 4, b: 10 })).toBe('red');
	expect(dominantColor({ r: 10, g: 240, b: 20 })).toBe('green');
	expect(dominantColor({ r: 8, g: 12, b: 235 })).toBe('blue');
	expect(dominantColor({ r: 240, g: 238, b: 15 })).toBe('yellow');
	expect(dominantColor({ r: 10, g: 12, b: 8 })).toBe('black');
	expect(dominantColor({ r: 128, g: 128, b: 128 })).toBe('other');
});

test('the fake camera and microphone play the fixture colour and tone locally', async () => {
	participant = await launchParticipant({ video: 'red', tone: 660 });
	const { page } = participant;
	await blankPage(
		page,
		'<main><h1>Tools</h1><video id="local" autoplay muted playsinline></video></main>'
	);
	await page.evaluate(async () => {
		const video = document.querySelector<HTMLVideoElement>('#local')!;
		video.srcObject = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
		await video.play();
	});
	const local = page.locator('#local');
	expect(dominantColor(await videoColor(local))).toBe('red');
	expect(await peakFrequency(page, local)).toBeCloseTo(660, -1);
});

test('colour and tone cross a real RTCPeerConnection; a disabled track is silence', async () => {
	participant = await launchParticipant({ video: 'blue', tone: 1100 });
	const { page } = participant;
	await blankPage(page);
	expect(await loopbackCall(page)).toBe('host');
	const remote = page.locator('#remote');
	await expect.poll(async () => dominantColor(await videoColor(remote))).toBe('blue');
	await expect.poll(() => peakFrequency(page, remote)).toBeCloseTo(1100, -1);

	await page.evaluate(() => {
		const { stream } = (window as unknown as { toolsCall: { stream: MediaStream } }).toolsCall;
		for (const track of stream.getAudioTracks()) track.enabled = false;
	});
	await expect.poll(() => peakFrequency(page, remote)).toBeNull();
});

test('a silent microphone fixture measures as silence', async () => {
	participant = await launchParticipant({ video: 'green', tone: 'silent' });
	const { page } = participant;
	await blankPage(
		page,
		'<main><h1>Tools</h1><video id="local" autoplay muted playsinline></video></main>'
	);
	await page.evaluate(async () => {
		const video = document.querySelector<HTMLVideoElement>('#local')!;
		video.srcObject = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
		await video.play();
	});
	const local = page.locator('#local');
	expect(dominantColor(await videoColor(local))).toBe('green');
	expect(await peakFrequency(page, local)).toBeNull();
});

test('coturn relays a call when only relay candidates are allowed', async () => {
	const coturn = await startCoturn();
	try {
		participant = await launchParticipant({ video: 'yellow', tone: 440 });
		const { page } = participant;
		await blankPage(page);
		const { username, credential } = turnCredentials(coturn.secret);
		const type = await loopbackCall(page, [{ urls: coturn.url, username, credential }], true);
		expect(type, coturn.log()).toBe('relay');
		const remote = page.locator('#remote');
		await expect.poll(async () => dominantColor(await videoColor(remote))).toBe('yellow');
		await expect.poll(() => peakFrequency(page, remote)).toBeCloseTo(440, -1);
	} finally {
		await coturn.stop();
	}
});

test('coturn refuses wrong TURN credentials: no relay candidate is gathered', async () => {
	const coturn = await startCoturn();
	try {
		participant = await launchParticipant();
		const { page } = participant;
		await blankPage(page);
		const { username, credential } = turnCredentials(coturn.secret);
		const gather = (credential: string) =>
			page.evaluate(
				async (iceServer) => {
					const pc = new RTCPeerConnection({
						iceServers: [iceServer],
						iceTransportPolicy: 'relay'
					});
					const types: string[] = [];
					pc.onicecandidate = (e) => void (e.candidate?.type && types.push(e.candidate.type));
					pc.createDataChannel('probe');
					await pc.setLocalDescription();
					await new Promise<void>((resolve) => {
						pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
						if (pc.iceGatheringState === 'complete') resolve();
					});
					pc.close();
					return types;
				},
				{ urls: coturn.url, username, credential }
			);
		expect(await gather(credential), coturn.log()).toContain('relay');
		expect(await gather('wrong')).toEqual([]);
	} finally {
		await coturn.stop();
	}
});

test('startRelay starts a second relay that answers /healthz', async ({ request }) => {
	const relay = await startRelay();
	try {
		expect(relay.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
		const response = await request.get(`${relay.url}/healthz`);
		expect(response.ok(), relay.log()).toBe(true);
	} finally {
		await relay.stop();
	}
});

test('the axe helper reports serious violations and passes a clean page', async () => {
	participant = await launchParticipant();
	const { page } = participant;
	await blankPage(page);
	const clean = await seriousViolations(page);
	expect(clean, formatViolations(clean)).toEqual([]);
	await page.setContent(
		'<!doctype html><html lang="en"><head><title>Bad</title></head><body><main><button></button></main></body></html>'
	);
	const bad = await seriousViolations(page);
	expect(bad.map((v) => v.id)).toContain('button-name');
});
