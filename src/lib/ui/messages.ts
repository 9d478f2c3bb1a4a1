/**
 * Every sentence Confer says about what happened, built from the codes the meeting, media and
 * relay layers report. One place for the words, so they can be translated.
 */
import type { DownloadFailure } from '$lib/files/download';
import type { AttachFailure } from '$lib/files/file-share.svelte';
import { formatBytes } from '$lib/history/storage';
import type { MediaDevice, MediaProblem } from '$lib/media/devices';
import { MAX_FILE_SIZE } from '$lib/settings';
import type { JoinError } from '$lib/meeting/meeting.svelte';
import type { Notice } from '$lib/meeting/notices.svelte';
import type { Announcement } from '$lib/meeting/participants';
import type { RelayError } from '$lib/relay/config';

/** A notice in words. */
export function noticeText({ code, detail }: Notice): string {
	switch (code) {
		case 'call-refused':
			return "A call was refused because it did not come from the participant it claimed to be. Someone may be interfering with this meeting's connection.";
		case 'server-refused':
			return "Confer's server refused the call connection. Chat still works; try joining again later.";
		case 'browser-incompatible':
			return 'This browser cannot make video calls. Try a recent Chrome, Edge, Firefox or Safari. Chat still works.';
		case 'video-full':
			return 'This meeting is full for video. You can still talk, listen and chat.';
		case 'video-full-joined':
			return `This meeting is full for video (${detail} people with video). You are in with audio only: you can still see, hear and chat with everyone.`;
		case 'message-too-long':
			return `A message can be at most ${detail} characters long. Shorten it, or send it in parts.`;
		case 'copy-failed':
			return `Copy this link to invite people: ${detail}`;
		case 'recording-no-space':
			return 'Not enough free space on this device to record. Free some space, or delete old meetings or recordings on the Meetings page.';
		case 'recording-unsupported':
			return 'This browser cannot record meetings. Try a recent Chrome, Edge, Firefox or Safari.';
		case 'recording-failed':
			return 'The recording failed. What was recorded so far is kept with this meeting on the Meetings page.';
		case 'recording-space-stopped':
			return 'Recording stopped because this device is nearly out of space. What was recorded is kept with this meeting on the Meetings page.';
	}
}

/** While in a call without the relay: calls go on, newcomers cannot get in. */
export const RELAY_LOST =
	"Connection to the server lost — your call continues; people can't join until it's back.";

/** In a call that has not reached the relay yet (it was down when joining). */
export const RELAY_WAITING =
	"Can't reach Confer's server yet — you'll be connected to the others as soon as it answers.";

/** On the prejoin screen, when the relay's config cannot be loaded. */
export function relayProblemText(code: RelayError['code']): string {
	switch (code) {
		case 'unreachable':
			return "Confer can't reach its server. You can still join: the chat on this device works, and you'll be connected to the others as soon as the server answers.";
		case 'status':
		case 'bad-config':
			return "Confer's server is not answering as it should. You can still join: you'll be connected as soon as it is back.";
	}
}

/** Why joining failed, with what to do. */
export function joinErrorText(code: JoinError): string {
	switch (code) {
		case 'already-open':
			return 'This meeting is still closing in this tab. Wait a moment, then try again.';
		case 'storage':
			return "This browser won't let Confer store the meeting (private mode or full storage). Free some space or leave private mode, then try again.";
		case 'other':
			return 'Joining failed. Try again.';
	}
}

const DEVICE_NAMES: Record<MediaDevice, string> = {
	camera: 'camera',
	microphone: 'microphone',
	screen: 'screen sharing'
};

/**
 * Device problems in words, one sentence per kind of problem, naming every device it affects
 * ("Camera and microphone are blocked for this site…"), camera first.
 */
export function mediaProblemText(problems: readonly MediaProblem[]): string {
	const kinds = [...new Set(problems.map((p) => p.kind))];
	return kinds
		.map((kind) => {
			const devices = problems
				.filter((p) => p.kind === kind)
				.map((p) => p.device)
				.sort((a, b) => DEVICE_ORDER.indexOf(a) - DEVICE_ORDER.indexOf(b))
				.map((device) => DEVICE_NAMES[device]);
			return problemSentence(kind, devices.join(' and '), devices.length > 1);
		})
		.join(' ');
}

const DEVICE_ORDER: MediaDevice[] = ['camera', 'microphone', 'screen'];

function problemSentence(kind: MediaProblem['kind'], what: string, several: boolean): string {
	switch (kind) {
		case 'denied': {
			const What = what.charAt(0).toUpperCase() + what.slice(1);
			const them = several ? 'them' : 'it';
			return `${What} ${several ? 'are' : 'is'} blocked for this site. To allow ${them}, open the site settings (the icon left of the address), then try again. You can still join and chat.`;
		}
		case 'not-found':
			return `No ${what} was found. Plug one in and try again, or join without it.`;
		case 'in-use':
			return `Your ${what} is being used by another app or could not be started. Close the other app, then try again.`;
		case 'insecure':
			return `This page cannot use your ${what}: open Confer over https (or on localhost).`;
		case 'ended':
			return `Your ${what} stopped (unplugged, or permission withdrawn). Check it, then turn it on again.`;
		case 'other':
			return `Your ${what} could not be started. Try again, or join without it.`;
	}
}

/** Joins, leaves and hands in words, for the `aria-live` region. */
export function announcementText(announcements: readonly Announcement[]): string {
	return announcements
		.map((a) => {
			switch (a.kind) {
				case 'joined':
					return `${a.name} joined`;
				case 'left':
					return `${a.name} left`;
				case 'raised-hand':
					return `${a.name} raised their hand`;
				case 'lowered-hand':
					return `${a.name} lowered their hand`;
				case 'hand-auto-lowered':
					return 'Your hand was lowered because you are speaking';
				case 'started-recording':
					return `${a.name} is recording this meeting`;
				case 'stopped-recording':
					return `${a.name} stopped recording`;
			}
		})
		.join('. ');
}

/**
 * Who is already in the call, for the prejoin screen: "Alice is in this call", "Alice and Bob are
 * in this call", "Alice, Bob and Cai are…", "Alice, Bob and 3 others are…"; empty for nobody.
 */
export function presentText(names: readonly string[]): string {
	if (names.length === 0) return '';
	if (names.length === 1) return `${names[0]} is in this call`;
	const listed =
		names.length <= 3
			? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`
			: `${names.slice(0, 2).join(', ')} and ${names.length - 2} others`;
	return `${listed} are in this call`;
}

/** Why a file could not be attached, with what to do. */
export function attachFailureText(reason: AttachFailure, name: string, size: number): string {
	switch (reason) {
		case 'too-big':
			return `${name} is ${formatBytes(size)}; files in chat can be at most ${formatBytes(MAX_FILE_SIZE)}. Share a smaller file, or split it.`;
		case 'space':
			return `Not enough space on this device to share ${name}. Free some space, or delete old meetings on the Meetings page.`;
		case 'unsupported':
			return 'This browser cannot keep files for meetings, so it cannot share them. Try a recent Chrome, Edge, Firefox or Safari.';
		case 'storage':
			return `${name} could not be stored on this device to share it. Try again.`;
	}
}

/** Why a file could not be received, with what to do. */
export function downloadFailureText(reason: DownloadFailure, name: string, size: number): string {
	switch (reason) {
		case 'too-big':
			return `${name} is ${formatBytes(size)}, more than this device accepts (${formatBytes(MAX_FILE_SIZE)}).`;
		case 'space':
			return `Not enough space on this device for ${name} (${formatBytes(size)}). Free some space, or delete old meetings on the Meetings page, then try again.`;
		case 'verification':
			return `${name} failed verification: what arrived does not match what was shared, so it was deleted. Try again; it will come from someone else if they have it.`;
		case 'storage':
			return `${name} could not be stored on this device. Try again.`;
	}
}

/** "4.1 MB/s", for transfers. */
export function speedText(bytesPerSecond: number): string {
	return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/** "about 12 s left", "about 3 min left", for transfers; '' when not known. */
export function timeLeftText(bytesLeft: number, bytesPerSecond: number): string {
	if (bytesPerSecond <= 0) return '';
	const seconds = Math.ceil(bytesLeft / bytesPerSecond);
	return seconds < 60 ? `${seconds} s left` : `about ${Math.ceil(seconds / 60)} min left`;
}
