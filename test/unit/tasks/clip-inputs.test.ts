import { describe, expect, it } from 'vitest';
import { HearthError } from '../../../src/lib/errors.js';
import { ManifestSchema } from '../../../src/models/manifest.js';
import { clipItems } from '../../../src/tasks/image/clip-inputs.js';

const PNG = 'data:image/png;base64,iVBORw0KGgo=';

describe('clipItems: which inputs are images', () => {
  it('strings are text unless they are data:image URIs', () => {
    expect(clipItems(['a cat', PNG, `  ${PNG}`, 'data:text/plain,hi'], undefined, 10).map((i) => i.modality)).toEqual(['text', 'image', 'image', 'text']);
    expect(clipItems('one', undefined, 10)).toEqual([{ modality: 'text', value: 'one' }]);
  });

  it("modality 'image' makes every item an image (base64, URLs); 'text' every item text", () => {
    expect(clipItems(['iVBORw0KGgo=', 'https://example.com/a.png'], 'image', 10).every((i) => i.modality === 'image')).toBe(true);
    expect(clipItems([PNG], 'text', 10)[0]!.modality).toBe('text');
  });

  it.each([
    ['token ids', [1, 2, 3], /token ids/],
    ['token-id arrays', [[1, 2]], /token ids/],
    ['empty', [], /empty/],
    ['an object', { a: 1 }, /string/],
    ['too many', ['a', 'b', 'c'], /at most 2/],
  ])('%s → 400', (_name, input, message) => {
    let error: unknown;
    try {
      clipItems(input, undefined, 2);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HearthError);
    expect((error as HearthError).code).toBe('invalid_request');
    expect((error as HearthError).message).toMatch(message);
  });
});

describe('manifest: image-embedding entries', () => {
  const clip = { id: 'org/clip', task: 'image-embedding', files: ['onnx/v.onnx', 'onnx/t.onnx'], onnx: 'onnx/v.onnx', onnx_text: 'onnx/t.onnx', dimensions: 512 };
  it('need onnx_text, listed in files; text models must not have it', () => {
    expect(ManifestSchema.safeParse({ models: [clip] }).success).toBe(true);
    expect(ManifestSchema.safeParse({ models: [{ ...clip, onnx_text: undefined }] }).success).toBe(false);
    expect(ManifestSchema.safeParse({ models: [{ ...clip, onnx_text: 'onnx/missing.onnx' }] }).success).toBe(false);
    expect(ManifestSchema.safeParse({ models: [{ ...clip, task: 'text-embedding' }] }).success).toBe(false);
  });
});
