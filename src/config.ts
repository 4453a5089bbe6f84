import { existsSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { parseBytes } from './lib/bytes.js';
import { parseDurationMs } from './lib/duration.js';
import { EMPTY_ALLOWLIST, parseAllowlist } from './net/egress/allowlist.js';
import { configuredResolver, parseHostsMap } from './net/egress/hosts.js';
import { parseCidr } from './security/addresses.js';

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
const egressAllowlist = list.transform((entries, ctx) => {
  try {
    return parseAllowlist(entries);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});
const egressHosts = list.transform((entries, ctx) => {
  try {
    return parseHostsMap(entries);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});
const ports = list.transform((entries, ctx) =>
  entries.map((entry) => {
    const port = Number(entry);
    if (!Number.isInteger(port) || port < 1 || port > 65535) ctx.addIssue({ code: 'custom', message: `"${entry}" is not a port` });
    return port;
  }),
);
const cidrs = list.superRefine((entries, ctx) => {
  for (const entry of entries) {
    try {
      parseCidr(entry);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
    }
  }
});
const paths = z.string().transform((s, ctx) => {
  if (s.trim() === 'none') return [];
  const entries = s.split(',').map((x) => x.trim()).filter(Boolean);
  for (const p of entries) if (!p.startsWith('/')) ctx.addIssue({ code: 'custom', message: `"${p}" is not a path (paths start with "/"; "none" exempts nothing)` });
  return entries;
});

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
    HEARTH_MAX_MEDIA_BODY_BYTES: bytes.default(64 * 1024 * 1024),
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
    HEARTH_MAX_IMAGE_BYTES: bytes.default(20 * 1024 * 1024),
    HEARTH_MAX_IMAGE_PIXELS: int(1).default(50_000_000),
    HEARTH_MAX_REQUEST_PIXELS: int(1).default(100_000_000),
    HEARTH_COLPALI_MODEL: z.string().optional(),
    /** The ColPali service's own name for the same setting, so its env files work unchanged. */
    COLPALI_MODEL_NAME: z.string().optional(),
    HEARTH_COLPALI_DEFAULT_FORMAT: z.enum(['json', 'npz']).default('json'),
    HEARTH_COLPALI_MAX_INPUTS: int(1).default(64),
    HEARTH_EGRESS_ALLOWLIST: egressAllowlist.default(EMPTY_ALLOWLIST),
    HEARTH_EGRESS_TIMEOUT: durationMs.default(15_000),
    HEARTH_EGRESS_MAX_REDIRECTS: int(0).max(20).default(5),
    HEARTH_EGRESS_PORTS: ports.default([]),
    HEARTH_EGRESS_HOSTS: egressHosts.default(new Map()),
    HEARTH_EGRESS_DNS: bool.default(true),
    HEARTH_LOAD_TIMEOUT: durationMs.default(120_000),
    HEARTH_DRAIN_TIMEOUT: durationMs.default(25_000),
    HEARTH_AUTO_PULL: bool.default(true),
    HEARTH_PULL_WAIT: durationMs.default(60_000),
    HF_ENDPOINT: z.string().url().default('https://huggingface.co'),
    HF_TOKEN: z.string().optional(),
    HEARTH_KEYS_FILE: z.string().optional(),
    HEARTH_AUTH_EXEMPT: paths.default(['/health', '/ready']),
    HEARTH_LOOPBACK_NO_AUTH: bool.default(false),
    HEARTH_ALLOW_UNAUTHENTICATED: bool.default(false),
    HEARTH_IP_ALLOWLIST: cidrs.default([]),
    HEARTH_TRUSTED_PROXIES: cidrs.default([]),
    HEARTH_ALLOWED_HOSTS: list.default([]),
    HEARTH_RATE_LIMIT_RPM: int(0).default(0),
    HEARTH_RATE_LIMIT_TPM: int(0).default(0),
    HEARTH_OCR_IDLE_TIMEOUT: durationMs.default(5_000),
    HEARTH_OCR_JOB_TIMEOUT: durationMs.default(60_000),
    HEARTH_OCR_MAX_SIDE: int(32).default(2000),
    HEARTH_OCR_CONCURRENCY: int(1).default(1),
    HEARTH_OCR_MAX_QUEUE: int(0).default(64),
    HEARTH_OCR_CIRCUIT_OPEN: durationMs.default(10_000),
    HEARTH_OCR_PDF_DPI: int(36).max(600).default(200),
    HEARTH_OCR_MAX_PAGES: int(1).default(100),
    HEARTH_CHROMIUM_PATH: z.string().optional(),
    HEARTH_CRAWL_MAX_PAGES: int(1).default(2),
    HEARTH_CRAWL_MAX_QUEUE: int(0).default(16),
    HEARTH_CRAWL_BROWSER_IDLE: durationMs.default(300_000),
    HEARTH_CRAWL_TIMEOUT: durationMs.default(30_000),
    HEARTH_CRAWL_MAX_TIMEOUT: durationMs.default(120_000),
    HEARTH_CRAWL_ROBOTS: bool.default(true),
    HEARTH_CRAWL_ROBOTS_TTL: durationMs.default(3_600_000),
    HEARTH_CRAWL_DOMAIN_RPS: z.coerce.number().min(0).default(1),
    HEARTH_CRAWL_MAX_RETRIES: int(0).max(10).default(2),
    HEARTH_CRAWL_MAX_RETRY_AFTER: durationMs.default(10_000),
    HEARTH_CRAWL_MAX_HTML_BYTES: bytes.default(16 * 1024 * 1024),
    HEARTH_CRAWL_PERSIST_COOKIES: bool.default(true),
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
      /** Routes that take base64 images or documents (src/http/middleware/body-limit.ts). */
      maxMediaBodyBytes: env.HEARTH_MAX_MEDIA_BODY_BYTES,
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
      images: { maxBytes: env.HEARTH_MAX_IMAGE_BYTES, maxPixels: env.HEARTH_MAX_IMAGE_PIXELS, maxRequestPixels: env.HEARTH_MAX_REQUEST_PIXELS },
      /** POST /embeddings (the ColPali contract): model when the body names none, response format without Accept, input cap (413). */
      colpali: {
        model: env.HEARTH_COLPALI_MODEL ?? env.COLPALI_MODEL_NAME,
        defaultFormat: env.HEARTH_COLPALI_DEFAULT_FORMAT,
        maxInputs: env.HEARTH_COLPALI_MAX_INPUTS,
      },
      /** Every server-side fetch of a client-named URL (src/net/egress). */
      egress: {
        allowlist: env.HEARTH_EGRESS_ALLOWLIST,
        timeoutMs: env.HEARTH_EGRESS_TIMEOUT,
        maxRedirects: env.HEARTH_EGRESS_MAX_REDIRECTS,
        ports: env.HEARTH_EGRESS_PORTS,
        /** HEARTH_EGRESS_HOSTS first, then DNS unless HEARTH_EGRESS_DNS is off. */
        resolver: configuredResolver({ hosts: env.HEARTH_EGRESS_HOSTS, dns: env.HEARTH_EGRESS_DNS }),
      },
      security: {
        keysFile: resolve(env.HEARTH_KEYS_FILE ?? join(dataDir, 'keys.json')),
        authExempt: env.HEARTH_AUTH_EXEMPT,
        loopbackNoAuth: env.HEARTH_LOOPBACK_NO_AUTH,
        allowUnauthenticated: env.HEARTH_ALLOW_UNAUTHENTICATED,
        ipAllowlist: env.HEARTH_IP_ALLOWLIST,
        trustedProxies: env.HEARTH_TRUSTED_PROXIES,
        allowedHosts: env.HEARTH_ALLOWED_HOSTS.map((h) => h.toLowerCase().replace(/\.$/, '')),
        rateLimit: { requestsPerMinute: env.HEARTH_RATE_LIMIT_RPM, tokensPerMinute: env.HEARTH_RATE_LIMIT_TPM },
      },
      /** POST /v1/ocr: the OCR worker process and its limits. */
      ocr: {
        idleTimeoutMs: env.HEARTH_OCR_IDLE_TIMEOUT,
        jobTimeoutMs: env.HEARTH_OCR_JOB_TIMEOUT,
        maxSideLen: env.HEARTH_OCR_MAX_SIDE,
        concurrency: env.HEARTH_OCR_CONCURRENCY,
        maxQueue: env.HEARTH_OCR_MAX_QUEUE,
        circuitOpenMs: env.HEARTH_OCR_CIRCUIT_OPEN,
        pdfDpi: env.HEARTH_OCR_PDF_DPI,
        maxPages: env.HEARTH_OCR_MAX_PAGES,
      },
      /** POST /v1/crawl: the shared headless Chromium and the crawl etiquette. */
      crawl: {
        chromiumPath: env.HEARTH_CHROMIUM_PATH ?? findChromium(),
        maxPages: env.HEARTH_CRAWL_MAX_PAGES,
        maxQueue: env.HEARTH_CRAWL_MAX_QUEUE,
        browserIdleMs: env.HEARTH_CRAWL_BROWSER_IDLE,
        defaultTimeoutMs: env.HEARTH_CRAWL_TIMEOUT,
        maxTimeoutMs: Math.max(env.HEARTH_CRAWL_MAX_TIMEOUT, env.HEARTH_CRAWL_TIMEOUT),
        robots: env.HEARTH_CRAWL_ROBOTS,
        robotsTtlMs: env.HEARTH_CRAWL_ROBOTS_TTL,
        domainRps: env.HEARTH_CRAWL_DOMAIN_RPS,
        maxRetries: env.HEARTH_CRAWL_MAX_RETRIES,
        maxRetryAfterMs: env.HEARTH_CRAWL_MAX_RETRY_AFTER,
        maxHtmlBytes: env.HEARTH_CRAWL_MAX_HTML_BYTES,
        persistCookies: env.HEARTH_CRAWL_PERSIST_COOKIES,
      },
    };
  });

export type Config = z.output<typeof ConfigSchema>;

/**
 * The system Chromium, first that exists; undefined when none (crawl answers 503). Debian's
 * real binary comes before its /usr/bin/chromium wrapper: the wrapper sources /etc/chromium.d,
 * which adds Google API keys and remote extension updates, i.e. a browser that phones home.
 */
function findChromium(): string | undefined {
  return ['/usr/lib/chromium/chromium', '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
}

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

/** For entry points: the one place that hands process.env to the schema. */
export const loadConfigFromEnv = (): Config => loadConfig(process.env);
