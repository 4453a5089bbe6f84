import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CAPTION_GRAPHS, Manifest, ManifestSchema } from '../../../src/models/manifest.js';
import { ROOT } from '../../helpers/paths.js';

const captioner = {
  id: 'Xenova/vit-gpt2-image-captioning',
  task: 'image-caption',
  files: ['config.json', 'preprocessor_config.json', 'tokenizer.json', CAPTION_GRAPHS.encoder, CAPTION_GRAPHS.decoder],
  onnx: CAPTION_GRAPHS.encoder,
};

describe('image-caption manifest entries', () => {
  it('models.json names a real default captioner with the two graphs transformers.js loads', () => {
    const parsed = ManifestSchema.parse(JSON.parse(readFileSync(join(ROOT, 'models.json'), 'utf8')));
    const manifest = new Manifest(parsed.models);
    const entry = manifest.defaultFor('image-caption');
    expect(entry?.id).toBe('Xenova/vit-gpt2-image-captioning');
    expect(manifest.find('vit-gpt2')).toBe(entry);
    expect(entry?.onnx).toBe(CAPTION_GRAPHS.encoder);
    expect(entry?.files).toContain(CAPTION_GRAPHS.decoder);
  });

  it('need no dimensions, and are refused with other graph names or without the decoder', () => {
    expect(ManifestSchema.safeParse({ models: [captioner] }).success).toBe(true);
    const renamed = { ...captioner, files: [...captioner.files, 'onnx/encoder.onnx'], onnx: 'onnx/encoder.onnx' };
    expect(ManifestSchema.safeParse({ models: [renamed] }).success).toBe(false);
    const noDecoder = { ...captioner, files: captioner.files.filter((f) => f !== CAPTION_GRAPHS.decoder) };
    expect(ManifestSchema.safeParse({ models: [noDecoder] }).success).toBe(false);
  });
});
