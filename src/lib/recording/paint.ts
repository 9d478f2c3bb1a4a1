import { compositeLayout, RECORDING_HEIGHT, RECORDING_WIDTH, type Rect } from './layout';

/** One participant's tile in the recording, without their media. */
export type Tile = {
	/** stable key (the participant id) */
	key: number;
	name: string;
	/** avatar colour, shown when their camera is off */
	color: string;
	cam: boolean;
	screen: boolean;
};

/** A picture to draw in a tile, with its size in pixels. */
export type Picture = { image: CanvasImageSource; width: number; height: number };

type Context2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

/**
 * Paints one frame of the composite (1280×720): each tile where `layout.ts` puts it, with its
 * picture (a screen letterboxed, a camera filling its tile), or, when the camera is off or no
 * picture has arrived, the avatar colour and initial; the name on a dark band, bottom left. This
 * is the page's compositor; the worker's composes the same look in YUV (`yuv.ts`) and paints only
 * avatars and names with these functions.
 *
 * @param picture the latest picture of a tile's video, or null
 */
export function paintComposite(
	context: Context2D,
	tiles: readonly Tile[],
	picture: (key: number) => Picture | null
): void {
	context.fillStyle = BACKGROUND;
	context.fillRect(0, 0, RECORDING_WIDTH, RECORDING_HEIGHT);
	const rects = compositeLayout(tiles);
	tiles.forEach((tile, i) => {
		const shown = tile.cam || tile.screen ? picture(tile.key) : null;
		paintTile(context, tile, rects[i] as Rect, shown && shown.width > 0 ? shown : null);
	});
}

function paintTile(context: Context2D, tile: Tile, rect: Rect, picture: Picture | null) {
	context.save();
	context.beginPath();
	context.roundRect(rect.x, rect.y, rect.width, rect.height, 8);
	context.clip();
	if (picture) {
		context.fillStyle = TILE_BACKGROUND;
		context.fillRect(rect.x, rect.y, rect.width, rect.height);
		// A screen is letterboxed (nothing cut off); a camera fills its tile.
		const scale = (tile.screen ? Math.min : Math.max)(
			rect.width / picture.width,
			rect.height / picture.height
		);
		const width = picture.width * scale;
		const height = picture.height * scale;
		context.drawImage(
			picture.image,
			rect.x + (rect.width - width) / 2,
			rect.y + (rect.height - height) / 2,
			width,
			height
		);
	} else {
		paintAvatar(context, tile, rect);
	}
	paintLabel(context, labelBand(context, tile, rect));
	context.restore();
}

/** The composite's background, and a tile's behind its picture. */
export const BACKGROUND = '#101418';
export const TILE_BACKGROUND = '#1f262d';

/** A tile without a picture: its avatar colour and initial, centred on the tile's background. */
export function paintAvatar(context: Context2D, tile: Tile, rect: Rect): void {
	context.fillStyle = TILE_BACKGROUND;
	context.fillRect(rect.x, rect.y, rect.width, rect.height);
	const radius = Math.min(rect.width, rect.height) / 5;
	context.fillStyle = tile.color;
	context.beginPath();
	context.arc(rect.x + rect.width / 2, rect.y + rect.height / 2, radius, 0, 2 * Math.PI);
	context.fill();
	context.fillStyle = '#ffffff';
	context.font = `600 ${Math.round(radius)}px system-ui, sans-serif`;
	context.textAlign = 'center';
	context.textBaseline = 'middle';
	context.fillText(
		(tile.name.trim()[0] ?? '?').toUpperCase(),
		rect.x + rect.width / 2,
		rect.y + rect.height / 2
	);
}

/** Where a tile's name goes: a dark band at its bottom left, `size` px text. */
export type LabelBand = Rect & { label: string; size: number };

/** The band of a tile's name (measured with `context`'s text metrics). */
export function labelBand(context: Context2D, tile: Tile, rect: Rect): LabelBand {
	const size = Math.max(12, Math.round(rect.height / 14));
	context.font = `600 ${size}px system-ui, sans-serif`;
	const label = tile.screen ? `${tile.name} (screen)` : tile.name;
	const width = Math.min(context.measureText(label).width + size, rect.width - 16);
	const height = size * 1.8;
	return { x: rect.x + 8, y: rect.y + rect.height - height - 8, width, height, label, size };
}

/** Paints a name's band, moved by (`dx`, `dy`). */
export function paintLabel(context: Context2D, band: LabelBand, dx = 0, dy = 0): void {
	const x = band.x + dx;
	const y = band.y + dy;
	context.fillStyle = 'rgba(0, 0, 0, 0.6)';
	context.fillRect(x, y, band.width, band.height);
	context.fillStyle = '#ffffff';
	context.font = `600 ${band.size}px system-ui, sans-serif`;
	context.textAlign = 'left';
	context.textBaseline = 'alphabetic';
	context.fillText(
		band.label,
		x + band.size / 2,
		y + band.height - band.size * 0.6,
		band.width - band.size
	);
}
