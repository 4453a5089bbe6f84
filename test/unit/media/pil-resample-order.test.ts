import { describe, expect, it } from 'vitest';
import { resizeBicubicPil, verticalFirst } from '../../../src/media/image/pil-resample.js';
import { rng } from '../../helpers/rng.js';

// The pass order Pillow 13 picks (checked against Pillow itself by the ColPali/CLIP pixel parity tests,
// whose fixtures include tall shrinks); here: the rule's edges, and that a cropped window of a
// vertical-first resize equals the full resize cut afterwards.
describe('Pillow 13 pass order', () => {
  it('vertical first only when the height shrinks by more than twice the width', () => {
    expect(verticalFirst(224, 500, 64, 64)).toBe(true); // 2·160 < 436
    expect(verticalFirst(33, 77, 64, 64)).toBe(true); // width grows: 0 < 13
    expect(verticalFirst(480, 640, 64, 64)).toBe(false); // 2·416 ≥ 576
    expect(verticalFirst(300, 300, 183, 64)).toBe(true); // 234 < 236
    expect(verticalFirst(300, 300, 182, 64)).toBe(false); // 236 = 236
    expect(verticalFirst(40, 50, 80, 100)).toBe(false); // both grow
  });

  it('a window of a vertical-first resize equals the full resize, cropped', () => {
    const next = rng(7);
    const [w, h, ow, oh] = [90, 300, 70, 120];
    expect(verticalFirst(w, h, ow, oh)).toBe(true);
    const src = Uint8Array.from({ length: w * h * 3 }, () => Math.floor(next() * 256));
    const full = resizeBicubicPil(src, w, h, 3, { width: ow, height: oh, left: 0, top: 0, cropWidth: ow, cropHeight: oh });
    const win = { width: ow, height: oh, left: 11, top: 23, cropWidth: 40, cropHeight: 50 };
    const part = resizeBicubicPil(src, w, h, 3, win);
    for (let y = 0; y < win.cropHeight; y++) {
      const row = full.subarray(((y + win.top) * ow + win.left) * 3, ((y + win.top) * ow + win.left + win.cropWidth) * 3);
      expect(Array.from(part.subarray(y * win.cropWidth * 3, (y + 1) * win.cropWidth * 3))).toEqual(Array.from(row));
    }
  });
});
