import { HearthError } from '../lib/errors.js';
import { printable } from './model-id.js';

/**
 * A file path from a hub listing becomes a path under snapshots/<commit>/, so it must be a
 * plain relative path: "/"-separated non-empty segments, none "." or "..", no backslash
 * (a separator on Windows, an escape elsewhere), no NUL or other control characters.
 */
export function isSafeRepoPath(path: string): boolean {
  if (path.length === 0 || path.length > 1024 || /[\\\x00-\x1f\x7f]/.test(path)) return false;
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

export function assertSafeRepoPaths(paths: readonly string[], what: (path: string) => HearthError): void {
  for (const path of paths) if (!isSafeRepoPath(path)) throw what(path);
}

export const unsafePathError = (repoId: string) => (path: string) =>
  new HearthError('pull_failed', `the hub listed an unsafe file path "${printable(path)}" in ${repoId}; refusing to pull it`);

/** The ONNX graphs Hearth runs, in order of preference. */
export const ONNX_CANDIDATES = ['onnx/model.onnx', 'onnx/model_quantized.onnx', 'model.onnx'] as const;

const ROOT_FILES = new Set([
  // transformers config and tokenizer files
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.json',
  'vocab.txt',
  'merges.txt',
  // sentencepiece models
  'tokenizer.model',
  'spiece.model',
  'sentencepiece.bpe.model',
  'source.spm',
  'target.spm',
  // sentence-transformers pipeline description
  'modules.json',
  'sentence_bert_config.json',
  'config_sentence_transformers.json',
  // image/audio preprocessing
  'preprocessor_config.json',
  'processor_config.json',
]);

/** sentence-transformers pooling module folders ("1_Pooling/config.json"). */
const POOLING_CONFIG = /^\d+_Pooling[^/]*\/config\.json$/;

/**
 * Which files of a repo Hearth pulls when the manifest does not list them. The rule:
 * - at the repo root: config.json, the tokenizer files (tokenizer.json, tokenizer_config.json,
 *   special_tokens_map.json, added_tokens.json, vocab.json/vocab.txt, merges.txt), sentencepiece
 *   models (tokenizer.model, spiece.model, sentencepiece.bpe.model, source.spm, target.spm), the
 *   sentence-transformers files (modules.json, sentence_bert_config.json,
 *   config_sentence_transformers.json) and preprocessor_config.json / processor_config.json;
 * - the pooling configs of sentence-transformers ("<n>_Pooling/config.json");
 * - exactly one ONNX graph, the first present of onnx/model.onnx, onnx/model_quantized.onnx,
 *   model.onnx, plus its external-data file ("<graph>_data") when the repo has one.
 * Never PyTorch/TF/Flax weights (safetensors, bin, h5, msgpack) nor the other ONNX variants
 * (fp16, int8, q4, …): Hearth cannot run the former and needs only one of the latter.
 * `onnx` is undefined when the repo has no graph Hearth can run.
 */
export function selectRunnableFiles(paths: readonly string[]): { files: string[]; onnx: string | undefined } {
  const present = new Set(paths);
  const onnx = ONNX_CANDIDATES.find((candidate) => present.has(candidate));
  const files = paths.filter((p) => ROOT_FILES.has(p) || POOLING_CONFIG.test(p));
  if (onnx) {
    files.push(onnx);
    if (present.has(`${onnx}_data`)) files.push(`${onnx}_data`);
  }
  return { files: [...new Set(files)].sort(), onnx };
}
