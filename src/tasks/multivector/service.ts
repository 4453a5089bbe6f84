import { HearthError, invalidRequest } from '../../lib/errors.js';
import { type DecodeImageOptions, requestBudget } from '../../media/image/index.js';
import type { Reservation } from '../../runtime/batcher.js';
import type { ModelPool } from '../../runtime/pool.js';
import type { ModelCatalog } from '../catalog.js';
import { decodeRaw } from '../image/clip-embed.js';
import type { ServedModel } from '../served-model.js';
import { withModel } from '../with-model.js';
import { ColPaliModel, type Multivector } from './colpali-model.js';

export type { Multivector } from './colpali-model.js';
export type InputType = 'text' | 'image';

export interface MultivectorRequest {
  /** Absent: the configured ColPali model, else the manifest's default multivector-embedding model. */
  model?: string;
  inputType: InputType;
  /** Queries, or images as data URLs / bare base64. */
  inputs: string[];
  keepAliveMs?: number;
  signal?: AbortSignal;
}

export interface MultivectorResult {
  model: string;
  modelId: string;
  embeddings: Multivector[];
  promptTokens: number;
  queueMs: number;
  inferenceMs: number;
  loadMs: number;
}

export interface MultivectorLimits {
  /** Inputs per request; more is 413, so a client that halves its batch on 413 recovers. */
  maxInputs: number;
  maxRequestTokens: number;
  /** From config (HEARTH_COLPALI_MODEL). */
  defaultModel?: string;
}

/** ColPali-style late-interaction embeddings: one multivector (a row per token) per query or image. */
export class MultivectorService {
  constructor(
    private readonly catalog: ModelCatalog,
    private readonly pool: ModelPool<ServedModel>,
    private readonly limits: MultivectorLimits,
    /** How image inputs are decoded (image limits; URLs are not taken by this contract). */
    private readonly images: Omit<DecodeImageOptions, 'signal' | 'fetch'>,
  ) {}

  /** The model a request without one is served by, or undefined when none is configured. */
  defaultModel(): string | undefined {
    return this.limits.defaultModel ?? this.catalog.defaultModel('multivector-embedding')?.id;
  }

  async embed(request: MultivectorRequest): Promise<MultivectorResult> {
    const { inputs, inputType } = request;
    if (inputs.length === 0) throw invalidRequest("'inputs' must not be empty", 'inputs');
    if (inputs.length > this.limits.maxInputs) {
      throw new HearthError('payload_too_large', `'inputs' holds ${inputs.length} items; at most ${this.limits.maxInputs} per request (send smaller batches)`, { param: 'inputs' });
    }
    const name = request.model ?? this.defaultModel();
    if (!name) throw new HearthError('model_not_found', 'no multivector-embedding model is configured; set HEARTH_COLPALI_MODEL or add one to models.json', { param: 'model' });
    const resolved = await this.catalog.resolve(name, 'multivector-embedding');
    return withModel(this.pool, resolved.id, ColPaliModel, request.keepAliveMs, async (model, loadMs) => {
      const reservation = model.reserve(inputType, inputs.length);
      try {
        const batch = inputType === 'text' ? await this.queries(model, inputs, request.signal, reservation) : await this.pictures(model, inputs, request.signal, reservation);
        const promptTokens = batch.outputs.reduce((sum, m) => sum + m.rows, 0);
        return { model: name, modelId: resolved.id, embeddings: batch.outputs, promptTokens, queueMs: batch.queueMs, inferenceMs: batch.inferenceMs, loadMs };
      } finally {
        reservation.release();
      }
    });
  }

  private async queries(model: ColPaliModel, texts: string[], signal: AbortSignal | undefined, reservation: Reservation) {
    const { ids } = await model.tokenize(texts);
    const at = ids.findIndex((a) => a.length > model.info.maxTokens);
    if (at >= 0) throw invalidRequest(`inputs[${at}] is ${ids[at]!.length} tokens with the query prompt, over the model's limit of ${model.info.maxTokens}`, 'inputs');
    const tokens = ids.reduce((sum, a) => sum + a.length, 0);
    if (tokens > this.limits.maxRequestTokens) throw invalidRequest(`request holds ${tokens} tokens; at most ${this.limits.maxRequestTokens} per request`, 'inputs');
    return model.embedQueries(ids, signal, reservation);
  }

  private async pictures(model: ColPaliModel, images: string[], signal: AbortSignal | undefined, reservation: Reservation) {
    // The ColPali contract carries images inline (base64 / data URL); a URL is refused, never fetched.
    const budget = requestBudget(this.images);
    const pixels = await Promise.all(images.map((image, i) => decodeRaw(image, { ...this.images, budget, signal }).catch((error: unknown) => Promise.reject(naming(i, error)))));
    return model.embedImages(pixels, signal, reservation);
  }
}

/** A decoding error that says which input it was about. */
function naming(index: number, error: unknown): unknown {
  if (!(error instanceof HearthError)) return error;
  return new HearthError(error.code, `inputs[${index}]: ${error.message}`, { param: 'inputs', retryAfterS: error.retryAfterS, cause: error });
}
