import { LRUCache } from 'lru-cache';
import { HearthError, invalidRequest } from '../lib/errors.js';
import { CAPTION_GRAPHS, type Manifest, type ManifestEntry, type Task } from '../models/manifest.js';
import { isPlausibleModelName, isValidRepoId, printable } from '../models/model-id.js';
import type { ModelStore } from '../models/store.js';

export interface ResolvedModel {
  /** Hub repo id: the pool key and cache folder. */
  id: string;
  task: Task;
  entry: ManifestEntry | undefined;
  snapshotDir: string;
  onnxFile: string;
  /** image-embedding and multivector-embedding: the text/query graph (onnxFile is the vision/image graph). */
  textOnnxFile?: string;
  /** image-caption: the merged decoder graph (onnxFile is the encoder). */
  decoderOnnxFile?: string;
}

/** Files that make a cached repo we have no manifest entry for servable as a text embedder. */
const TEXT_ONNX_CANDIDATES = ['onnx/model.onnx', 'model.onnx', 'onnx/model_quantized.onnx'];
/** A cached repo with both of transformers.js' CLIP graphs (and a tokenizer) is servable as image-embedding. */
const CLIP_GRAPHS = { vision: 'onnx/vision_model.onnx', text: 'onnx/text_model.onnx' } as const;
/** A cached repo with the two ColPali graphs (make_tiny_colpali.py's layout) is servable as multivector-embedding. */
const COLPALI_GRAPHS = { image: 'onnx/image_model.onnx', text: 'onnx/text_model.onnx' } as const;

/**
 * Turns the name a client sent into a model on disk: a manifest id or alias,
 * or any hub repo already in the cache whose files are recognisable.
 */
export class ModelCatalog {
  /**
   * Resolving touches the filesystem (refs, realpath of every file) and was the
   * largest cost on the HTTP thread under load, so hits are kept briefly; the
   * store's writers call forget(), and the TTL covers changes made behind our back.
   */
  private readonly resolved = new LRUCache<string, ResolvedModel>({ max: 512, ttl: 30_000 });

  private autoPull?: { pull(entry: ManifestEntry): Promise<unknown>; waitMs: number };

  constructor(
    readonly manifest: Manifest,
    readonly store: ModelStore,
  ) {}

  /**
   * Download on first use: a request for a manifest model that is not on disk
   * starts (or joins) its pull and waits up to waitMs; past that it gets 503
   * model_loading with Retry-After while the pull goes on.
   */
  enableAutoPull(pull: (entry: ManifestEntry) => Promise<unknown>, waitMs: number): void {
    this.autoPull = { pull, waitMs };
  }

  async resolve(name: string, task: Task): Promise<ResolvedModel> {
    const key = `${task}\0${name}`;
    const hit = this.resolved.get(key);
    if (hit) return hit;
    const found = await this.resolveOnDisk(name, task);
    this.resolved.set(key, found);
    return found;
  }

  /**
   * For /v1/embeddings, which serves both embedding tasks: the manifest entry's task, else
   * image-embedding for a cached repo holding the CLIP graphs, else text-embedding.
   */
  async resolveEmbedding(name: string): Promise<ResolvedModel> {
    return this.resolve(name, await this.embeddingTask(name));
  }

  async embeddingTask(name: string): Promise<Task> {
    const entry = this.manifest.find(name);
    if (entry) return entry.task === 'image-embedding' ? 'image-embedding' : 'text-embedding';
    // A resolution kept in the LRU answers without touching the filesystem again.
    for (const task of ['image-embedding', 'text-embedding'] as const) if (this.resolved.has(`${task}\0${name}`)) return task;
    const id = name.replace(/:latest$/i, '');
    if (!isPlausibleModelName(name) || !isValidRepoId(id)) return 'text-embedding';
    return (await this.cachedClip(id)) ? 'image-embedding' : 'text-embedding';
  }

  /** Any model's task, for the pool's loader: the manifest's, else what the cached files are. */
  async taskOf(id: string): Promise<Task> {
    const entry = this.manifest.find(id);
    if (entry) return entry.task;
    if (this.resolved.has(`multivector-embedding\0${id}`)) return 'multivector-embedding';
    const task = await this.embeddingTask(id);
    if (task === 'text-embedding' && isValidRepoId(id) && (await this.cachedColPali(id))) return 'multivector-embedding';
    if (task === 'text-embedding' && isValidRepoId(id) && (await this.cachedCaptioner(id))) return 'image-caption';
    return task;
  }

  private async cachedClip(id: string): Promise<string | undefined> {
    return this.cachedWith(id, ['tokenizer.json', CLIP_GRAPHS.vision, CLIP_GRAPHS.text]);
  }

  private async cachedColPali(id: string): Promise<string | undefined> {
    return this.cachedWith(id, ['tokenizer.json', COLPALI_GRAPHS.image, COLPALI_GRAPHS.text]);
  }

  /** A cached VisionEncoderDecoder repo in transformers.js' layout (both graphs, tokenizer, image processor). */
  private async cachedCaptioner(id: string): Promise<string | undefined> {
    return this.cachedWith(id, ['tokenizer.json', 'preprocessor_config.json', CAPTION_GRAPHS.encoder, CAPTION_GRAPHS.decoder]);
  }

  private async cachedWith(id: string, files: string[]): Promise<string | undefined> {
    const snapshotDir = await this.store.snapshotDir(id);
    if (!snapshotDir) return undefined;
    for (const file of files) if (!(await this.store.filePath(snapshotDir, file))) return undefined;
    return snapshotDir;
  }

  /** Drops cached resolutions of a model after it was imported, pulled or deleted. */
  forget(id?: string): void {
    if (id === undefined) return this.resolved.clear();
    for (const [key, value] of this.resolved.entries()) if (value.id === id) this.resolved.delete(key);
  }

  private async resolveOnDisk(name: string, task: Task): Promise<ResolvedModel> {
    if (!isPlausibleModelName(name)) throw invalidRequest(`invalid model name "${printable(name)}"`, 'model');
    const entry = this.manifest.find(name);
    if (entry) {
      if (entry.task !== task) throw this.notFound(name, task, `model "${entry.id}" is a ${entry.task} model, not ${task}`);
      let snapshotDir = await this.store.resolveComplete(entry.id, entry.revision, entry.files);
      if (!snapshotDir && this.autoPull) {
        await this.waitForPull(entry, this.autoPull);
        snapshotDir = await this.store.resolveComplete(entry.id, entry.revision, entry.files);
      }
      if (!snapshotDir) {
        throw new HearthError('model_not_downloaded', `model "${entry.id}" is not downloaded; run \`hearth pull ${entry.id}\` or import it with \`hearth import <dir> --as ${entry.id}\``, {
          param: 'model',
        });
      }
      const decoder = task === 'image-caption' ? { decoderOnnxFile: CAPTION_GRAPHS.decoder } : {};
      return { id: entry.id, task, entry, snapshotDir, onnxFile: entry.onnx, textOnnxFile: entry.onnx_text, ...decoder };
    }
    const id = name.replace(/:latest$/i, '');
    // A name with a slash is a hub id: a malformed one is a bad request, not an unknown model.
    if (id.includes('/') && !isValidRepoId(id)) throw invalidRequest(`invalid model id "${printable(name)}": expected "org/name"`, 'model');
    if (task === 'text-embedding' && isValidRepoId(id)) {
      const snapshotDir = await this.store.snapshotDir(id);
      if (snapshotDir && (await this.store.filePath(snapshotDir, 'tokenizer.json'))) {
        for (const onnxFile of TEXT_ONNX_CANDIDATES) {
          if (await this.store.filePath(snapshotDir, onnxFile)) return { id, task, entry: undefined, snapshotDir, onnxFile };
        }
      }
    }
    if (task === 'image-embedding' && isValidRepoId(id)) {
      const snapshotDir = await this.cachedClip(id);
      if (snapshotDir) return { id, task, entry: undefined, snapshotDir, onnxFile: CLIP_GRAPHS.vision, textOnnxFile: CLIP_GRAPHS.text };
    }
    if (task === 'multivector-embedding' && isValidRepoId(id)) {
      const snapshotDir = await this.cachedColPali(id);
      if (snapshotDir) return { id, task, entry: undefined, snapshotDir, onnxFile: COLPALI_GRAPHS.image, textOnnxFile: COLPALI_GRAPHS.text };
    }
    if (task === 'image-caption' && isValidRepoId(id)) {
      const snapshotDir = await this.cachedCaptioner(id);
      if (snapshotDir) return { id, task, entry: undefined, snapshotDir, onnxFile: CAPTION_GRAPHS.encoder, decoderOnnxFile: CAPTION_GRAPHS.decoder };
    }
    throw this.notFound(name, task);
  }

  /** Names served for a task: manifest ids and aliases. */
  available(task: Task): string[] {
    return this.manifest.namesFor(task);
  }

  defaultModel(task: Task): ManifestEntry | undefined {
    return this.manifest.defaultFor(task);
  }

  private async waitForPull(entry: ManifestEntry, auto: { pull(entry: ManifestEntry): Promise<unknown>; waitMs: number }): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const pulling = auto.pull(entry);
    pulling.catch(() => undefined);
    const deadline = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), auto.waitMs);
    });
    try {
      if ((await Promise.race([pulling, deadline])) === 'late') {
        throw new HearthError('model_loading', `model "${entry.id}" is being downloaded; retry shortly`, { param: 'model', retryAfterS: 10 });
      }
    } finally {
      clearTimeout(timer);
    }
  }

  private notFound(name: string, task: Task, reason?: string): HearthError {
    const names = this.available(task);
    return new HearthError('model_not_found', `${reason ?? `model "${printable(name)}" not found`}; available ${task} models: ${names.join(', ') || 'none'}`, {
      param: 'model',
    });
  }
}
