import { borderPointSets } from './geometry/components.js';
import { type Point, type Quad, miniBox } from './geometry/min-area-rect.js';
import { type Raster, roundHalfEven } from './geometry/raster.js';
import { resizeLinear } from './geometry/resize.js';
import { unclip } from './geometry/unclip.js';

/** RapidOCR 1.4.4's detector settings (its config.yaml), which PaddleOCR's PP-OCRv4 defaults match. */
export const DET_DEFAULTS = { limitSideLen: 736, thresh: 0.3, boxThresh: 0.5, maxCandidates: 1000, unclipRatio: 1.6, minSize: 3 } as const;

/** The detector's input: NCHW float32, each side a multiple of 32; null when the image is too small to scale. */
export function detInput(img: Raster, limitSideLen: number = DET_DEFAULTS.limitSideLen): { tensor: Float32Array; width: number; height: number } | null {
  const { width: w, height: h } = img;
  // limit_type "min": the shorter side is brought up to limitSideLen; larger images stay as they are.
  const ratio = Math.min(h, w) < limitSideLen ? limitSideLen / (h < w ? h : w) : 1;
  const rh = roundHalfEven(Math.trunc(h * ratio) / 32) * 32;
  const rw = roundHalfEven(Math.trunc(w * ratio) / 32) * 32;
  if (rw <= 0 || rh <= 0) return null;
  const resized = resizeLinear(img, rw, rh);
  return { tensor: normalizeChw(resized, true), width: rw, height: rh };
}

const SCALE = Math.fround(1 / 255);
// Every uint8 value's normalised float, computed once per style with numpy's exact arithmetic.
const DET_LUT = Float32Array.from({ length: 256 }, (_, v) => (Math.fround(v * SCALE) - 0.5) / 0.5);
const REC_LUT = Float32Array.from({ length: 256 }, (_, v) => Math.fround(Math.fround(Math.fround(v / 255) - 0.5) / 0.5));

/**
 * HWC uint8 → CHW float32, (x/255 − 0.5)/0.5. The detector's arithmetic is numpy's: x·f32(1/255)
 * in float32, then the mean/std step in float64; rec and cls divide by 255 in float32.
 */
export function normalizeChw(img: Raster, detStyle: boolean, padWidth = img.width): Float32Array {
  const { width: w, height: h, channels: c, data } = img;
  const lut = detStyle ? DET_LUT : REC_LUT;
  const out = new Float32Array(c * h * padWidth);
  const plane = h * padWidth;
  for (let k = 0; k < c; k++) {
    const base = k * plane;
    for (let y = 0; y < h; y++) {
      const o = base + y * padWidth;
      let p = y * w * c + k;
      for (let x = 0; x < w; x++, p += c) out[o + x] = lut[data[p]!]!;
    }
  }
  return out;
}

export interface DbOptions {
  thresh: number;
  boxThresh: number;
  unclipRatio: number;
  maxCandidates: number;
}

/**
 * DBPostProcess (score_mode "fast", 2×2 dilation): binarise the probability map, take each
 * region's min-area box, drop weak ones by mean probability inside, unclip, re-box and scale to
 * the source image. Boxes are integer quads, top-left first, as RapidOCR returns them.
 */
export function dbBoxes(pred: Float32Array, width: number, height: number, destWidth: number, destHeight: number, options: DbOptions = DET_DEFAULTS): Quad[] {
  const mask = new Uint8Array(width * height);
  for (let i = 0; i < mask.length; i++) mask[i] = pred[i]! > options.thresh ? 1 : 0;
  const dilated = dilate2x2(mask, width, height);
  const sets = borderPointSets(dilated, width, height).slice(0, options.maxCandidates);
  const boxes: Quad[] = [];
  for (const points of sets) {
    const first = miniBox(points);
    if (first.shortSide < DET_DEFAULTS.minSize) continue;
    const score = boxScoreFast(pred, width, height, first.box);
    if (options.boxThresh > score) continue;
    const grown = unclip(first.box, options.unclipRatio);
    if (grown.length === 0) continue;
    const second = miniBox(grown);
    if (second.shortSide < DET_DEFAULTS.minSize + 2) continue;
    const scale = (v: number, from: number, to: number) => Math.min(Math.max(roundHalfEven(Math.fround(Math.fround(v / from) * to)), 0), to);
    boxes.push(second.box.map(([x, y]) => [scale(x, width, destWidth), scale(y, height, destHeight)]) as Quad);
  }
  return boxes;
}

/** cv2.dilate with a 2×2 kernel (anchor at its centre): a pixel is set when it or its up/left neighbours are. */
export function dilate2x2(mask: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      out[i] = mask[i]! | (x > 0 ? mask[i - 1]! : 0) | (y > 0 ? mask[i - width]! : 0) | (x > 0 && y > 0 ? mask[i - width - 1]! : 0);
    }
  }
  return out;
}

/** Mean of the map inside the (integer-truncated) quad, edges included, as cv2.fillPoly + cv2.mean compute it. */
export function boxScoreFast(pred: Float32Array, width: number, height: number, box: readonly Point[]): number {
  const clamp = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  const xs = box.map((p) => p[0]);
  const ys = box.map((p) => p[1]);
  const xmin = clamp(Math.floor(Math.min(...xs)), width - 1);
  const xmax = clamp(Math.ceil(Math.max(...xs)), width - 1);
  const ymin = clamp(Math.floor(Math.min(...ys)), height - 1);
  const ymax = clamp(Math.ceil(Math.max(...ys)), height - 1);
  const poly = box.map(([x, y]) => [Math.trunc(x - xmin), Math.trunc(y - ymin)] as Point);
  let sum = 0;
  let n = 0;
  for (let y = 0; y <= ymax - ymin; y++) {
    const span = scanSpan(poly, y);
    if (!span) continue;
    const x0 = Math.max(span[0], 0);
    const x1 = Math.min(span[1], xmax - xmin);
    for (let x = x0; x <= x1; x++) {
      sum += pred[(y + ymin) * width + x + xmin]!;
      n++;
    }
  }
  return n === 0 ? 0 : sum / n;
}

/** The covered x range of a convex polygon on row y (edges included), or null. */
function scanSpan(poly: readonly Point[], y: number): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < poly.length; i++) {
    const a = poly[i]!;
    const b = poly[(i + 1) % poly.length]!;
    const [y0, y1] = a[1] <= b[1] ? [a[1], b[1]] : [b[1], a[1]];
    if (y < y0 || y > y1) continue;
    if (a[1] === b[1]) {
      lo = Math.min(lo, a[0], b[0]);
      hi = Math.max(hi, a[0], b[0]);
      continue;
    }
    const x = a[0] + ((y - a[1]) * (b[0] - a[0])) / (b[1] - a[1]);
    lo = Math.min(lo, x);
    hi = Math.max(hi, x);
  }
  return lo > hi ? null : [Math.round(lo), Math.round(hi)];
}

/** TextDetector.filter_tag_det_res: clockwise order from the top-left, clipped to the image, slivers (≤ 3 px) dropped. */
export function filterBoxes(boxes: readonly Quad[], width: number, height: number): Quad[] {
  const out: Quad[] = [];
  for (const box of boxes) {
    const byX = [...box].sort((a, b) => a[0] - b[0]);
    const [tl, bl] = [byX[0]!, byX[1]!].sort((a, b) => a[1] - b[1]) as [Point, Point];
    const [tr, br] = [byX[2]!, byX[3]!].sort((a, b) => a[1] - b[1]) as [Point, Point];
    const clip = ([x, y]: Point): Point => [Math.trunc(Math.min(Math.max(x, 0), width - 1)), Math.trunc(Math.min(Math.max(y, 0), height - 1))];
    const q = [tl, tr, br, bl].map(clip) as Quad;
    const w = Math.trunc(Math.hypot(q[0][0] - q[1][0], q[0][1] - q[1][1]));
    const h = Math.trunc(Math.hypot(q[0][0] - q[3][0], q[0][1] - q[3][1]));
    if (w <= 3 || h <= 3) continue;
    out.push(q);
  }
  return out;
}

/** RapidOCR.sorted_boxes: by top-left y then x, then neighbours less than 10 px apart in y swapped into x order. */
export function sortBoxes(boxes: readonly Quad[]): Quad[] {
  const b = [...boxes].sort((p, q) => p[0][1] - q[0][1] || p[0][0] - q[0][0]);
  for (let i = 0; i < b.length - 1; i++) {
    for (let j = i; j >= 0; j--) {
      if (Math.abs(b[j + 1]![0][1] - b[j]![0][1]) < 10 && b[j + 1]![0][0] < b[j]![0][0]) {
        [b[j], b[j + 1]] = [b[j + 1]!, b[j]!];
      } else break;
    }
  }
  return b;
}
