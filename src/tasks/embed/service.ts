import { invalidRequest } from '../../lib/errors.js';
import type { DecodeImageOptions } from '../../media/image/index.js';
import type { ModelPool } from '../../runtime/pool.js';
import type { ModelCatalog } from '../catalog.js';
import { clipEmbed } from '../image/clip-embed.js';
import { ClipEmbeddingModel } from '../image/clip-model.js';
import type { Modality } from '../image/clip-inputs.js';
import type { ServedModel } from '../served-model.js';
import { withModel } from '../with-model.js';
import { inputsToTexts } from './inputs.js';
import { TextEmbeddingModel } from './text-model.js';
import { normalizeRows } from './pooling.js';

export interface EmbedRequest {
  /** The name the client sent (id or alias); echoed back. */
  model: string;
  input: unknown;
  dimensions?: number;
  /** Default true: over-long inputs are cut to the model's limit. false: they are an error. */
  truncate?: boolean;
  /** Ollama keep_alive in ms (0 unload after, negative forever); undefined = server default. */
  keepAliveMs?: number;
  /**
   * 'model' (default): unit length when the model's sentence-transformers config ends in Normalize;
   * 'always': Ollama's /api/embed; 'never': Ollama's legacy /api/embeddings (raw pooled vector).
   */
  normalize?: 'model' | 'always' | 'never';
  /** Image-embedding models only: 'image' makes every item an image (Infinity's convention). */
  modality?: Modality;
  signal?: AbortSignal;
}

export interface EmbedResult {
  model: string;
  modelId: string;
  vectors: Float32Array[];
  promptTokens: number;
  truncatedInputs: number;
  queueMs: number;
  inferenceMs: number;
  loadMs: number;
}

export interface EmbedLimits {
  maxInputs: number;
  maxRequestTokens: number;
}

/** Text and CLIP embeddings: validates, tokenises, batches and shapes vectors; knows nothing of HTTP. */
export class EmbeddingService {
  constructor(
    private readonly catalog: ModelCatalog,
    private readonly pool: ModelPool<ServedModel>,
    private readonly limits: EmbedLimits,
    /** How image inputs are decoded and fetched (image limits + egress). */
    private readonly images: Omit<DecodeImageOptions, 'signal'>,
  ) {}

  preload(name: string, keepAliveMs?: number): Promise<{ modelId: string; loadMs: number }> {
    return preload(this.catalog, this.pool, name, keepAliveMs);
  }

  async embed(request: EmbedRequest): Promise<EmbedResult> {
    if ((await this.catalog.embeddingTask(request.model)) === 'image-embedding') return this.embedClip(request);
    const texts = request.modality === 'image' ? [] : await inputsToTexts(request.input, request.model, this.limits.maxInputs);
    const resolved = await this.catalog.resolve(request.model, 'text-embedding');
    // After resolution, so an unknown model is a 404 whatever the inputs.
    if (request.modality === 'image') throw invalidRequest("modality 'image' needs an image-embedding model (e.g. clip)", 'modality');
    const knownDims = resolved.entry?.dimensions;
    if (request.dimensions !== undefined && knownDims !== undefined) checkDimensions(request.dimensions, knownDims);

    return withModel(this.pool, resolved.id, TextEmbeddingModel, request.keepAliveMs, async (model, loadMs) => {
      if (request.dimensions !== undefined) checkDimensions(request.dimensions, model.info.dimensions);
      // Admission first: a full queue refuses before any tokenising; the room is held until embed().
      const reservation = model.reserve(texts.length);
      try {
        const { ids, fullLengths } = await model.tokenize(texts);
        const maxTokens = model.info.maxTokens;
        const truncatedInputs = fullLengths.filter((n) => n > maxTokens).length;
        if (request.truncate === false && truncatedInputs > 0) {
          const at = fullLengths.findIndex((n) => n > maxTokens);
          throw invalidRequest(`input[${at}] is ${fullLengths[at]} tokens, over the model's limit of ${maxTokens}; shorten it or allow truncation`, 'input');
        }
        const promptTokens = ids.reduce((sum, a) => sum + a.length, 0);
        if (promptTokens > this.limits.maxRequestTokens) {
          throw invalidRequest(`request holds ${promptTokens} tokens; at most ${this.limits.maxRequestTokens} per request`, 'input');
        }
        const batch = await model.embed(ids, request.signal, reservation);
        const policy = request.normalize ?? 'model';
        const normalize = policy === 'always' || (policy === 'model' && model.info.normalize);
        const vectors = batch.outputs.map((v) => shape(v, request.dimensions, normalize));
        return {
          model: request.model,
          modelId: resolved.id,
          vectors,
          promptTokens,
          truncatedInputs,
          queueMs: batch.queueMs,
          inferenceMs: batch.inferenceMs,
          loadMs,
        };
      } finally {
        reservation.release();
      }
    });
  }

  private async embedClip(request: EmbedRequest): Promise<EmbedResult> {
    const resolved = await this.catalog.resolve(request.model, 'image-embedding');
    if (request.dimensions !== undefined && resolved.entry?.dimensions !== undefined) checkDimensions(request.dimensions, resolved.entry.dimensions);
    return withModel(this.pool, resolved.id, ClipEmbeddingModel, request.keepAliveMs, async (model, loadMs) => {
      if (request.dimensions !== undefined) checkDimensions(request.dimensions, model.info.dimensions);
      const result = await clipEmbed(model, request, this.limits, this.images);
      return { ...result, model: request.model, modelId: resolved.id, loadMs };
    });
  }
}

/** Loading without inputs: Ollama clients preload with an empty request; keep_alive 0 unloads instead. */
export async function preload(catalog: ModelCatalog, pool: ModelPool<ServedModel>, name: string, keepAliveMs: number | undefined): Promise<{ modelId: string; loadMs: number }> {
  const resolved = await catalog.resolveEmbedding(name);
  if (keepAliveMs === 0) {
    await pool.unload(resolved.id);
    return { modelId: resolved.id, loadMs: 0 };
  }
  const started = performance.now();
  const lease = await pool.acquire(resolved.id);
  lease.release(keepAliveMs);
  return { modelId: resolved.id, loadMs: performance.now() - started };
}

function checkDimensions(requested: number, available: number): void {
  if (!Number.isInteger(requested) || requested < 1 || requested > available) {
    throw invalidRequest(`'dimensions' must be an integer from 1 to ${available} for this model, got ${requested}`, 'dimensions');
  }
}

/** Matryoshka-style truncation keeps the first n dimensions; normalisation happens after the cut. */
function shape(vector: Float32Array, dimensions: number | undefined, normalize: boolean): Float32Array {
  const cut = dimensions === undefined || dimensions === vector.length ? vector : Float32Array.from(vector.subarray(0, dimensions));
  // Each vector is its caller's own slice of the run's output, so normalising in place is safe.
  return normalize ? normalizeRows(cut, cut.length) : cut;
}
