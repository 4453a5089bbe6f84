import type { Raster } from './raster.js';

const COEF_BITS = 11;
const COEF_SCALE = 1 << COEF_BITS;

/**
 * cv2.resize(…, INTER_LINEAR) on 8-bit images: half-pixel centres, edge clamping, weights in
 * 11-bit fixed point and one rounding at the end, as OpenCV's scalar path computes it (its SIMD
 * path can differ by 1/255 on some pixels). An exact 2× shrink is a 2×2 box average, as OpenCV
 * switches to INTER_AREA there. Hand-written because PaddleOCR's pipeline resizes with cv2 and
 * sharp's resamplers (lanczos/antialiased) would shift every downstream number.
 */
export function resizeLinear(src: Raster, dw: number, dh: number): Raster {
  const { width: sw, height: sh, channels: c, data } = src;
  if (dw <= 0 || dh <= 0) throw new Error(`invalid resize target ${dw}×${dh}`);
  if (sw === dw && sh === dh) return { ...src, data: Uint8Array.from(data) };
  if (sw === dw * 2 && sh === dh * 2) return halve(src);
  const xo = new Int32Array(dw * 2);
  const xa = new Int32Array(dw * 2);
  axis(sw, dw, xo, xa);
  const yo = new Int32Array(dh * 2);
  const ya = new Int32Array(dh * 2);
  axis(sh, dh, yo, ya);
  const out = new Uint8Array(dw * dh * c);
  // Horizontal pass per source row on demand; consecutive output rows share source rows, so
  // two buffers (tagged with the row they hold) are enough.
  const bufs = [new Int32Array(dw * c), new Int32Array(dw * c)];
  const held = [-1, -1];
  const hrow = (y: number): Int32Array => {
    if (held[0] === y) return bufs[0]!;
    if (held[1] === y) return bufs[1]!;
    // Replace the buffer not holding the other row this output row needs.
    const slot = held[0]! < held[1]! ? 0 : 1;
    const r = bufs[slot]!;
    held[slot] = y;
    const base = y * sw * c;
    for (let x = 0, i = 0; x < dw; x++) {
      const x0 = base + xo[2 * x]! * c;
      const x1 = base + xo[2 * x + 1]! * c;
      const a0 = xa[2 * x]!;
      const a1 = xa[2 * x + 1]!;
      for (let k = 0; k < c; k++, i++) r[i] = data[x0 + k]! * a0 + data[x1 + k]! * a1;
    }
    return r;
  };
  const half = 2 ** (2 * COEF_BITS - 1);
  const inv = 2 ** -(2 * COEF_BITS);
  for (let y = 0; y < dh; y++) {
    const r0 = hrow(yo[2 * y]!);
    const r1 = hrow(yo[2 * y + 1]!);
    const b0 = ya[2 * y]!;
    const b1 = ya[2 * y + 1]!;
    const o = y * dw * c;
    for (let i = 0; i < dw * c; i++) {
      const v = Math.floor((r0[i]! * b0 + r1[i]! * b1 + half) * inv);
      out[o + i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return { data: out, width: dw, height: dh, channels: c };
}

/** Source indices and fixed-point weights for one axis, as OpenCV's resize computes them. */
function axis(ssize: number, dsize: number, ofs: Int32Array, alpha: Int32Array): void {
  const scale = ssize / dsize;
  for (let d = 0; d < dsize; d++) {
    let f = Math.fround((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f -= s;
    if (s < 0) {
      f = 0;
      s = 0;
    }
    if (s >= ssize - 1) {
      f = 0;
      s = ssize - 1;
    }
    ofs[2 * d] = s;
    ofs[2 * d + 1] = Math.min(s + 1, ssize - 1);
    alpha[2 * d] = Math.round((1 - f) * COEF_SCALE);
    alpha[2 * d + 1] = Math.round(f * COEF_SCALE);
  }
}

function halve(src: Raster): Raster {
  const { width: sw, channels: c, data } = src;
  const dw = sw / 2;
  const dh = src.height / 2;
  const out = new Uint8Array(dw * dh * c);
  for (let y = 0; y < dh; y++) {
    const r0 = 2 * y * sw * c;
    const r1 = r0 + sw * c;
    for (let x = 0; x < dw; x++) {
      for (let k = 0; k < c; k++) {
        const i = 2 * x * c + k;
        out[(y * dw + x) * c + k] = (data[r0 + i]! + data[r0 + i + c]! + data[r1 + i]! + data[r1 + i + c]! + 2) >> 2;
      }
    }
  }
  return { data: out, width: dw, height: dh, channels: c };
}
