/**
 * Where each participant goes in a recording's picture (ARCHITECTURE.md, "Recording"): a grid of
 * 16:9 tiles, or, while someone shares a screen, the screen large on the left and everyone else in
 * a column on the right. Pure, so it is tested without a browser.
 */

/** A rectangle in the recording's pixels. */
export type Rect = { x: number; y: number; width: number; height: number };

/** Size of the recording's picture: 1280×720 (720p), the largest the recorder composes. */
export const RECORDING_WIDTH = 1280;
export const RECORDING_HEIGHT = 720;
/** Pixels between tiles and around them. */
export const GAP = 8;

/**
 * The tiles' rectangles, in the order of `tiles`.
 *
 * @param tiles one entry per participant; `screen`: they share their screen (the first one sharing
 *   is shown large)
 * @returns a rectangle per tile, inside `width`×`height`, none overlapping
 */
export function compositeLayout(
	tiles: readonly { screen: boolean }[],
	width: number = RECORDING_WIDTH,
	height: number = RECORDING_HEIGHT
): Rect[] {
	const count = tiles.length;
	if (count === 0) return [];
	const presenter = tiles.findIndex((t) => t.screen);
	if (presenter >= 0 && count > 1) {
		const side = Math.round(width / 5);
		const stage = { x: GAP, y: GAP, width: width - side - 3 * GAP, height: height - 2 * GAP };
		const others = count - 1;
		const slot = (height - GAP * (others + 1)) / others;
		const tileHeight = Math.min(slot, (side * 9) / 16);
		let row = 0;
		return tiles.map((_, i) => {
			if (i === presenter) return stage;
			const y = GAP + row++ * (tileHeight + GAP);
			return { x: width - side - GAP, y, width: side, height: tileHeight };
		});
	}
	// The grid with the largest 16:9 tiles.
	let best = { columns: 1, rows: count, tileWidth: 0 };
	for (let columns = 1; columns <= count; columns++) {
		const rows = Math.ceil(count / columns);
		const tileWidth = Math.min(
			(width - GAP * (columns + 1)) / columns,
			(((height - GAP * (rows + 1)) / rows) * 16) / 9
		);
		if (tileWidth > best.tileWidth) best = { columns, rows, tileWidth };
	}
	const { columns, rows, tileWidth } = best;
	const tileHeight = (tileWidth * 9) / 16;
	const top = (height - rows * tileHeight - (rows - 1) * GAP) / 2;
	return tiles.map((_, i) => {
		const row = Math.floor(i / columns);
		// The last row, if shorter, is centred.
		const inRow = row === rows - 1 ? count - row * columns : columns;
		const left = (width - inRow * tileWidth - (inRow - 1) * GAP) / 2;
		return {
			x: left + (i % columns) * (tileWidth + GAP),
			y: top + row * (tileHeight + GAP),
			width: tileWidth,
			height: tileHeight
		};
	});
}
