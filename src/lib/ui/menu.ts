/**
 * Menu behaviour shared by the call's menus (More options, Layout, each tile's menu), after the
 * WAI-ARIA Authoring Practices "Menu Button" pattern: opening focuses an item; arrow keys, Home and
 * End move between items (wrapping); Escape closes the menu and gives the focus back to its button;
 * moving the focus elsewhere (Tab, a click outside) closes it.
 */

/** The items of `menu`, in document order: its buttons, including those inside groups. */
function itemsOf(menu: HTMLElement): HTMLElement[] {
	return [...menu.querySelectorAll<HTMLElement>('button:not([disabled])')];
}

/**
 * A Svelte attachment for an open menu's element. `close(restoreFocus)` closes it: with `true`
 * (Escape) the caller gives the focus back to the menu's button; with `false` (focus went elsewhere)
 * the focus stays where the person put it.
 */
export function menuBehaviour(close: (restoreFocus: boolean) => void) {
	return (menu: HTMLElement) => {
		(menu.querySelector<HTMLElement>('[aria-checked="true"]') ?? itemsOf(menu)[0])?.focus();

		function onkeydown(event: KeyboardEvent) {
			if (event.key === 'Escape') {
				event.preventDefault();
				event.stopPropagation();
				close(true);
				return;
			}
			const items = itemsOf(menu);
			const at = items.indexOf(document.activeElement as HTMLElement);
			const next = {
				ArrowDown: at + 1,
				ArrowRight: at + 1,
				ArrowUp: at - 1,
				ArrowLeft: at - 1,
				Home: 0,
				End: items.length - 1
			}[event.key];
			if (next === undefined) return;
			event.preventDefault();
			items[(next + items.length) % items.length]?.focus();
		}

		// The menu's button sits next to the menu, in the same anchor: focus moving to it is the
		// person pressing it again, which toggles the menu by itself.
		const anchor = menu.parentElement ?? menu;
		function onfocusout(event: FocusEvent) {
			if (!anchor.contains(event.relatedTarget as Node | null)) close(false);
		}

		function onpointerdown(event: PointerEvent) {
			if (!anchor.contains(event.target as Node)) close(false);
		}

		menu.addEventListener('keydown', onkeydown);
		anchor.addEventListener('focusout', onfocusout);
		window.addEventListener('pointerdown', onpointerdown, true);
		return () => {
			menu.removeEventListener('keydown', onkeydown);
			anchor.removeEventListener('focusout', onfocusout);
			window.removeEventListener('pointerdown', onpointerdown, true);
		};
	};
}
