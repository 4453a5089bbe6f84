import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SIGLIP_DEFAULTS, decodeImage, fixedSizePixelValues, fixedSizePreprocessConfig } from '../../../src/media/image/index.js';
import { ColPaliPrompt } from '../../../src/tasks/multivector/colpali-prompt.js';
import { FIXTURES, MODEL_DIRS } from '../../helpers/paths.js';

// Parity with transformers' ColPaliProcessor (SiglipImageProcessorPil + the Gemma tokenizer) on the tiny
// ColPali; fixtures from test/python/make_tiny_colpali.py and colpali_reference.py.
const REFERENCE = join(FIXTURES, 'reference', 'tiny-colpali.json');
const PRESENT = existsSync(REFERENCE);
// A developer who has not run scripts/prepare-test-assets.sh may skip; CI must not.
const SKIP = !PRESENT && !process.env.CI;
if (SKIP) console.warn(`colpali-preprocess: skipped, ${REFERENCE} is missing (run bash scripts/prepare-test-assets.sh)`);

interface Reference {
  image_seq_length: number;
  images: Array<{ file: string; input_ids: number[]; pixel_values: string }>;
  texts: Array<{ text: string; input_ids: number[] }>;
}

const json = (file: string) => (existsSync(join(MODEL_DIRS.tinyColPali, file)) ? (JSON.parse(readFileSync(join(MODEL_DIRS.tinyColPali, file), 'utf8')) as Record<string, unknown>) : undefined);

function readNpy(path: string): Float32Array {
  const bytes = readFileSync(path);
  const length = bytes.readUInt16LE(8);
  expect(bytes.toString('latin1', 10, 10 + length)).toContain("'descr': '<f4'");
  const body = bytes.subarray(10 + length);
  return new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
}

describe.skipIf(SKIP)('ColPali preprocessing equals ColPaliProcessor', () => {
  let ref: Reference;
  let prompt: ColPaliPrompt;

  beforeAll(() => {
    if (!PRESENT) throw new Error(`${REFERENCE} is missing and CI is set: scripts/prepare-test-assets.sh must build it`);
    ref = JSON.parse(readFileSync(REFERENCE, 'utf8')) as Reference;
    prompt = new ColPaliPrompt({ tokenizerJson: json('tokenizer.json')!, tokenizerConfig: json('tokenizer_config.json'), processor: json('processor_config.json'), preprocessor: json('preprocessor_config.json') });
  });

  it('query ids: bos + "Question: " + text + 10 augmentation pads + "\\n", id for id', () => {
    for (const t of ref.texts) expect(Array.from(prompt.query(t.text)), JSON.stringify(t.text).slice(0, 40)).toEqual(t.input_ids);
    expect(Array.from(prompt.query('x')).filter((id) => id === prompt.padId)).toHaveLength(10);
  });

  it('image ids: image_seq_length × <image> + bos + the visual prompt, the same for every image', () => {
    for (const e of ref.images) expect(Array.from(prompt.imageIds)).toEqual(e.input_ids);
    expect(prompt.imageIds.length).toBeGreaterThan(ref.image_seq_length);
  });

  it('pixel_values of every reference image (sizes, modes, alpha, CMYK, EXIF, animation) equal the processor’s', async () => {
    const cfg = fixedSizePreprocessConfig(prompt.imageProcessor, SIGLIP_DEFAULTS);
    let worst = 0;
    for (const e of ref.images) {
      const decoded = await decodeImage({ kind: 'bytes', data: readFileSync(join(FIXTURES, 'images', e.file)) }, { maxBytes: 20e6, maxPixels: 50e6 });
      const got = fixedSizePixelValues(decoded, cfg);
      const want = readNpy(join(FIXTURES, 'reference', e.pixel_values));
      expect(got.length).toBe(want.length);
      let diff = 0;
      for (let i = 0; i < got.length; i++) diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
      expect(diff, e.file).toBeLessThanOrEqual(1e-6);
      worst = Math.max(worst, diff);
    }
    console.log(`ColPali pixel_values: max abs diff ${worst} over ${ref.images.length} images`);
  });
});
