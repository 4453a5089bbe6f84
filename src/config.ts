import { availableParallelism, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { parseBytes } from './lib/bytes.js';
import { parseDurationMs } from './lib/duration.js';

const PACKAGE_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', ...(import.meta.url.includes('/dist/') ? ['..'] : []));

const bytes = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return parseBytes(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});
const durationMs = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return parseDurationMs(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});
const int = (min: number) => z.coerce.number().int().min(min);
const list = z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));
const bool = z.enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off']).transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

/**
 * Every setting Hearth reads, from env vars. Parsed once in main.ts / cli.ts;
 * nothing else reads process.env. Defaults are documented in the README.
 */
export const ConfigSchema = z
  .object({
    HEARTH_HOST: z.string().default('127.0.0.1'),
    PORT: int(0).max(65535).optional(),
    HEARTH_PORT: int(0).max(65535).optional(),
    HEARTH_DATA_DIR: z.string().default(join(PACKAGE_ROOT, 'data')),
    HF_HOME: z.string().optional(),
    HEARTH_MODELS_FILE: z.string().default(join(PACKAGE_ROOT, 'models.json')),
    HEARTH_API_KEYS: list.default([]),
    HEARTH_API_KEY: z.string().optional(),
    HEARTH_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    HEARTH_MAX_BODY_BYTES: bytes.default(16 * 1024 * 1024),
    HEARTH_KEEP_ALIVE: durationMs.default(300_000),
    HEARTH_MAX_MODEL_MEMORY: bytes.optional(),
    HEARTH_DEVICE: z.enum(['auto', 'cpu', 'cuda']).default('auto'),
    HEARTH_THREADS: int(1).optional(),
    HEARTH_INTER_OP_THREADS: int(1).default(1),
    HEARTH_INFERENCE_NICE: z.coerce.number().int().min(0).max(19).default(10),
    HEARTH_MAX_BATCH_SIZE: int(1).default(32),
    HEARTH_MAX_BATCH_TOKENS: int(16).default(16384),
    HEARTH_BATCH_WINDOW_MS: z.coerce.number().min(0).max(1000).default(0),
    HEARTH_MAX_QUEUE: int(1).default(8192),
    HEARTH_MAX_INPUTS: int(1).default(2048),
    HEARTH_MAX_REQUEST_TOKENS: int(1).default(300_000),
    HEARTH_LOAD_TIMEOUT: durationMs.default(120_000),
    HEARTH_DRAIN_TIMEOUT: durationMs.default(25_000),
    HEARTH_AUTO_PULL: bool.default(true),
    HEARTH_PULL_WAIT: durationMs.default(60_000),
    HF_ENDPOINT: z.string().url().default('https://huggingface.co'),
    HF_TOKEN: z.string().optional(),
  })
  .transform((env) => {
    const dataDir = resolve(env.HEARTH_DATA_DIR);
    const hfHome = resolve(env.HF_HOME ?? join(dataDir, 'models'));
    const threads = env.HEARTH_THREADS ?? availableParallelism();
    return {
      host: env.HEARTH_HOST,
      port: env.HEARTH_PORT ?? env.PORT ?? 8000,
      dataDir,
      hfHome,
      hubCacheDir: join(hfHome, 'hub'),
      modelsFile: resolve(env.HEARTH_MODELS_FILE),
      apiKeys: env.HEARTH_API_KEYS,
      /** The key the CLI sends to a running server. */
      cliApiKey: env.HEARTH_API_KEY ?? env.HEARTH_API_KEYS[0],
      logLevel: env.HEARTH_LOG_LEVEL,
      maxBodyBytes: env.HEARTH_MAX_BODY_BYTES,
      keepAliveMs: env.HEARTH_KEEP_ALIVE,
      // Default budget: half of RAM, so a second model never pushes the box into swap.
      maxModelMemoryBytes: env.HEARTH_MAX_MODEL_MEMORY ?? Math.floor(totalmem() / 2),
      loadTimeoutMs: env.HEARTH_LOAD_TIMEOUT,
      drainTimeoutMs: env.HEARTH_DRAIN_TIMEOUT,
      hub: {
        endpoint: env.HF_ENDPOINT.replace(/\/+$/, ''),
        token: env.HF_TOKEN,
        autoPull: env.HEARTH_AUTO_PULL,
        pullWaitMs: env.HEARTH_PULL_WAIT,
      },
      runtime: {
        device: env.HEARTH_DEVICE,
        intraOpThreads: threads,
        interOpThreads: env.HEARTH_INTER_OP_THREADS,
        inferenceNice: env.HEARTH_INFERENCE_NICE,
      },
      batching: {
        maxBatchSize: env.HEARTH_MAX_BATCH_SIZE,
        maxBatchTokens: env.HEARTH_MAX_BATCH_TOKENS,
        windowMs: env.HEARTH_BATCH_WINDOW_MS,
        maxQueue: env.HEARTH_MAX_QUEUE,
      },
      limits: {
        maxInputs: env.HEARTH_MAX_INPUTS,
        maxRequestTokens: env.HEARTH_MAX_REQUEST_TOKENS,
      },
    };
  });

export type Config = z.output<typeof ConfigSchema>;

/** Parses env into Config; throws one readable message listing every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const picked = Object.fromEntries(
    Object.keys(ConfigSchema.in.shape).flatMap((k) => (env[k] === undefined || env[k] === '' ? [] : [[k, env[k]]])),
  );
  const parsed = ConfigSchema.safeParse(picked);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

export const packageRoot = PACKAGE_ROOT;
