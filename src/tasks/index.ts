import type { Config } from '../config.js';
import type { Logger } from '../lib/log.js';
import type { Manifest } from '../models/manifest.js';
import { ModelStore } from '../models/store.js';
import type { RunStats } from '../runtime/batcher.js';
import { ModelPool } from '../runtime/pool.js';
import { CaptionModel } from './caption/caption-model.js';
import { CaptionService } from './caption/service.js';
import { ModelCatalog } from './catalog.js';
import { CrawlService } from './crawl/service.js';
import { OcrService } from './ocr/service.js';
import { EmbeddingService } from './embed/service.js';
import { TextEmbeddingModel } from './embed/text-model.js';
import { ClipEmbeddingModel } from './image/clip-model.js';
import { ColPaliModel } from './multivector/colpali-model.js';
import { MultivectorService } from './multivector/service.js';
import { ModelsService } from './models/service.js';
import type { ServedModel } from './served-model.js';
import { type RuntimeStatus, runtimeStatus } from './status.js';
import { gpuMemoryUsedBytes } from '../runtime/device.js';
import type { PoolEvent } from '../runtime/pool.js';
import type { WorkerModelHooks } from '../runtime/worker-model.js';
import { HubClient } from '../models/hub.js';
import { ModelPuller } from '../models/pull.js';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface Tasks {
  catalog: ModelCatalog;
  pool: ModelPool<ServedModel>;
  embeddings: EmbeddingService;
  /** ColPali-style multivectors (POST /embeddings). */
  multivector: MultivectorService;
  models: ModelsService;
  /** POST /v1/images/captions: encoder-decoder captioners. */
  captions: CaptionService;
  /** POST /v1/crawl: the shared headless browser behind the egress proxy. */
  crawl: CrawlService;
  /** POST /v1/ocr: PP-OCR in a supervised worker process. */
  ocr: OcrService;
  /** Ready when the default text model is loaded, or on disk with no failed load since. */
  readiness(): Promise<{ ready: boolean; model: string | null; reason?: string }>;
  /** Device, loaded models, queues, workers and pulls, from memory (no I/O). */
  status(): RuntimeStatus;
  /** GPU memory in use (nvidia-smi), undefined when it cannot be read. */
  gpuMemoryBytes(): Promise<number | undefined>;
  close(): Promise<void>;
}

export interface TaskHooks {
  onBatch?(model: string, stats: RunStats): void;
  onPoolEvent?(event: PoolEvent): void;
  onPull?(outcome: 'success' | 'failed' | 'cancelled'): void;
  /** A worker process (OCR) died without being asked to: a crash, or a kill for a hung job. */
  onWorkerDied?(model: string): void;
}

/** Wires the model catalog, the shared pool and every task service from one Config. */
export function createTasks(config: Config, manifest: Manifest, log: Logger, hooks: TaskHooks = {}): Tasks {
  const store = new ModelStore(config.hubCacheDir);
  const catalog = new ModelCatalog(manifest, store);
  // Resolution happens before acquire, so the loader re-resolves by id (cheap fs checks).
  const resolveById = async (id: string) => {
    const entry = manifest.find(id);
    return catalog.resolve(id, entry?.task ?? (await catalog.taskOf(id)));
  };
  // Every graph the model runs counts against the memory budget (CLIP has two).
  const onnxBytes = async (resolved: Awaited<ReturnType<typeof resolveById>>) => {
    const files = [resolved.onnxFile, resolved.textOnnxFile, resolved.decoderOnnxFile].filter((f): f is string => f !== undefined);
    const sizes = await Promise.all(files.map(async (f) => (await stat(join(resolved.snapshotDir, f))).size));
    return sizes.reduce((a, b) => a + b, 0);
  };
  const pool: ModelPool<ServedModel> = new ModelPool<ServedModel>({
    budgetBytes: config.maxModelMemoryBytes,
    defaultKeepAliveMs: config.keepAliveMs,
    estimateBytes: async (id) => onnxBytes(await resolveById(id)),
    loader: async (id) => {
      const resolved = await resolveById(id);
      const modelHooks = {
        onBroken: () => {
          log.error({ model: id }, 'model worker died; unloading');
          pool.invalidate(id);
        },
        onRun: (stats: RunStats) => {
          log.debug({ model: id, batch_size: stats.size, padded_tokens: stats.paddedCost, tokens: stats.realCost, ms: Math.round(stats.ms * 100) / 100, queued: stats.queued }, 'batch');
          hooks.onBatch?.(id, stats);
        },
      };
      const loading = loadServedModel(id, resolved, config, modelHooks);
      const model = await withTimeout(loading, config.loadTimeoutMs, `loading ${id} took longer than ${config.loadTimeoutMs} ms`);
      return { value: model, sizeBytes: await onnxBytes(resolved), dispose: () => model.dispose() };
    },
    onEvent: (event) => {
      hooks.onPoolEvent?.(event);
      if (event.type === 'load_failed') {
        failedLoads.set(event.key, (event.error as Error).message);
        log.error({ model: event.key, err: event.error }, 'model load failed');
        return;
      }
      if (event.type === 'load') failedLoads.delete(event.key);
      log.info({ ...event, model: event.key, key: undefined }, `model ${event.type}`);
    },
  });
  const failedLoads = new Map<string, string>();
  const embeddings = new EmbeddingService(catalog, pool, config.limits, { ...config.images, fetch: config.egress });
  const multivector = new MultivectorService(
    catalog,
    pool,
    { maxInputs: config.colpali.maxInputs, maxRequestTokens: config.limits.maxRequestTokens, defaultModel: config.colpali.model },
    config.images,
  );
  const captions = new CaptionService(catalog, pool, { maxInputs: config.limits.maxInputs }, { ...config.images, fetch: config.egress });
  const puller = new ModelPuller({ store, hub: new HubClient({ endpoint: config.hub.endpoint, token: config.hub.token }), log });
  const models = new ModelsService(catalog, pool, puller, log, { defaultKeepAliveMs: config.keepAliveMs, onPullEnd: hooks.onPull });
  if (config.hub.autoPull) catalog.enableAutoPull((entry) => models.pullForRequest(entry), config.hub.pullWaitMs);
  const readiness = async () => {
    const entry = catalog.defaultModel('text-embedding');
    if (!entry) return { ready: false, model: null, reason: 'no text-embedding model in the manifest' };
    if (pool.has(entry.id)) return { ready: true, model: entry.id };
    const failure = failedLoads.get(entry.id);
    if (failure) return { ready: false, model: entry.id, reason: `last load failed: ${failure}` };
    // On disk only: a readiness probe must never start a download.
    const onDisk = await store.resolveComplete(entry.id, entry.revision, entry.files);
    return onDisk ? { ready: true, model: entry.id } : { ready: false, model: entry.id, reason: `${entry.id} is not downloaded` };
  };
  const ocr = new OcrService(catalog, config.ocr, config.runtime, { ...config.images, fetch: config.egress }, (model, event) => {
    if (event.type === 'exit' && !event.expected) {
      log.warn({ model, ...event }, 'OCR worker died');
      hooks.onWorkerDied?.(model);
    }
    else log.debug({ model, ...event }, `OCR worker ${event.type}`);
  });
  const status = () => ({ ...runtimeStatus({ entries: pool.list(), handle: (key) => pool.peek(key), pulls: models.pulls(), runtime: config.runtime }), ocrWorkers: ocr.status(), browser: crawl.status().browser });
  const crawl = new CrawlService(config.crawl, config.egress, log);
  const close = async () => {
    await Promise.all([pool.close(), ocr.close()]);
  };
  return { catalog, pool, embeddings, multivector, models, captions, crawl, ocr, readiness, status, gpuMemoryBytes: () => gpuMemoryUsedBytes(), close };
}

/** The worker-backed model a resolved task needs; a text embedder unless the files say otherwise. */
function loadServedModel(key: string, resolved: Awaited<ReturnType<ModelCatalog['resolve']>>, config: Config, hooks: WorkerModelHooks): Promise<ServedModel> {
  const { snapshotDir, onnxFile, textOnnxFile, entry } = resolved;
  if (resolved.task === 'image-caption') return CaptionModel.load({ key, snapshotDir }, config.runtime, config.batching, hooks);
  if (resolved.task === 'multivector-embedding' && textOnnxFile) {
    return ColPaliModel.load({ key, snapshotDir, imageOnnxFile: onnxFile, textOnnxFile, maxTokens: entry?.max_tokens }, config.runtime, config.batching, hooks);
  }
  if (resolved.task === 'image-embedding' && textOnnxFile) {
    return ClipEmbeddingModel.load({ key, snapshotDir, visionOnnxFile: onnxFile, textOnnxFile, maxTokens: entry?.max_tokens }, config.runtime, config.batching, hooks);
  }
  const overrides = { pooling: entry?.pooling, normalize: entry?.normalize, maxTokens: entry?.max_tokens };
  return TextEmbeddingModel.load({ key, snapshotDir, onnxFile, overrides }, config.runtime, config.batching, hooks);
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
