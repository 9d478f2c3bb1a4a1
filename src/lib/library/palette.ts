/**
 * Avatar colours: Material Design palette shades (material.io, 2014 colour system, 700–900), each
 * with a contrast ratio of at least 4.5:1 against white text (WCAG 2.1 AA, success criterion 1.4.3;
 * checked in tests/unit/library.test.ts).
 */
export const PROFILE_COLORS: readonly string[] = [
	'#c62828', // red 800
	'#ad1457', // pink 800
	'#6a1b9a', // purple 800
	'#4527a0', // deep purple 800
	'#283593', // indigo 800
	'#1565c0', // blue 800
	'#00695c', // teal 800
	'#2e7d32', // green 800
	'#bf360c', // deep orange 900
	'#4e342e', // brown 800
	'#37474f' // blue grey 800
];

/** Picks a colour from {@link PROFILE_COLORS} uniformly at random (`crypto.getRandomValues`). */
export function randomProfileColor(): string {
	const [value = 0] = crypto.getRandomValues(new Uint32Array(1));
	// The modulo bias is below length / 2³², negligible for a colour.
	return PROFILE_COLORS[value % PROFILE_COLORS.length] ?? '#37474f';
}
