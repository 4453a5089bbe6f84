import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
export const FIXTURES = join(ROOT, '.cache', 'fixtures');
export const MODEL_DIRS = {
  fp32: join(FIXTURES, 'models', 'minilm-fp32'),
  int8: join(FIXTURES, 'models', 'minilm-int8'),
  tinyClip: join(FIXTURES, 'models', 'tiny-clip'),
  tinyColPali: join(FIXTURES, 'models', 'tiny-colpali'),
  tinyCaptioner: join(FIXTURES, 'models', 'tiny-captioner'),
};
/** Imported by the integration setup under this id (cache-only: no manifest entry). */
export const TINY_CLIP_ID = 'hearth-test/tiny-clip';
export const CLIP_REFERENCE = join(FIXTURES, 'reference', 'tiny-clip.json');
/** The tiny ColPali, imported under this id (cache-only: no manifest entry). */
export const TINY_COLPALI_ID = 'hearth-test/tiny-colpali';
export const COLPALI_REFERENCE = join(FIXTURES, 'reference', 'tiny-colpali.json');
/** The tiny ViT-GPT2 captioner, imported under this id (cache-only: no manifest entry). */
export const TINY_CAPTIONER_ID = 'hearth-test/tiny-captioner';
export const CAPTIONER_REFERENCE = join(FIXTURES, 'reference', 'tiny-captioner.json');
export const IMAGES = join(FIXTURES, 'images');
export const REFERENCE = join(FIXTURES, 'reference', 'minilm.json');
export const TIKTOKEN_CACHE = join(FIXTURES, 'tiktoken');
export const PYTHON = join(ROOT, '.cache', 'venv', 'bin', 'python');
export const CLI = join(ROOT, 'dist', 'src', 'cli.js');
export const MAIN = join(ROOT, 'dist', 'src', 'main.js');
