import { describe, expect, it } from 'vitest';
import { parseBytes } from '../../../src/lib/bytes.js';

describe('parseBytes', () => {
  it.each<[string | number, number]>([
    [100, 100],
    [0, 0],
    ['100', 100],
    ['100b', 100],
    ['512MB', 512_000_000],
    ['512mb', 512_000_000],
    ['1kb', 1000],
    ['2GB', 2_000_000_000],
    ['1TB', 1e12],
    ['4GiB', 4 * 1024 ** 3],
    ['4gib', 4 * 1024 ** 3],
    ['1KiB', 1024],
    ['3MiB', 3 * 1024 ** 2],
    ['1TiB', 1024 ** 4],
    ['1g', 1024 ** 3],
    ['1G', 1024 ** 3],
    ['2k', 2048],
    ['5m', 5 * 1024 ** 2],
    ['1.5GiB', 1.5 * 1024 ** 3],
    ['0.5kb', 500],
    [' 16 MiB ', 16 * 1024 ** 2],
  ])('%j → %d', (input, expected) => {
    expect(parseBytes(input)).toBe(expected);
  });

  it('rounds fractional bytes to an integer', () => {
    expect(parseBytes('1.5')).toBe(2);
    expect(Number.isInteger(parseBytes('0.3KiB'))).toBe(true);
  });

  it.each([['abc'], [''], ['  '], ['-5'], ['-1GB'], ['5XB'], ['1.2.3'], ['GB'], ['1e9'], ['1 0MB'], ['12 mega'], ['0x10'], ['1,000']])(
    'rejects %j',
    (input) => {
      expect(() => parseBytes(input)).toThrow(/invalid byte size/);
    },
  );
});
