import { describe, expect, it } from 'vitest';
import { describeDuration, describeWhen } from './format';

describe('format', () => {
	it('describes durations in minutes and hours', () => {
		expect(describeDuration(0)).toBe('less than a minute');
		expect(describeDuration(59_999)).toBe('less than a minute');
		expect(describeDuration(12 * 60_000)).toBe('12 min');
		expect(describeDuration(60 * 60_000)).toBe('1 h');
		expect(describeDuration(65 * 60_000)).toBe('1 h 5 min');
	});

	it('says today and yesterday by calendar day', () => {
		const now = new Date(2026, 10, 21, 10, 0).getTime();
		expect(describeWhen(new Date(2026, 10, 21, 0, 5).getTime(), now)).toMatch(/^Today, /);
		expect(describeWhen(new Date(2026, 10, 20, 23, 55).getTime(), now)).toMatch(/^Yesterday, /);
		expect(describeWhen(new Date(2026, 10, 1, 9, 0).getTime(), now)).not.toMatch(/Today|Yesterday/);
	});
});
