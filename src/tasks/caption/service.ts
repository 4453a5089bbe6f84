import { HearthError, invalidRequest } from '../../lib/errors.js';
import { type DecodeImageOptions, type ImageInput, requestBudget } from '../../media/image/index.js';
import type { ModelPool } from '../../runtime/pool.js';
import type { ModelCatalog } from '../catalog.js';
import { decodeRaw } from '../image/clip-embed.js';
import type { ServedModel } from '../served-model.js';
import { withModel } from '../with-model.js';
import { CaptionModel } from './caption-model.js';
import { type GeneratedRow, tokenBudget } from './generation.js';

export interface CaptionRequest {
  /** The name the client sent (id or alias); the manifest's default captioner when absent. */
  model?: string;
  images: ImageInput[];
  /** Text the caption must start with: its tokens are forced after the decoder start token. */
  prompt?: string;
  maxTokens?: number;
  keepAliveMs?: number;
  signal?: AbortSignal;
}

export interface CaptionResult {
  /** The name the client sent, or the default model's id. */
  model: string;
  modelId: string;
  captions: GeneratedRow[];
  /** Prompt tokens forced into the decoder, summed over the images. */
  promptTokens: number;
  completionTokens: number;
  queueMs: number;
  inferenceMs: number;
  loadMs: number;
}

export interface CaptionLimits {
  /** Images per request (HEARTH_MAX_INPUTS). */
  maxInputs: number;
}

/** Image captions (encoder-decoder generation): validates, decodes, batches; knows nothing of HTTP. */
export class CaptionService {
  constructor(
    private readonly catalog: ModelCatalog,
    private readonly pool: ModelPool<ServedModel>,
    private readonly limits: CaptionLimits,
    /** How images are decoded and URL images fetched (image limits + egress). */
    private readonly decode: Omit<DecodeImageOptions, 'signal' | 'budget'> & { maxRequestPixels?: number },
  ) {}

  async caption(request: CaptionRequest): Promise<CaptionResult> {
    const { images } = request;
    if (images.length === 0) throw invalidRequest("send an image: 'image' or 'images' (JSON) or an 'image' file (multipart)", 'image');
    if (images.length > this.limits.maxInputs) throw invalidRequest(`the request holds ${images.length} images; at most ${this.limits.maxInputs}`, 'images');
    const name = request.model ?? this.catalog.defaultModel('image-caption')?.id;
    if (!name) throw new HearthError('model_not_found', 'no image-caption model is configured; name one in "model"', { param: 'model' });
    const resolved = await this.catalog.resolve(name, 'image-caption');

    return withModel(this.pool, resolved.id, CaptionModel, request.keepAliveMs, async (model, loadMs) => {
      const reservation = model.reserve(images.length);
      try {
        const prompt = request.prompt ? await model.tokenize(request.prompt) : [];
        const { budget, limit } = tokenBudget(request.maxTokens, model.info, prompt.length);
        if (limit < 1) throw invalidRequest(`the prompt is ${prompt.length} tokens: no room is left in the model's ${model.info.maxPositions} positions`, 'prompt');
        if (request.maxTokens !== undefined && request.maxTokens > limit) {
          throw invalidRequest(`'max_tokens' must be at most ${limit} for this model${prompt.length ? ' and prompt' : ''}, got ${request.maxTokens}`, 'max_tokens');
        }
        const budgetPixels = requestBudget(this.decode);
        const decoded = await Promise.all(images.map((image) => decodeRaw(image, { ...this.decode, budget: budgetPixels, signal: request.signal })));
        const items = decoded.map((image) => ({ image, prompt, maxNewTokens: budget }));
        const batch = await model.caption(items, request.signal, reservation);
        const completionTokens = batch.outputs.reduce((sum, row) => sum + row.generated, 0);
        return {
          model: request.model ?? resolved.id,
          modelId: resolved.id,
          captions: batch.outputs,
          promptTokens: prompt.length * images.length,
          completionTokens,
          queueMs: batch.queueMs,
          inferenceMs: batch.inferenceMs,
          loadMs,
        };
      } finally {
        reservation.release();
      }
    });
  }
}
