/**
 * Pillow's bicubic and bilinear resize (libImaging/Resample.c), bit for bit, because transformers'
 * image processors resize with PIL and a different kernel moves the pixels (libvips' cubic/mitchell do not match).
 * Separable: one pass per axis, rounded to 8 bits in between (which goes first: verticalFirst). Each output pixel is a
 * fixed-point (22 fractional bits) weighted sum of the input pixels under the filter, whose
 * support is widened by the scale factor when downscaling (that widening is the antialiasing).
 */

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);
const MAX = 2 ** (PRECISION_BITS + 8);
/** Pillow's filters: a kernel and its support (in input pixels, before widening for downscaling). */
export interface PilFilter {
  support: number;
  kernel(x: number): number;
}

// Keys' cubic with a = -0.5, as Pillow's bicubic_filter.
function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

// Pillow's bilinear_filter (a triangle).
function triangle(x: number): number {
  if (x < 0) x = -x;
  return x < 1 ? 1 - x : 0;
}

export const PIL_FILTERS = { bicubic: { support: 2, kernel: bicubic }, bilinear: { support: 1, kernel: triangle } } as const satisfies Record<string, PilFilter>;
export type PilResample = keyof typeof PIL_FILTERS;

interface Coeffs {
  /** Per output pixel: first input index and how many inputs it reads. */
  first: Int32Array;
  count: Int32Array;
  ksize: number;
  /** Fixed-point weights, ksize per output pixel. */
  weights: Int32Array;
}

/** precompute_coeffs + normalize_coeffs_8bpc, for output pixels [from, from + n) of an inSize → outSize resize. */
function coefficients(inSize: number, outSize: number, from: number, n: number, filter: PilFilter): Coeffs {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  // Pillow multiplies by the reciprocal; dividing differs in the last bit, which flips rounded weights.
  const ss = 1 / filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(n);
  const count = new Int32Array(n);
  const weights = new Int32Array(n * ksize);
  const k = new Float64Array(ksize);
  for (let i = 0; i < n; i++) {
    const center = (from + i + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      k[x] = filter.kernel((x + xmin - center + 0.5) * ss);
      sum += k[x]!;
    }
    for (let x = 0; x < xmax; x++) {
      const w = sum !== 0 ? k[x]! / sum : k[x]!;
      // C's (int) cast truncates toward zero; Pillow rounds half away from zero before it.
      weights[i * ksize + x] = Math.trunc(w < 0 ? -0.5 + w * ONE : 0.5 + w * ONE);
    }
    first[i] = xmin;
    count[i] = xmax;
  }
  return { first, count, ksize, weights };
}

function clip8(acc: number): number {
  if (acc >= MAX) return 255;
  if (acc <= 0) return 0;
  return acc >> PRECISION_BITS;
}

export interface ResampleWindow {
  /** Full resized size. */
  width: number;
  height: number;
  /** The part of the resized image to produce (e.g. a centre crop); the pixels are those of the full resize. */
  left: number;
  top: number;
  cropWidth: number;
  cropHeight: number;
}

/**
 * Pillow's `Image.resize(size, Image.BICUBIC)` of 8-bit interleaved pixels, cut to `window`.
 * Only the window is computed; its pixels equal those of resizing the whole image and then cropping.
 */
export function resizeBicubicPil(src: Uint8Array, width: number, height: number, channels: number, window: ResampleWindow): Uint8Array {
  return resizePil(src, width, height, channels, window, 'bicubic');
}

/**
 * Whether Pillow runs the vertical pass first. Pillow ≤ 12 always went horizontal first; Pillow 13 (what the
 * reference processors run here, pinned in test/python/requirements.txt) goes vertical first when the
 * height shrinks by more than twice what the width does. Found from Pillow 13's output (on 1,493 random size
 * pairs exactly one order reproduces its bytes, and this rule picks it every time), then checked against
 * Pillow 13.0.0's Resample.c.
 */
export function verticalFirst(width: number, height: number, outWidth: number, outHeight: number): boolean {
  return 2 * Math.max(width - outWidth, 0) < Math.max(height - outHeight, 0);
}

/** Pillow's `Image.resize(size, resample)` for BICUBIC or BILINEAR, cut to `window` as resizeBicubicPil. */
export function resizePil(src: Uint8Array, width: number, height: number, channels: number, window: ResampleWindow, resample: PilResample): Uint8Array {
  const filter = PIL_FILTERS[resample];
  const { left, top, cropWidth: outW, cropHeight: outH } = window;
  // Pillow skips a pass whose size does not change (the kernel is the identity there anyway).
  const needH = window.width !== width;
  const needV = window.height !== height;
  if (needH && needV && verticalFirst(width, height, window.width, window.height)) return resizeVerticalFirst(src, width, height, channels, window, filter);

  const v = needV ? coefficients(height, window.height, top, outH, filter) : null;
  // Input rows the vertical pass reads.
  const rowFrom = v ? v.first[0]! : top;
  const rowTo = v ? v.first[outH - 1]! + v.count[outH - 1]! : top + outH;

  let mid: Uint8Array;
  let midStride: number;
  if (needH) {
    const h = coefficients(width, window.width, left, outW, filter);
    midStride = outW * channels;
    mid = new Uint8Array((rowTo - rowFrom) * midStride);
    for (let y = rowFrom; y < rowTo; y++) {
      const inRow = y * width * channels;
      const outRow = (y - rowFrom) * midStride;
      for (let x = 0; x < outW; x++) {
        const xmin = h.first[x]!;
        const n = h.count[x]!;
        const kOff = x * h.ksize;
        if (channels === 3) {
          // All three channels in one walk over the taps: contiguous reads, int32 sums as Pillow's.
          let a0 = HALF;
          let a1 = HALF;
          let a2 = HALF;
          let p = inRow + xmin * 3;
          for (let i = 0; i < n; i++, p += 3) {
            const w = h.weights[kOff + i]!;
            a0 = (a0 + Math.imul(src[p]!, w)) | 0;
            a1 = (a1 + Math.imul(src[p + 1]!, w)) | 0;
            a2 = (a2 + Math.imul(src[p + 2]!, w)) | 0;
          }
          const o = outRow + x * 3;
          mid[o] = clip8(a0);
          mid[o + 1] = clip8(a1);
          mid[o + 2] = clip8(a2);
          continue;
        }
        for (let c = 0; c < channels; c++) {
          let acc = HALF;
          for (let i = 0; i < n; i++) acc = (acc + Math.imul(src[inRow + (xmin + i) * channels + c]!, h.weights[kOff + i]!)) | 0;
          mid[outRow + x * channels + c] = clip8(acc);
        }
      }
    }
  } else {
    // Columns untouched: keep the window's columns of the needed rows.
    midStride = outW * channels;
    mid = new Uint8Array((rowTo - rowFrom) * midStride);
    for (let y = rowFrom; y < rowTo; y++) {
      const start = (y * width + left) * channels;
      mid.set(src.subarray(start, start + midStride), (y - rowFrom) * midStride);
    }
  }

  if (!v) return mid;
  const out = new Uint8Array(outH * midStride);
  const acc = new Int32Array(midStride);
  for (let y = 0; y < outH; y++) {
    const ymin = v.first[y]! - rowFrom;
    const n = v.count[y]!;
    const kOff = y * v.ksize;
    // Row-major accumulation: each tap adds one whole input row, so reads stay sequential.
    acc.fill(HALF);
    for (let i = 0; i < n; i++) {
      const w = v.weights[kOff + i]!;
      const rowStart = (ymin + i) * midStride;
      for (let xc = 0; xc < midStride; xc++) acc[xc] = (acc[xc]! + Math.imul(mid[rowStart + xc]!, w)) | 0;
    }
    const outStart = y * midStride;
    for (let xc = 0; xc < midStride; xc++) out[outStart + xc] = clip8(acc[xc]!);
  }
  return out;
}

/** Both passes, the vertical one first (on the columns the horizontal one reads), as Pillow 13 does for tall shrinks. */
function resizeVerticalFirst(src: Uint8Array, width: number, height: number, channels: number, window: ResampleWindow, filter: PilFilter): Uint8Array {
  const { left, top, cropWidth: outW, cropHeight: outH } = window;
  const v = coefficients(height, window.height, top, outH, filter);
  const h = coefficients(width, window.width, left, outW, filter);
  const colFrom = h.first[0]!;
  const colTo = h.first[outW - 1]! + h.count[outW - 1]!;
  const midStride = (colTo - colFrom) * channels;
  const mid = new Uint8Array(outH * midStride);
  for (let y = 0; y < outH; y++) {
    const ymin = v.first[y]!;
    const n = v.count[y]!;
    const kOff = y * v.ksize;
    for (let xc = 0; xc < midStride; xc++) {
      const col = colFrom * channels + xc;
      let acc = HALF;
      for (let i = 0; i < n; i++) acc += src[(ymin + i) * width * channels + col]! * v.weights[kOff + i]!;
      mid[y * midStride + xc] = clip8(acc);
    }
  }
  const outStride = outW * channels;
  const out = new Uint8Array(outH * outStride);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const xmin = h.first[x]! - colFrom;
      const n = h.count[x]!;
      const kOff = x * h.ksize;
      for (let c = 0; c < channels; c++) {
        let acc = HALF;
        for (let i = 0; i < n; i++) acc += mid[y * midStride + (xmin + i) * channels + c]! * h.weights[kOff + i]!;
        out[y * outStride + x * channels + c] = clip8(acc);
      }
    }
  }
  return out;
}
