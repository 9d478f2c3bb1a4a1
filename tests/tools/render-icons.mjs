// Renders static/icons/icon.svg into the PNG icons the web app manifest lists, with headless
// Chromium at exact pixel sizes. Run after changing the SVG: `node tests/tools/render-icons.mjs`.
// The maskable icon fills the whole square with the background and keeps the glyph inside the
// central 80% safe zone (W3C Web App Manifest, "icon masks").
import { chromium } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { readFile, rename } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const icons = fileURLToPath(new URL('../../static/icons/', import.meta.url));
const svg = await readFile(`${icons}icon.svg`, 'utf8');
// Maskable: square tile (the platform applies its own mask), glyph scaled into the safe zone.
const maskableSvg = svg
	.replace('rx="112"', 'rx="0"')
	.replace(
		'transform="translate(-12 -16)"',
		'transform="translate(256 256) scale(0.8) translate(-268 -272)"'
	);
if (maskableSvg === svg)
	throw new Error('icon.svg no longer has the tile and glyph this script expects');
/** @param {string} text */
const dataUri = (text) => `data:image/svg+xml;base64,${Buffer.from(text).toString('base64')}`;

/** @type {{ file: string, size: number, maskable: boolean }[]} */
const outputs = [
	{ file: 'icon-192.png', size: 192, maskable: false },
	{ file: 'icon-512.png', size: 512, maskable: false },
	{ file: 'icon-maskable-512.png', size: 512, maskable: true }
];

const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
	args: process.getuid?.() === 0 ? ['--no-sandbox'] : []
});
try {
	for (const { file, size, maskable } of outputs) {
		const page = await browser.newPage({ viewport: { width: size, height: size } });
		await page.setContent(
			`<html><body style="margin:0;background:transparent">` +
				`<img src="${dataUri(maskable ? maskableSvg : svg)}" width="${size}" height="${size}" style="display:block">` +
				`</body></html>`
		);
		await page.locator('img').evaluate((img) => /** @type {HTMLImageElement} */ (img).decode());
		await page.screenshot({ path: `${icons}${file}`, omitBackground: !maskable });
		if (maskable) {
			// Opaque, so a 256-colour palette looks the same at a sixth of the size. Transparent icons
			// stay 32-bit: a palette would give their anti-aliased edges a fringe.
			const tmp = `${icons}${file}.tmp.png`;
			execFileSync('ffmpeg', [
				'-nostdin',
				'-loglevel',
				'error',
				'-y',
				'-i',
				`${icons}${file}`,
				'-vf',
				'split[a][b];[a]palettegen=max_colors=256[p];[b][p]paletteuse=dither=none',
				tmp
			]);
			await rename(tmp, `${icons}${file}`);
		}
		await page.close();
		console.log(`static/icons/${file} (${size}x${size})`);
	}
} finally {
	await browser.close();
}
