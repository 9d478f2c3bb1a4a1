/**
 * The call's keyboard shortcuts, in one place for the handler, the tooltips, `aria-keyshortcuts`
 * and the "Keyboard shortcuts" dialog. Ctrl/Cmd+D and Ctrl/Cmd+E are Google Meet's; the hand and
 * chat shortcuts add Alt, as Meet does, so they do not clash with browser shortcuts.
 */

/** What a shortcut does in the call. */
export type ShortcutAction = 'microphone' | 'camera' | 'hand' | 'chat';

export interface Shortcut {
	action: ShortcutAction;
	/** `KeyboardEvent.code` of the letter: with Alt held, macOS types another character as `key`. */
	code: string;
	alt: boolean;
	/** What it does, for the dialog. */
	description: string;
}

export const SHORTCUTS: readonly Shortcut[] = [
	{ action: 'microphone', code: 'KeyD', alt: false, description: 'Turn microphone on or off' },
	{ action: 'camera', code: 'KeyE', alt: false, description: 'Turn camera on or off' },
	{ action: 'hand', code: 'KeyH', alt: true, description: 'Raise or lower your hand' },
	{ action: 'chat', code: 'KeyC', alt: true, description: 'Open or close the chat' }
];

/** Whether this is an Apple device, whose shortcuts use ⌘ and Option. */
const apple = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.userAgent ?? '');

function shortcutOf(action: ShortcutAction): Shortcut {
	const shortcut = SHORTCUTS.find((s) => s.action === action);
	if (!shortcut) throw new Error(`No shortcut for ${action}`);
	return shortcut;
}

/** The keys as people read them: "Ctrl+D", "Ctrl+Alt+H"; "⌘+D", "⌘+Option+H" on Apple devices. */
export function keysText(action: ShortcutAction): string {
	const { code, alt } = shortcutOf(action);
	const letter = code.replace(/^Key/, '');
	return [apple ? '⌘' : 'Ctrl', ...(alt ? [apple ? 'Option' : 'Alt'] : []), letter].join('+');
}

/** The `aria-keyshortcuts` value (WAI-ARIA 1.2): both the Control and the Meta form. */
export function ariaKeys(action: ShortcutAction): string {
	const { code, alt } = shortcutOf(action);
	const rest = `${alt ? 'Alt+' : ''}${code.replace(/^Key/, '')}`;
	return `Control+${rest} Meta+${rest}`;
}

/** The action a key press asks for, or null: Ctrl or Cmd, Alt as listed, never Shift. */
export function shortcutAction(event: KeyboardEvent): ShortcutAction | null {
	if (!(event.ctrlKey || event.metaKey) || event.shiftKey) return null;
	return SHORTCUTS.find((s) => s.code === event.code && s.alt === event.altKey)?.action ?? null;
}

/** Whether a key press goes to a text field (where `?` is typed, not a shortcut). */
export function isTyping(event: KeyboardEvent): boolean {
	const target = event.target as HTMLElement | null;
	return (
		!!target &&
		(target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))
	);
}
