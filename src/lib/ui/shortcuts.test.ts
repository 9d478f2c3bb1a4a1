import { describe, expect, it } from 'vitest';
import { ariaKeys, keysText, shortcutAction } from './shortcuts';

/** A key press as the browser reports it (only the fields the shortcuts read). */
const press = (code: string, mods: Partial<KeyboardEvent> = {}) =>
	({
		code,
		ctrlKey: false,
		metaKey: false,
		altKey: false,
		shiftKey: false,
		...mods
	}) as KeyboardEvent;

describe('shortcuts', () => {
	it('maps Ctrl or Cmd, with Alt where listed, to the action', () => {
		expect(shortcutAction(press('KeyD', { ctrlKey: true }))).toBe('microphone');
		expect(shortcutAction(press('KeyE', { metaKey: true }))).toBe('camera');
		expect(shortcutAction(press('KeyH', { ctrlKey: true, altKey: true }))).toBe('hand');
		expect(shortcutAction(press('KeyC', { metaKey: true, altKey: true }))).toBe('chat');
	});

	it('ignores the same letters without the modifiers, with Shift, or with Alt added', () => {
		expect(shortcutAction(press('KeyD'))).toBeNull();
		expect(shortcutAction(press('KeyH', { ctrlKey: true }))).toBeNull();
		expect(shortcutAction(press('KeyD', { ctrlKey: true, shiftKey: true }))).toBeNull();
		expect(shortcutAction(press('KeyD', { ctrlKey: true, altKey: true }))).toBeNull();
		// Ctrl+C copies, as always.
		expect(shortcutAction(press('KeyC', { ctrlKey: true }))).toBeNull();
	});

	it('names the keys for people and for aria-keyshortcuts', () => {
		expect(keysText('hand')).toBe('Ctrl+Alt+H');
		expect(keysText('microphone')).toBe('Ctrl+D');
		expect(ariaKeys('hand')).toBe('Control+Alt+H Meta+Alt+H');
	});
});
