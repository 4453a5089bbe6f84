import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosine } from '../../helpers/vectors.js';
import { clipPixelValues, clipPreprocessConfig, decodeImage } from '../../../src/media/image/index.js';
import { createSession, ort } from '../../../src/runtime/onnx.js';
import { FIXTURES } from '../../helpers/paths.js';

// Parity with transformers' CLIPImageProcessor (PIL backend) and CLIPModel.get_image_features on
// the tiny CLIP; fixtures from test/python/make_tiny_clip.py and clip_reference.py.
const MODEL = join(FIXTURES, 'models', 'tiny-clip');
const REFERENCE = join(FIXTURES, 'reference', 'tiny-clip.json');
const PRESENT = existsSync(REFERENCE);
// A developer who has not run scripts/prepare-test-assets.sh may skip; CI must not.
const SKIP = !PRESENT && !process.env.CI;
if (SKIP) console.warn(`clip-preprocess: skipped, ${REFERENCE} is missing (run bash scripts/prepare-test-assets.sh)`);

interface Entry {
  file: string;
  mode: string;
  pixel_values: string;
  image_embeds: number[];
  load_image?: { pixel_values: string; image_embeds: number[] };
}

/** A little-endian float32 .npy (numpy's save of a C-order array). */
function readNpy(path: string): Float32Array {
  const bytes = readFileSync(path);
  const header = bytes.toString('latin1', 10, 10 + bytes.readUInt16LE(8));
  if (!header.includes("'descr': '<f4'") || !header.includes("'fortran_order': False")) throw new Error(`${path}: not a C-order float32 .npy`);
  const body = bytes.subarray(10 + bytes.readUInt16LE(8));
  return new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
}

const maxAbsDiff = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
};


describe.skipIf(SKIP)('CLIP preprocessing equals CLIPImageProcessor; embeddings equal CLIPModel', () => {
  let images: Entry[] = [];
  let pixelValues: Float32Array[] = [];
  let dropped = new Map<string, Float32Array>();
  let session: ort.InferenceSession;

  beforeAll(async () => {
    if (!PRESENT) throw new Error(`${REFERENCE} is missing and CI is set: scripts/prepare-test-assets.sh must build it`);
    images = (JSON.parse(readFileSync(REFERENCE, 'utf8')) as { images: Entry[] }).images;
    const cfg = clipPreprocessConfig(JSON.parse(readFileSync(join(MODEL, 'preprocessor_config.json'), 'utf8')));
    pixelValues = [];
    dropped = new Map();
    for (const entry of images) {
      const decoded = await decodeImage({ kind: 'bytes', data: readFileSync(join(FIXTURES, 'images', entry.file)) }, { maxBytes: 20e6, maxPixels: 50e6 });
      pixelValues.push(clipPixelValues(decoded, cfg));
      if (entry.load_image) dropped.set(entry.file, clipPixelValues(decoded, { ...cfg, alpha: 'drop' }));
    }
    ({ session } = await createSession(join(MODEL, 'onnx', 'vision_model.onnx'), { device: 'cpu', intraOpThreads: 1, interOpThreads: 1, inferenceNice: 0 }));
  });
  afterAll(async () => {
    await session?.release();
  });

  it('covers at least 20 varied images', () => {
    expect(images.length).toBeGreaterThanOrEqual(20);
  });

  it('pixel_values equal the reference processor', () => {
    const errors = images.map((entry, i) => [entry.file, maxAbsDiff(pixelValues[i]!, readNpy(join(FIXTURES, 'reference', entry.pixel_values)))] as const);
    console.log(`clip pixel_values: max abs error ${Math.max(...errors.map(([, e]) => e)).toExponential(2)} over ${errors.length} images`);
    // Pillow's resample is reproduced bit for bit, so the only float noise is rescale/normalise rounding.
    for (const [file, error] of errors) expect(error, file).toBeLessThan(1e-5);
  });

  it('image_embeds from onnx/vision_model.onnx match CLIPModel.get_image_features (cosine ≥ 0.9999 each)', async () => {
    const plane = 3 * 224 * 224;
    const batch = new Float32Array(images.length * plane);
    pixelValues.forEach((pv, i) => batch.set(pv, i * plane));
    const out = await session.run({ pixel_values: new ort.Tensor('float32', batch, [images.length, 3, 224, 224]) });
    const embeds = out.image_embeds!.data as Float32Array;
    const dim = out.image_embeds!.dims[1]!;
    const cosines = images.map((entry, i) => [entry.file, cosine(embeds.subarray(i * dim, (i + 1) * dim), entry.image_embeds)] as const);
    console.log(`clip image_embeds: min cosine ${Math.min(...cosines.map(([, c]) => c)).toFixed(7)} over ${cosines.length} images`);
    for (const [file, c] of cosines) expect(c, file).toBeGreaterThanOrEqual(0.9999);
  });

  it("alpha: 'drop' equals transformers' load_image path (convert('RGB')) for images with an alpha channel", () => {
    // Palette images with a transparent index are left out: Pillow's P→RGB convert keeps the
    // transparency as an RGB key, so the processor composites those pixels onto white anyway.
    const withAlpha = images.filter((e) => e.load_image && (e.mode === 'RGBA' || e.mode === 'LA'));
    expect(withAlpha.length).toBeGreaterThanOrEqual(3);
    for (const entry of withAlpha) {
      const error = maxAbsDiff(dropped.get(entry.file)!, readNpy(join(FIXTURES, 'reference', entry.load_image!.pixel_values)));
      expect(error, entry.file).toBeLessThan(1e-5);
    }
  });
});
