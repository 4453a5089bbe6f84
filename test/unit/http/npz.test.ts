import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { responseFormat } from '../../../src/http/colpali.js';
import { npyBytes, npzBytes } from '../../../src/http/npz.js';

const header = (b: Uint8Array) => Buffer.from(b.subarray(10, 10 + (b[8]! | (b[9]! << 8)))).toString('latin1');

describe('npy / npz writer', () => {
  it('float32 matrix: magic, version 1.0, header padded to 64 bytes with a trailing newline, little-endian data', () => {
    const data = Float32Array.from([1, -2.5, 3.25, 0, 1e-8, -0]);
    const b = npyBytes({ dtype: '<f4', shape: [2, 3], data });
    expect([...b.subarray(0, 8)]).toEqual([0x93, ...Buffer.from('NUMPY'), 1, 0]);
    const h = header(b);
    expect((10 + h.length) % 64).toBe(0);
    expect(h.endsWith('\n')).toBe(true);
    expect(h.trimEnd()).toBe("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
    const body = b.subarray(10 + h.length);
    expect(Array.from(new Float32Array(body.slice().buffer))).toEqual(Array.from(data));
  });

  it('0-d int64 and unicode scalars; 1-d shapes get the trailing comma; "text" is NUL-padded to <U5', () => {
    expect(header(npyBytes({ dtype: '<i8', shape: [], data: BigInt64Array.of(7n) }))).toContain("'shape': ()");
    expect(header(npyBytes({ dtype: '<f4', shape: [4], data: new Float32Array(4) }))).toContain("'shape': (4,)");
    const u = npyBytes({ dtype: '<U5', shape: [], data: 'text' });
    const body = u.subarray(10 + header(u).length);
    expect(body.byteLength).toBe(20);
    expect([...body]).toEqual([...Buffer.from('t\0\0\0e\0\0\0x\0\0\0t\0\0\0'), 0, 0, 0, 0]);
    expect(() => npyBytes({ dtype: '<U5', shape: [], data: 'images' })).toThrow(/does not fit/);
  });

  it('npz: a zip of name.npy entries, stored (not deflated), in order', () => {
    const zip = npzBytes([
      ['count', { dtype: '<i8', shape: [], data: BigInt64Array.of(1n) }],
      ['emb_0', { dtype: '<f4', shape: [1, 2], data: Float32Array.of(0.5, 0.25) }],
    ]);
    // Local file header, compression method 0 (stored).
    expect(Buffer.from(zip.subarray(0, 4)).readUInt32LE()).toBe(0x04034b50);
    expect(Buffer.from(zip.subarray(8, 10)).readUInt16LE()).toBe(0);
    const files = unzipSync(zip);
    expect(Object.keys(files)).toEqual(['count.npy', 'emb_0.npy']);
    expect(Buffer.from(files['count.npy']!.subarray(-8)).readBigInt64LE()).toBe(1n);
  });
});

describe('ColPali response format from Accept', () => {
  it.each([
    [undefined, 'json', 'json'],
    [undefined, 'npz', 'npz'],
    ['*/*', 'npz', 'npz'],
    ['application/x-npz', 'json', 'npz'],
    ['application/octet-stream', 'json', 'npz'],
    ['application/json', 'npz', 'json'],
    ['application/json;q=0.5, application/x-npz', 'json', 'npz'],
    ['application/x-npz;q=0, application/json', 'npz', 'json'],
    ['text/html, */*;q=0.8', 'json', 'json'],
  ] as const)('Accept %s with default %s → %s', (accept, fallback, expected) => {
    expect(responseFormat(accept, fallback)).toBe(expected);
  });
});
