import { normalizeChw } from './det.js';
import type { Raster } from './geometry/raster.js';
import { resizeLinear } from './geometry/resize.js';

export const REC_DEFAULTS = { height: 48, width: 320, batch: 6, textScore: 0.5 } as const;
export const CLS_DEFAULTS = { height: 48, width: 192, batch: 6, thresh: 0.9 } as const;

/**
 * One text-line image at the model's height, width by aspect ratio (ceil) up to `maxWidth`,
 * normalised to [-1, 1] and zero-padded on the right to `maxWidth`: PaddleOCR's resize_norm_img.
 */
export function lineTensor(img: Raster, height: number, maxWidth: number): Float32Array {
  const ratio = img.width / img.height;
  const w = Math.ceil(height * ratio) > maxWidth ? maxWidth : Math.ceil(height * ratio);
  return normalizeChw(resizeLinear(img, Math.max(w, 1), height), false, maxWidth);
}

/** Indices in order of ascending aspect ratio (stable), so a batch pads little. */
export function byAspect(images: readonly Raster[]): number[] {
  return images.map((img, i) => ({ i, r: img.width / img.height })).sort((a, b) => a.r - b.r).map((e) => e.i);
}

/** The batch width for recognition: the widest aspect in the batch, at least 320/48 (TextRecognizer). */
export function recBatchWidth(images: readonly Raster[]): number {
  let maxRatio = REC_DEFAULTS.width / REC_DEFAULTS.height;
  for (const img of images) maxRatio = Math.max(maxRatio, img.width / img.height);
  return Math.trunc(REC_DEFAULTS.height * maxRatio);
}

/** Stacks line tensors into one NCHW batch. */
export function stack(tensors: readonly Float32Array[]): Float32Array {
  const size = tensors[0]?.length ?? 0;
  const out = new Float32Array(size * tensors.length);
  tensors.forEach((t, i) => out.set(t, i * size));
  return out;
}

/**
 * The recogniser's alphabet: CTC blank at 0, the dictionary's lines, then a space
 * (PaddleOCR's use_space_char), as RapidOCR's CTCLabelDecode builds it.
 */
export function alphabet(keysFile: string): string[] {
  const lines = keysFile.split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines.at(-1) === '') lines.pop();
  return ['blank', ...lines, ' '];
}

/**
 * Greedy CTC: arg-max per time step, repeats collapsed, blanks dropped; confidence is the mean
 * of the kept steps' probabilities (0 when nothing is kept).
 */
export function ctcDecode(probs: Float32Array, batch: number, steps: number, classes: number, chars: readonly string[]): Array<{ text: string; score: number }> {
  const out: Array<{ text: string; score: number }> = [];
  for (let b = 0; b < batch; b++) {
    let text = '';
    let sum = 0;
    let kept = 0;
    let prev = -1;
    for (let t = 0; t < steps; t++) {
      const base = (b * steps + t) * classes;
      let best = 0;
      let bestP = probs[base]!;
      for (let k = 1; k < classes; k++) {
        const p = probs[base + k]!;
        if (p > bestP) {
          bestP = p;
          best = k;
        }
      }
      if (best !== 0 && best !== prev) {
        text += chars[best] ?? '';
        sum += bestP;
        kept++;
      }
      prev = best;
    }
    out.push({ text, score: kept ? sum / kept : 0 });
  }
  return out;
}

/** ClsPostProcess + the 180° decision: true when the line is upside down with confidence above thresh. */
export function clsUpsideDown(probs: Float32Array, batch: number, thresh: number): boolean[] {
  const out: boolean[] = [];
  for (let b = 0; b < batch; b++) {
    const p0 = probs[b * 2]!;
    const p1 = probs[b * 2 + 1]!;
    out.push(p1 > p0 && p1 > thresh);
  }
  return out;
}
