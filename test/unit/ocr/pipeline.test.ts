import { describe, expect, it } from 'vitest';
import { boxScoreFast, dbBoxes, detInput, dilate2x2, filterBoxes, normalizeChw, sortBoxes } from '../../../src/tasks/ocr/det.js';
import type { Quad } from '../../../src/tasks/ocr/geometry/min-area-rect.js';
import type { Raster } from '../../../src/tasks/ocr/geometry/raster.js';
import { escapeMarkdown, groupLines, pageText } from '../../../src/tasks/ocr/layout.js';
import { type OcrModels, fitSize, letterbox, runOcr } from '../../../src/tasks/ocr/pipeline.js';
import { alphabet, byAspect, clsUpsideDown, ctcDecode, lineTensor, recBatchWidth } from '../../../src/tasks/ocr/recognize.js';

const white = (width: number, height: number): Raster => ({ data: new Uint8Array(width * height * 3).fill(255), width, height, channels: 3 });

describe('detector input', () => {
  it('brings the short side up to 736 and both sides to multiples of 32 (RapidOCR limit_type min)', () => {
    const input = detInput(white(640, 240))!;
    expect([input.width, input.height]).toEqual([1952, 736]);
    expect(input.tensor.length).toBe(3 * 1952 * 736);
    expect(input.tensor[0]).toBe(1);
    const big = detInput(white(1000, 800))!;
    expect([big.width, big.height]).toEqual([992, 800]);
  });
  it('normalises to [-1, 1] in CHW order', () => {
    const img: Raster = { data: Uint8Array.from([0, 255, 51]), width: 1, height: 1, channels: 3 };
    expect([...normalizeChw(img, true)].map((v) => Math.round(v * 1e4) / 1e4)).toEqual([-1, 1, -0.6]);
    expect([...normalizeChw(img, false, 2)]).toEqual([-1, 0, 1, 0, Math.fround(Math.fround(Math.fround(51 / 255) - 0.5) / 0.5), 0]);
  });
});

describe('global size fitting and letterbox (RapidOCR.preprocess, maybe_add_letterbox)', () => {
  it('scales a large image down to the max side and records the ratios', () => {
    const fit = fitSize(white(4000, 3000), { maxSideLen: 2000, minSideLen: 30 })!;
    // 2000/32 = 62.5 rounds half to even: 62 × 32.
    expect([fit.img.width, fit.img.height]).toEqual([1984, 1504]);
    expect(fit.ratioW).toBeCloseTo(4000 / 1984, 9);
  });
  it('a sliver that would round to 0 px reads as nothing', () => {
    expect(fitSize(white(10000, 1), { maxSideLen: 2000, minSideLen: 30 })).toBeNull();
  });
  it('pads very flat images with black bands', () => {
    const { img, top } = letterbox(white(900, 40));
    expect(top).toBe(92);
    expect(img.height).toBe(40 + 2 * 92);
    expect(letterbox(white(300, 100)).top).toBe(0);
  });
});

describe('DB post-processing', () => {
  function probMap(w: number, h: number, rects: Array<[number, number, number, number, number]>): Float32Array {
    const m = new Float32Array(w * h);
    for (const [x0, y0, x1, y1, p] of rects) for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) m[y * w + x] = p;
    return m;
  }
  it('dilates with a 2×2 kernel towards the bottom-right', () => {
    const m = new Uint8Array(9);
    m[4] = 1;
    expect([...dilate2x2(m, 3, 3)]).toEqual([0, 0, 0, 0, 1, 1, 0, 1, 1]);
  });
  it('boxes a confident region, grown by unclip and scaled; weak regions are dropped', () => {
    const w = 64;
    const h = 32;
    const pred = probMap(w, h, [
      [10, 10, 40, 17, 0.9],
      [50, 5, 60, 20, 0.4],
    ]);
    const boxes = dbBoxes(pred, w, h, w * 2, h * 2);
    expect(boxes).toHaveLength(1);
    const [tl, tr, br, bl] = boxes[0]!;
    // The kernel (10..41 × 10..18 after dilation) grows by area·1.6/perimeter ≈ 5.3 px each side, then ×2.
    expect(tl[0]).toBeLessThan(20);
    expect(tl[1]).toBeLessThan(20);
    expect(br[0]).toBeGreaterThan(82);
    expect(br[1]).toBeGreaterThan(36);
    expect(tr[1]).toBe(tl[1]);
    expect(bl[0]).toBe(tl[0]);
  });
  it('box score is the mean probability inside the quad', () => {
    const w = 10;
    const pred = probMap(w, 10, [[0, 0, 4, 9, 1]]);
    expect(
      boxScoreFast(pred, w, 10, [
        [0, 0],
        [9, 0],
        [9, 9],
        [0, 9],
      ]),
    ).toBeCloseTo(0.5, 9);
  });
  it('filters slivers and sorts top-to-bottom, then left-to-right within 10 px', () => {
    const q = (x: number, y: number, w = 20, h = 10): Quad => [
      [x, y],
      [x + w, y],
      [x + w, y + h],
      [x, y + h],
    ];
    expect(filterBoxes([q(0, 0, 3, 10), q(5, 5)], 100, 100)).toEqual([q(5, 5)]);
    const sorted = sortBoxes([q(50, 12), q(0, 40), q(0, 15)]);
    expect(sorted.map((b) => b[0])).toEqual([
      [0, 15],
      [50, 12],
      [0, 40],
    ]);
  });
});

describe('recognition helpers', () => {
  it('CTC greedy decoding: repeats collapse, blanks split, confidence is the mean kept probability', () => {
    const chars = ['blank', 'a', 'b', ' '];
    // steps: a a blank a b b → "aab"
    const steps = [1, 1, 0, 1, 2, 2];
    const probs = new Float32Array(steps.length * 4);
    steps.forEach((k, t) => {
      probs[t * 4 + k] = 0.8;
      probs[t * 4 + ((k + 1) % 4)] = 0.2;
    });
    const [r] = ctcDecode(probs, 1, steps.length, 4, chars);
    expect(r!.text).toBe('aab');
    expect(r!.score).toBeCloseTo(0.8, 6);
    expect(ctcDecode(new Float32Array(8).fill(0).map((_, i) => (i % 4 === 0 ? 1 : 0)), 1, 2, 4, chars)[0]).toEqual({ text: '', score: 0 });
  });
  it('the alphabet is blank + dictionary + space', () => {
    expect(alphabet('x\ny\r\nz\n')).toEqual(['blank', 'x', 'y', 'z', ' ']);
  });
  it('the classifier flips only above its threshold', () => {
    expect(clsUpsideDown(Float32Array.from([0.05, 0.95, 0.15, 0.85, 0.9, 0.1]), 3, 0.9)).toEqual([true, false, false]);
  });
  it('line tensors keep aspect up to the batch width, zero-padded; batches sort by aspect', () => {
    const line = white(100, 20);
    const t = lineTensor(line, 48, 320);
    expect(t.length).toBe(3 * 48 * 320);
    expect(t[239]).toBe(1); // ceil(48·5) = 240 columns of white
    expect(t[240]).toBe(0);
    expect(recBatchWidth([white(100, 20), white(1000, 20)])).toBe(2400);
    expect(recBatchWidth([white(10, 20)])).toBe(320);
    expect(byAspect([white(100, 10), white(10, 10), white(50, 10)])).toEqual([1, 2, 0]);
  });
});

describe('layout', () => {
  const block = (text: string, x: number, y: number, w = 60, h = 20) => ({
    text,
    confidence: 0.9,
    box: [
      [x, y],
      [x + w, y],
      [x + w, y + h],
      [x, y + h],
    ] as Quad,
  });
  it('groups blocks into lines, left to right, and marks paragraph gaps in markdown', () => {
    const blocks = [block('world', 100, 12), block('Hello', 10, 10), block('next', 10, 36), block('para', 10, 100)];
    expect(groupLines(blocks).map((l) => l.blocks.map((b) => b.text))).toEqual([['Hello', 'world'], ['next'], ['para']]);
    expect(pageText(blocks)).toEqual({ text: 'Hello world\nnext\npara', markdown: 'Hello world\nnext\n\npara' });
    expect(pageText([])).toEqual({ text: '', markdown: '' });
  });
  it('reads side-by-side columns one after the other, but keeps a receipt’s prices on their rows', () => {
    const cols = [block('L1', 10, 10, 200), block('R1', 300, 10, 200), block('L2', 10, 40, 200), block('R2', 300, 40, 200)];
    expect(pageText(cols).text).toBe('L1\nL2\nR1\nR2');
    expect(pageText(cols).markdown).toBe('L1\nL2\n\nR1\nR2');
    const receipt = [block('Tea', 10, 10, 60), block('2.50', 200, 10, 40), block('Cake', 10, 40, 60), block('3.10', 200, 40, 40)];
    expect(pageText(receipt).text).toBe('Tea 2.50\nCake 3.10');
  });
  it('escapes what markdown would read as markup', () => {
    expect(escapeMarkdown('# 1 * 2_3 [x]')).toBe('\\# 1 \\* 2\\_3 \\[x\\]');
    expect(escapeMarkdown('- item')).toBe('\\- item');
    expect(escapeMarkdown('12. done')).toBe('\\12. done');
  });
});

describe('runOcr with stand-in models (no weights)', () => {
  it('detects, classifies, recognises, filters by confidence and maps boxes back to the source', async () => {
    const src = white(640, 240);
    const seen: { det?: [number, number]; cls?: number; rec?: number[] } = {};
    const models: OcrModels = {
      chars: ['blank', 'o', 'k', ' '],
      det: async (_input, h, w) => {
        seen.det = [w, h];
        // Two text regions at the detector's scale (1952×736 for a 640×240 page).
        const m = new Float32Array(w * h);
        for (let y = 100; y < 140; y++) for (let x = 100; x < 600; x++) m[y * w + x] = 0.95;
        for (let y = 400; y < 440; y++) for (let x = 100; x < 400; x++) m[y * w + x] = 0.95;
        return m;
      },
      cls: async (_input, n) => {
        seen.cls = n;
        return Float32Array.from({ length: n * 2 }, (_, i) => (i % 2 === 0 ? 0.99 : 0.01));
      },
      rec: async (_input, n, width) => {
        (seen.rec ??= []).push(width);
        const steps = 4;
        const out = new Float32Array(n * steps * 4);
        for (let b = 0; b < n; b++) {
          // "ok" with high confidence for the first line of the batch, low for the second.
          const p = b === 0 ? 0.9 : 0.3;
          [1, 0, 2, 0].forEach((k, t) => {
            out[(b * steps + t) * 4 + k] = p;
            out[(b * steps + t) * 4 + ((k + 1) % 4)] = (1 - p) / 2;
          });
        }
        return { data: out, steps, classes: 4 };
      },
    };
    const { blocks } = await runOcr(src, models);
    expect(seen.det).toEqual([1952, 736]);
    expect(seen.cls).toBe(2);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]!.text).toBe('ok');
    expect(blocks[0]!.confidence).toBeCloseTo(0.9, 6);
    // Box in source pixels: the narrower region (x 100..400 at 1952/640 scale: 32.8..131) grown by
    // unclip's 300·40·1.6/680 ≈ 28 detector px ≈ 9.2 source px a side.
    const [tl, , br] = blocks[0]!.box;
    expect(tl[0]).toBeGreaterThan(21);
    expect(tl[0]).toBeLessThan(27);
    expect(br[0]).toBeGreaterThan(137);
    expect(br[0]).toBeLessThan(144);
    expect(br[1]).toBeLessThanOrEqual(240);
  });
  it('a page with no text never reaches cls or rec', async () => {
    let called = false;
    const models: OcrModels = {
      chars: ['blank'],
      det: async (_i, h, w) => new Float32Array(w * h),
      cls: async () => ((called = true), new Float32Array()),
      rec: async () => ((called = true), { data: new Float32Array(), steps: 0, classes: 1 }),
    };
    expect((await runOcr(white(100, 100), models)).blocks).toEqual([]);
    expect(called).toBe(false);
  });
});
