import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../../src/media/image/index.js';
import { resizePil } from '../../../src/media/image/pil-resample.js';
import { SIGLIP_DEFAULTS, VIT_DEFAULTS, fixedSizePixelValues, fixedSizePreprocessConfig } from '../../../src/media/image/fixed-size-preprocess.js';
import { readNpy } from '../../helpers/npy.js';
import { FIXTURES, IMAGES } from '../../helpers/paths.js';

// Parity with transformers' ViTImageProcessor (PIL backend) as the tiny captioner's reference runs it
// (test/python/captioner_reference.py: exif_transpose, convert("RGB"), 224×224 bilinear, mean/std 0.5).
const MODEL = join(FIXTURES, 'models', 'tiny-captioner');
const REFERENCE = join(FIXTURES, 'reference', 'tiny-captioner.json');
const PRESENT = existsSync(REFERENCE);
// A developer who has not run scripts/prepare-test-assets.sh may skip; CI must not.
const SKIP = !PRESENT && !process.env.CI;
if (SKIP) console.warn(`vit-preprocess: skipped, ${REFERENCE} is missing (run bash scripts/prepare-test-assets.sh)`);

describe.skipIf(SKIP)('ViT preprocessing equals ViTImageProcessor (PIL backend)', () => {
  it('pixel_values of every reference image, bilinear resize included, to the last float bit', async () => {
    const ref = JSON.parse(readFileSync(REFERENCE, 'utf8')) as { images: Array<{ file: string; pixel_values: string }> };
    const cfg = fixedSizePreprocessConfig(JSON.parse(readFileSync(join(MODEL, 'preprocessor_config.json'), 'utf8')), VIT_DEFAULTS);
    expect(cfg).toMatchObject({ height: 224, width: 224, resample: 'bilinear' });
    expect(ref.images.length).toBeGreaterThanOrEqual(10);
    let worst = 0;
    for (const entry of ref.images) {
      const image = await decodeImage({ kind: 'bytes', data: readFileSync(join(IMAGES, entry.file)) }, { maxBytes: 1 << 26, maxPixels: 1 << 26 });
      const got = fixedSizePixelValues(image, cfg);
      const want = readNpy(join(FIXTURES, 'reference', entry.pixel_values));
      expect(got.length).toBe(want.length);
      let diff = 0;
      for (let i = 0; i < got.length; i++) diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
      expect(diff, entry.file).toBe(0);
      worst = Math.max(worst, diff);
    }
  });
});

describe('fixedSizePreprocessConfig', () => {
  const vitPreprocessConfig = (json: Record<string, unknown>) => fixedSizePreprocessConfig(json, VIT_DEFAULTS);
  it("reads ViT-GPT2's config and fills the hub defaults", () => {
    const real = { do_normalize: true, do_resize: true, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5], resample: 2, size: 224 };
    expect(vitPreprocessConfig(real)).toEqual({ height: 224, width: 224, resample: 'bilinear', alpha: 'drop', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], rescaleFactor: 1 / 255 });
    expect(vitPreprocessConfig({ size: { height: 384, width: 320 }, resample: 3, do_normalize: false, do_rescale: false })).toEqual({
      height: 384,
      width: 320,
      resample: 'bicubic',
      alpha: 'drop',
      mean: [0, 0, 0],
      std: [1, 1, 1],
      rescaleFactor: 1,
    });
  });

  it('refuses what it would get wrong: shortest-edge sizes, centre crops, other filters', () => {
    expect(() => vitPreprocessConfig({ size: { shortest_edge: 224 } })).toThrow(/shortest_edge/);
    expect(() => vitPreprocessConfig({ do_center_crop: true })).toThrow(/plain resize/);
    expect(() => vitPreprocessConfig({ resample: 0 })).toThrow(/resample/);
  });

  it("SigLIP's defaults differ only in filter and alpha", () => {
    expect(fixedSizePreprocessConfig({ size: { height: 448, width: 448 } }, SIGLIP_DEFAULTS)).toMatchObject({ height: 448, width: 448, resample: 'bicubic', alpha: 'white' });
  });
});

describe('resizePil bilinear', () => {
  const window = (w: number, h: number) => ({ width: w, height: h, left: 0, top: 0, cropWidth: w, cropHeight: h });

  it('keeps a flat image flat and leaves a same-size image untouched', () => {
    const flat = new Uint8Array(37 * 23 * 3).fill(201);
    expect([...new Set(resizePil(flat, 37, 23, 3, window(16, 16), 'bilinear'))]).toEqual([201]);
    const noise = Uint8Array.from({ length: 8 * 5 * 3 }, (_, i) => (i * 97) % 256);
    expect(resizePil(noise, 8, 5, 3, window(8, 5), 'bilinear')).toEqual(noise);
  });

  it('halving averages each pair under the widened triangle, unlike bicubic', () => {
    // One row 0,255,0,255,… → halved: every output pixel sees equal weight on dark and bright.
    const row = Uint8Array.from({ length: 16 }, (_, i) => (i % 2 ? 255 : 0));
    const bilinear = resizePil(row, 16, 1, 1, window(8, 1), 'bilinear');
    expect([...bilinear.subarray(1, 7)].every((v) => Math.abs(v - 128) <= 1)).toBe(true);
    expect(resizePil(row, 16, 1, 1, window(8, 1), 'bicubic')).not.toEqual(bilinear);
  });
});
