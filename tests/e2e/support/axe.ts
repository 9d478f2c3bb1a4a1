import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';

/** One axe violation of impact `serious` or `critical`, from {@link seriousViolations}. */
export type AxeViolation = Awaited<ReturnType<AxeBuilder['analyze']>>['violations'][number];

/** Options for {@link seriousViolations}. */
export interface AxeOptions {
	/** CSS selectors to leave out of the scan (e.g. third-party widgets). */
	exclude?: string[];
	/** axe rule ids to switch off, each with a reason in the calling test. */
	disableRules?: string[];
}

/**
 * Runs axe-core (WCAG 2.0/2.1 A and AA rules) on the page as it is now and returns the violations
 * whose impact is `serious` or `critical`. Assert with
 * `expect(formatViolations(v), formatViolations(v)).toBe('')` or `expect(v).toEqual([])`.
 */
export async function seriousViolations(
	page: Page,
	opts: AxeOptions = {}
): Promise<AxeViolation[]> {
	let builder = new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']);
	for (const selector of opts.exclude ?? []) builder = builder.exclude(selector);
	if (opts.disableRules?.length) builder = builder.disableRules(opts.disableRules);
	const { violations } = await builder.analyze();
	return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Human-readable lines for violations: rule id, impact, help text and the offending selectors. */
export function formatViolations(violations: AxeViolation[]): string {
	return violations
		.map(
			(v) =>
				`${v.id} (${v.impact}): ${v.help}\n` +
				v.nodes.map((n) => `  ${n.target.join(' ')}`).join('\n')
		)
		.join('\n');
}
