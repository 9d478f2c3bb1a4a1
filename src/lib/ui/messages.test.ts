import { describe, expect, it } from 'vitest';
import { mediaProblemText, presentText } from './messages';

describe('presentText', () => {
	it('names who is in the call, shortly', () => {
		expect(presentText([])).toBe('');
		expect(presentText(['Alice'])).toBe('Alice is in this call');
		expect(presentText(['Alice', 'Bob'])).toBe('Alice and Bob are in this call');
		expect(presentText(['Alice', 'Bob', 'Cai'])).toBe('Alice, Bob and Cai are in this call');
		expect(presentText(['Alice', 'Bob', 'Cai', 'Dee', 'Eve'])).toBe(
			'Alice, Bob and 3 others are in this call'
		);
	});
});

describe('mediaProblemText', () => {
	it('names each blocked or missing device, camera first', () => {
		expect(
			mediaProblemText([
				{ device: 'microphone', kind: 'denied' },
				{ device: 'camera', kind: 'denied' }
			])
		).toMatch(/^Camera and microphone are blocked for this site\. To allow them, /);
		expect(mediaProblemText([{ device: 'microphone', kind: 'denied' }])).toMatch(
			/^Microphone is blocked for this site\. To allow it, /
		);
		const mixed = mediaProblemText([
			{ device: 'camera', kind: 'not-found' },
			{ device: 'microphone', kind: 'denied' }
		]);
		expect(mixed).toContain('No camera was found.');
		expect(mixed).toContain('Microphone is blocked for this site.');
	});
});
