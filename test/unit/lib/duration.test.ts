import { describe, expect, it } from 'vitest';
import { parseDurationMs } from '../../../src/lib/duration.js';

describe('parseDurationMs (Ollama keep_alive semantics)', () => {
  it.each<[number | string, number]>([
    // numbers are seconds
    [0, 0],
    [300, 300_000],
    [1.5, 1500],
    [-1, -1000],
    // bare numeric strings are seconds too
    ['0', 0],
    ['3600', 3_600_000],
    ['-1', -1000],
    ['2.5', 2500],
    [' 30 ', 30_000],
    // Go durations
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['1h30m15s', 5_415_000],
    ['500ms', 500],
    ['1.5h', 5_400_000],
    ['-1m', -60_000],
    ['+5s', 5000],
    ['0s', 0],
    ['2h0m0s', 7_200_000],
    ['1500us', 2],
    ['1500µs', 2],
    ['3000000ns', 3],
  ])('%j → %d ms', (input, expected) => {
    expect(parseDurationMs(input)).toBe(expected);
  });

  it('keeps negative values negative (meaning "forever")', () => {
    for (const value of [-1, '-1', '-1m', '-24h']) expect(parseDurationMs(value)).toBeLessThan(0);
  });

  it.each<[number | string]>([
    ['abc'],
    ['10x'],
    [''],
    ['   '],
    ['1h-30m'],
    ['10M'],
    ['m'],
    ['h1'],
    ['1e3'],
    ['1,5s'],
    ['--1m'],
    ['10 m'],
    ['Infinity'],
    ['NaN'],
    ['0x10'],
    [NaN],
    [Infinity],
    [-Infinity],
  ])('rejects %j', (input) => {
    expect(() => parseDurationMs(input)).toThrow();
  });

  it('cuts a long bad value short in the error message', () => {
    expect(() => parseDurationMs('x'.repeat(1000))).toThrow(/^invalid duration "x{1,40}"$/);
  });
});
