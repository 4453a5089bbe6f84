import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pooling } from './pooling.js';

export interface TextModelSettings {
  pooling: Pooling;
  normalize: boolean;
  maxTokens: number;
}

export interface SettingOverrides {
  pooling?: Pooling;
  normalize?: boolean;
  maxTokens?: number;
}

const readJson = async (path: string): Promise<Record<string, any> | undefined> =>
  readFile(path, 'utf8').then((t) => JSON.parse(t) as Record<string, any>, () => undefined);

/**
 * Reads how the model wants its output pooled and truncated, the way
 * sentence-transformers does: modules.json names the Pooling folder and whether a
 * Normalize module follows; sentence_bert_config.json holds max_seq_length.
 * Manifest overrides win; plain transformers models fall back to mean pooling.
 */
export async function readTextModelSettings(dir: string, overrides: SettingOverrides = {}): Promise<TextModelSettings> {
  const modules = ((await readJson(join(dir, 'modules.json'))) ?? []) as unknown as Array<{ path?: string; type?: string }>;
  const poolingDir = modules.find((m) => m.type?.endsWith('Pooling'))?.path ?? '1_Pooling';
  const poolingConfig = await readJson(join(dir, poolingDir, 'config.json'));
  const stConfig = await readJson(join(dir, 'sentence_bert_config.json'));
  const tokenizerConfig = await readJson(join(dir, 'tokenizer_config.json'));
  const modelConfig = await readJson(join(dir, 'config.json'));

  let pooling: Pooling = 'mean';
  if (poolingConfig?.pooling_mode_cls_token) pooling = 'cls';
  else if (poolingConfig?.pooling_mode_lasttoken) pooling = 'last';

  const candidates = [
    stConfig?.max_seq_length,
    tokenizerConfig?.model_max_length,
    modelConfig?.max_position_embeddings,
  ].filter((n): n is number => typeof n === 'number' && n > 0 && n < 1e6);

  return {
    pooling: overrides.pooling ?? pooling,
    normalize: overrides.normalize ?? modules.some((m) => m.type?.endsWith('Normalize')),
    maxTokens: overrides.maxTokens ?? candidates[0] ?? 512,
  };
}
