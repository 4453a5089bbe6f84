import { DET_DEFAULTS, type DbOptions, dbBoxes, detInput, filterBoxes, sortBoxes } from './det.js';
import type { Point, Quad } from './geometry/min-area-rect.js';
import { type Raster, padVertical, rotate180, roundHalfEven } from './geometry/raster.js';
import { resizeLinear } from './geometry/resize.js';
import { cropQuad } from './geometry/warp.js';
import { CLS_DEFAULTS, REC_DEFAULTS, byAspect, clsUpsideDown, ctcDecode, lineTensor, recBatchWidth, stack } from './recognize.js';

/** The three PP-OCR graphs, however they are run (a worker's onnxruntime sessions, or a fake in tests). */
export interface OcrModels {
  /** NCHW [1,3,h,w] → probability map [h·w]. */
  det(input: Float32Array, height: number, width: number): Promise<Float32Array>;
  /** [n,3,48,192] → [n,2] (0°, 180°). */
  cls(input: Float32Array, n: number): Promise<Float32Array>;
  /** [n,3,48,w] → [n,steps,classes] probabilities. */
  rec(input: Float32Array, n: number, width: number): Promise<{ data: Float32Array; steps: number; classes: number }>;
  /** CTC alphabet, blank first. */
  chars: readonly string[];
}

export interface OcrOptions {
  /** Images with a longer side are first scaled down to it (RapidOCR max_side_len). */
  maxSideLen: number;
  minSideLen: number;
  useCls: boolean;
  det: DbOptions;
  textScore: number;
}

export const OCR_DEFAULTS: OcrOptions = {
  maxSideLen: 2000,
  minSideLen: 30,
  useCls: true,
  det: { thresh: DET_DEFAULTS.thresh, boxThresh: DET_DEFAULTS.boxThresh, unclipRatio: DET_DEFAULTS.unclipRatio, maxCandidates: DET_DEFAULTS.maxCandidates },
  textScore: REC_DEFAULTS.textScore,
};

export interface OcrBlock {
  text: string;
  confidence: number;
  /** tl, tr, br, bl in source-image pixels. */
  box: Quad;
}

export interface OcrTimings {
  detMs: number;
  clsMs: number;
  recMs: number;
}

/**
 * RapidOCR 1.4.4's pipeline on one BGR image: fit the size (max/min side, multiple of 32),
 * letterbox very flat images, detect, crop each box upright, flip upside-down lines, recognise
 * in aspect-sorted batches, drop low-confidence lines, map boxes back to the source pixels.
 * Blocks come in RapidOCR's reading order (top-to-bottom, then left-to-right within 10 px).
 */
export async function runOcr(source: Raster, models: OcrModels, options: OcrOptions = OCR_DEFAULTS): Promise<{ blocks: OcrBlock[]; timings: OcrTimings }> {
  const timings: OcrTimings = { detMs: 0, clsMs: 0, recMs: 0 };
  const fitted = fitSize(source, options);
  if (!fitted) return { blocks: [], timings };
  const { img, ratioW, ratioH } = fitted;
  const { img: boxed, top } = letterbox(img);
  let t = performance.now();
  const boxes = await detect(boxed, models, options.det);
  timings.detMs = performance.now() - t;
  if (boxes.length === 0) return { blocks: [], timings };
  let crops = boxes.map((q) => cropQuad(boxed, q));
  if (options.useCls) {
    t = performance.now();
    crops = await classify(crops, models);
    timings.clsMs = performance.now() - t;
  }
  t = performance.now();
  const texts = await recognize(crops, models);
  timings.recMs = performance.now() - t;
  const blocks: OcrBlock[] = [];
  boxes.forEach((q, i) => {
    const r = texts[i]!;
    if (r.score < options.textScore) return;
    const back = q.map(([x, y]): Point => {
      const sx = Math.max(Math.fround(x * ratioW), 0);
      const sy = Math.max(Math.fround((y - top) * ratioH), 0);
      return [Math.min(sx, source.width), Math.min(sy, source.height)];
    }) as Quad;
    blocks.push({ text: r.text, confidence: r.score, box: back });
  });
  return { blocks, timings };
}

/** RapidOCR.preprocess: longer side down to maxSideLen, shorter side up to minSideLen (each to a multiple of 32). */
export function fitSize(img: Raster, options: Pick<OcrOptions, 'maxSideLen' | 'minSideLen'>): { img: Raster; ratioW: number; ratioH: number } | null {
  let out = img;
  let ratioW = 1;
  let ratioH = 1;
  const scaleTo = (r: Raster, ratio: number) => {
    const rh = roundHalfEven(Math.trunc(r.height * ratio) / 32) * 32;
    const rw = roundHalfEven(Math.trunc(r.width * ratio) / 32) * 32;
    if (rw <= 0 || rh <= 0) return null;
    const resized = resizeLinear(r, rw, rh);
    ratioH = r.height / rh;
    ratioW = r.width / rw;
    return resized;
  };
  // A side that would round to 0 px (a sliver such as 10000×1): nothing readable.
  if (Math.max(out.width, out.height) > options.maxSideLen) {
    const scaled = scaleTo(out, options.maxSideLen / Math.max(out.width, out.height));
    if (!scaled) return null;
    out = scaled;
  }
  if (Math.min(out.width, out.height) < options.minSideLen) {
    const scaled = scaleTo(out, options.minSideLen / Math.min(out.width, out.height));
    if (!scaled) return null;
    out = scaled;
  }
  return { img: out, ratioW, ratioH };
}

const MIN_HEIGHT = 30;
const MAX_WH_RATIO = 8;

/** RapidOCR.maybe_add_letterbox: black bands above and below very short or very wide images. */
export function letterbox(img: Raster): { img: Raster; top: number } {
  if (img.height > MIN_HEIGHT && img.width / img.height <= MAX_WH_RATIO) return { img, top: 0 };
  const newH = Math.max(Math.trunc(img.width / MAX_WH_RATIO), MIN_HEIGHT) * 2;
  const pad = Math.trunc(Math.abs(newH - img.height) / 2);
  return { img: padVertical(img, pad, pad), top: pad };
}

async function detect(img: Raster, models: OcrModels, options: DbOptions): Promise<Quad[]> {
  const input = detInput(img);
  if (!input) return [];
  const pred = await models.det(input.tensor, input.height, input.width);
  const raw = dbBoxes(pred, input.width, input.height, img.width, img.height, options);
  return sortBoxes(filterBoxes(raw, img.width, img.height));
}

async function classify(crops: Raster[], models: OcrModels): Promise<Raster[]> {
  const out = [...crops];
  const order = byAspect(crops);
  for (let b = 0; b < order.length; b += CLS_DEFAULTS.batch) {
    const idx = order.slice(b, b + CLS_DEFAULTS.batch);
    const batch = stack(idx.map((i) => lineTensor(crops[i]!, CLS_DEFAULTS.height, CLS_DEFAULTS.width)));
    const flips = clsUpsideDown(await models.cls(batch, idx.length), idx.length, CLS_DEFAULTS.thresh);
    idx.forEach((i, k) => {
      if (flips[k]) out[i] = rotate180(crops[i]!);
    });
  }
  return out;
}

async function recognize(crops: Raster[], models: OcrModels): Promise<Array<{ text: string; score: number }>> {
  const out = new Array<{ text: string; score: number }>(crops.length);
  const order = byAspect(crops);
  for (let b = 0; b < order.length; b += REC_DEFAULTS.batch) {
    const idx = order.slice(b, b + REC_DEFAULTS.batch);
    const width = recBatchWidth(idx.map((i) => crops[i]!));
    const batch = stack(idx.map((i) => lineTensor(crops[i]!, REC_DEFAULTS.height, width)));
    const res = await models.rec(batch, idx.length, width);
    ctcDecode(res.data, idx.length, res.steps, res.classes, models.chars).forEach((r, k) => {
      out[idx[k]!] = r;
    });
  }
  return out;
}
