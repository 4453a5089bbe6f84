import { describe, expect, it } from 'vitest';
import { isSafeRepoPath, selectRunnableFiles } from '../../../src/models/repo-files.js';

describe('selectRunnableFiles', () => {
  it('keeps configs, tokenizer, sentence-transformers files and one ONNX graph with its external data', () => {
    const picked = selectRunnableFiles([
      'config.json',
      'tokenizer.json',
      'sentencepiece.bpe.model',
      'modules.json',
      '1_Pooling/config.json',
      '2_Dense/config.json',
      '2_Dense/model.safetensors',
      'onnx/model.onnx',
      'onnx/model.onnx_data',
      'onnx/model_quantized.onnx',
      'onnx/model_O4.onnx',
      'model.onnx',
      'model.safetensors',
      'pytorch_model.bin',
      'flax_model.msgpack',
      'tf_model.h5',
      'openvino/openvino_model.xml',
      'README.md',
      'nested/tokenizer.json',
    ]);
    expect(picked).toEqual({
      onnx: 'onnx/model.onnx',
      files: ['1_Pooling/config.json', 'config.json', 'modules.json', 'onnx/model.onnx', 'onnx/model.onnx_data', 'sentencepiece.bpe.model', 'tokenizer.json'],
    });
  });

  it('falls back to onnx/model_quantized.onnx, then model.onnx, else reports none', () => {
    expect(selectRunnableFiles(['onnx/model_quantized.onnx', 'model.onnx']).onnx).toBe('onnx/model_quantized.onnx');
    expect(selectRunnableFiles(['model.onnx', 'onnx/model_fp16.onnx']).onnx).toBe('model.onnx');
    expect(selectRunnableFiles(['onnx/model_fp16.onnx', 'model.safetensors'])).toEqual({ onnx: undefined, files: [] });
  });
});

describe('isSafeRepoPath', () => {
  it.each(['config.json', 'onnx/model.onnx', '1_Pooling/config.json', '.gitattributes', 'a..b/c'])('accepts %j', (p) => {
    expect(isSafeRepoPath(p)).toBe(true);
  });
  it.each(['', '../evil', '/abs', 'a\\b', 'a//b', 'a/./b', 'a/..', 'x\0y', 'x\ny', 'dir/'])('rejects %j', (p) => {
    expect(isSafeRepoPath(p)).toBe(false);
  });
});
