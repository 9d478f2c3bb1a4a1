import { describe, expect, it } from 'vitest';
import { presentText } from './messages';

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
