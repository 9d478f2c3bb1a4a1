import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_TOASTS, TOAST_MS, Toasts } from './toasts.svelte';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('Toasts', () => {
	it('go away by themselves', () => {
		const toasts = new Toasts();
		toasts.add('Bob joined');
		vi.advanceTimersByTime(TOAST_MS - 1);
		toasts.add('Bob raised their hand');
		expect(toasts.list.map((t) => t.text)).toEqual(['Bob joined', 'Bob raised their hand']);
		vi.advanceTimersByTime(1);
		expect(toasts.list.map((t) => t.text)).toEqual(['Bob raised their hand']);
		vi.advanceTimersByTime(TOAST_MS);
		expect(toasts.list).toEqual([]);
	});

	it(`keep only the newest ${MAX_TOASTS}`, () => {
		const toasts = new Toasts();
		for (const name of ['Ann', 'Ben', 'Cai', 'Dee', 'Eve']) toasts.add(`${name} joined`);
		expect(toasts.list.map((t) => t.text)).toEqual(['Cai joined', 'Dee joined', 'Eve joined']);
		toasts.dismiss(toasts.list[0]!.id);
		expect(toasts.list).toHaveLength(2);
		toasts.clear();
		expect(toasts.list).toEqual([]);
		expect(vi.getTimerCount()).toBe(0);
	});

	it('carry their action', () => {
		const toasts = new Toasts();
		const open = vi.fn();
		toasts.add('Bob: hello', open);
		toasts.list[0]!.action?.();
		expect(open).toHaveBeenCalledOnce();
		expect(new Toasts().list).toEqual([]);
	});
});
