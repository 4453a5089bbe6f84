import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { openApiDocument } from '../helpers/app.js';
import { CAPTIONER_REFERENCE, CLI, CLIP_REFERENCE, COLPALI_REFERENCE, MAIN, MODEL_DIRS, REFERENCE, TINY_CAPTIONER_ID, TINY_CLIP_ID, TINY_COLPALI_ID } from '../helpers/paths.js';
import { readAnswered, resetAnswered, unanswered } from '../helpers/status-coverage.js';

declare module 'vitest' {
  export interface ProvidedContext {
    hfHome: string;
  }
}

/**
 * Builds a fresh HF hub cache for the run with the real `hearth import` path:
 * the fp32 export as sentence-transformers/all-MiniLM-L6-v2 and the int8 ONNX
 * as Xenova/all-MiniLM-L6-v2, the tiny CLIP as hearth-test/tiny-clip, the tiny ColPali as hearth-test/tiny-colpali and the
 * tiny ViT-GPT2 as hearth-test/tiny-captioner. Assets come from scripts/prepare-test-assets.sh.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  for (const path of [MAIN, MODEL_DIRS.fp32, MODEL_DIRS.int8, MODEL_DIRS.tinyClip, MODEL_DIRS.tinyColPali, MODEL_DIRS.tinyCaptioner, REFERENCE, CLIP_REFERENCE, COLPALI_REFERENCE, CAPTIONER_REFERENCE]) {
    if (!existsSync(path)) throw new Error(`missing ${path}: run \`npm test\` (it builds and prepares the test assets)`);
  }
  const hfHome = await mkdtemp(join(tmpdir(), 'hearth-test-hf-'));
  const env = { ...process.env, HF_HOME: hfHome };
  execFileSync(process.execPath, [CLI, 'import', MODEL_DIRS.fp32, '--as', 'sentence-transformers/all-MiniLM-L6-v2'], { env, stdio: 'pipe' });
  execFileSync(process.execPath, [CLI, 'import', MODEL_DIRS.int8, '--as', 'Xenova/all-MiniLM-L6-v2'], { env, stdio: 'pipe' });
  execFileSync(process.execPath, [CLI, 'import', MODEL_DIRS.tinyClip, '--as', TINY_CLIP_ID], { env, stdio: 'pipe' });
  execFileSync(process.execPath, [CLI, 'import', MODEL_DIRS.tinyColPali, '--as', TINY_COLPALI_ID], { env, stdio: 'pipe' });
  execFileSync(process.execPath, [CLI, 'import', MODEL_DIRS.tinyCaptioner, '--as', TINY_CAPTIONER_ID], { env, stdio: 'pipe' });
  project.provide('hfHome', hfHome);
  resetAnswered();
  return async () => {
    await rm(hfHome, { recursive: true, force: true });
    await reportStatusCoverage();
  };
}

/** Prints the documented statuses these integration tests never made a server answer (see status-coverage.ts). */
async function reportStatusCoverage(): Promise<void> {
  const answered = readAnswered();
  if (answered.length === 0) return;
  const { declared, missing } = unanswered((await openApiDocument()).paths, answered);
  const byRoute = new Map<string, string[]>();
  for (const key of missing) {
    const [method, path, status] = key.split(' ');
    byRoute.set(`${method} ${path}`, [...(byRoute.get(`${method} ${path}`) ?? []), status!]);
  }
  const lines = [...byRoute].map(([route, statuses]) => `  ${route}: ${statuses.join(', ')}`);
  console.log(`status coverage: ${declared - missing.length} of ${declared} documented (route, status) pairs proven by these integration tests${lines.length ? `; never answered:\n${lines.join('\n')}` : ''}`);
  // Every documented status must be produced by some test; only meaningful when every file ran.
  if (process.env.HEARTH_STATUS_GATE === '1' && missing.length > 0) throw new Error(`documented statuses no test produced:\n${lines.join('\n')}`);
}
