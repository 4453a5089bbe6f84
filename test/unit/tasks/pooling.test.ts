import { describe, expect, it } from 'vitest';
import { normalizeRows, pool } from '../../../src/tasks/embed/pooling.js';
import { rng } from '../../helpers/rng.js';


const BATCH = 5;
const SEQ = 7;
const DIM = 6;

/**
 * Rows: right padding, left padding, no padding, a single token, padding in the
 * middle. Padding positions hold huge values, so any leak into a result shows.
 */
const MASK_ROWS = [
  [1, 1, 1, 1, 0, 0, 0],
  [0, 0, 1, 1, 1, 1, 1],
  [1, 1, 1, 1, 1, 1, 1],
  [1, 0, 0, 0, 0, 0, 0],
  [1, 1, 0, 1, 1, 0, 0],
];

function fixture(seed: number) {
  const random = rng(seed);
  const mask = MASK_ROWS.flat();
  const hidden = new Float32Array(BATCH * SEQ * DIM);
  for (let b = 0; b < BATCH; b++) {
    for (let t = 0; t < SEQ; t++) {
      for (let d = 0; d < DIM; d++) {
        hidden[(b * SEQ + t) * DIM + d] = mask[b * SEQ + t] ? random() * 4 - 2 : 1e6;
      }
    }
  }
  return { hidden, mask };
}

/** Straightforward reference: token vector at [b][t]. */
const vec = (hidden: Float32Array, b: number, t: number) => Array.from(hidden.subarray((b * SEQ + t) * DIM, (b * SEQ + t + 1) * DIM));

function referenceMean(hidden: Float32Array, mask: number[]): number[][] {
  return MASK_ROWS.map((_, b) => {
    const kept = [...Array(SEQ).keys()].filter((t) => mask[b * SEQ + t] === 1);
    return [...Array(DIM).keys()].map((d) => kept.reduce((sum, t) => sum + vec(hidden, b, t)[d]!, 0) / kept.length);
  });
}

function rows(data: Float32Array, dim = DIM): number[][] {
  return Array.from({ length: data.length / dim }, (_, i) => Array.from(data.subarray(i * dim, (i + 1) * dim)));
}

function expectClose(actual: number[][], expected: number[][], digits = 5) {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((row, i) => {
    expect(row).toHaveLength(expected[i]!.length);
    row.forEach((v, d) => expect(v).toBeCloseTo(expected[i]![d]!, digits));
  });
}

describe('pool', () => {
  it('mean pooling averages only the unmasked positions', () => {
    for (const seed of [1, 2, 3]) {
      const { hidden, mask } = fixture(seed);
      const out = pool(hidden, mask, BATCH, SEQ, DIM, 'mean');
      expect(out).toBeInstanceOf(Float32Array);
      expect(out).toHaveLength(BATCH * DIM);
      expectClose(rows(out), referenceMean(hidden, mask));
      for (const v of out) expect(Math.abs(v)).toBeLessThanOrEqual(2);
    }
  });

  it('accepts an int64 (BigInt64Array) attention mask, as ONNX models produce', () => {
    const { hidden, mask } = fixture(4);
    const bigMask = BigInt64Array.from(mask.map((m) => BigInt(m)));
    expectClose(rows(pool(hidden, bigMask, BATCH, SEQ, DIM, 'mean')), referenceMean(hidden, mask));
  });

  it('mean pooling of a fully masked row gives zeros, not NaN', () => {
    const hidden = new Float32Array(SEQ * DIM).fill(3);
    const out = pool(hidden, new Array(SEQ).fill(0), 1, SEQ, DIM, 'mean');
    expect(Array.from(out)).toEqual(new Array(DIM).fill(0));
  });

  it('cls takes position 0 of each row', () => {
    const { hidden, mask } = fixture(5);
    const out = pool(hidden, mask, BATCH, SEQ, DIM, 'cls');
    expect(rows(out)).toEqual(MASK_ROWS.map((_, b) => vec(hidden, b, 0)));
  });

  it('last takes the last unmasked position of each row', () => {
    const { hidden, mask } = fixture(6);
    const out = pool(hidden, mask, BATCH, SEQ, DIM, 'last');
    const lastIndex = MASK_ROWS.map((row) => row.lastIndexOf(1));
    expect(lastIndex).toEqual([3, 6, 6, 0, 4]);
    expect(rows(out)).toEqual(lastIndex.map((t, b) => vec(hidden, b, t)));
  });

  it('does not modify its input', () => {
    const { hidden, mask } = fixture(7);
    const copy = hidden.slice();
    for (const mode of ['mean', 'cls', 'last'] as const) pool(hidden, mask, BATCH, SEQ, DIM, mode);
    expect(hidden).toEqual(copy);
  });
});

describe('normalizeRows', () => {
  it('scales every row to unit length, keeping its direction', () => {
    const random = rng(11);
    const data = Float32Array.from({ length: 8 * DIM }, () => random() * 10 - 5);
    const original = rows(data.slice());
    const out = normalizeRows(data, DIM);
    expect(out).toBe(data); // in place
    rows(out).forEach((row, i) => {
      const norm = Math.hypot(...original[i]!);
      expect(Math.hypot(...row)).toBeCloseTo(1, 5);
      row.forEach((v, d) => expect(v).toBeCloseTo(original[i]![d]! / norm, 5));
    });
  });

  it('keeps zero rows zero and leaves the other rows intact', () => {
    const data = Float32Array.from([0, 0, 0, 3, 4, 0, 0, 0, 0]);
    normalizeRows(data, 3);
    expect(Array.from(data.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(data[3]).toBeCloseTo(0.6, 6);
    expect(data[4]).toBeCloseTo(0.8, 6);
    expect(Array.from(data.subarray(6))).toEqual([0, 0, 0]);
    for (const v of data) expect(Number.isFinite(v)).toBe(true);
  });

  it('normalises tiny but non-zero rows too', () => {
    const data = Float32Array.from([1e-20, 0]);
    normalizeRows(data, 2);
    expect(data[0]).toBeGreaterThan(0);
    expect(Number.isFinite(data[0]!)).toBe(true);
  });
});
