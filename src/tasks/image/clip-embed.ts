import { invalidRequest } from '../../lib/errors.js';
import { type DecodeImageOptions, type ImageInput, decodeImage, requestBudget } from '../../media/image/index.js';
import { normalizeRows } from '../embed/pooling.js';
import { type Modality, clipItems } from './clip-inputs.js';
import type { ClipEmbeddingModel, RawImage } from './clip-model.js';

/** The part of an embeddings request CLIP reads (EmbeddingService's EmbedRequest fits it). */
export interface ClipEmbedRequest {
  input: unknown;
  modality?: Modality;
  dimensions?: number;
  truncate?: boolean;
  normalize?: 'model' | 'always' | 'never';
  signal?: AbortSignal;
}

export interface ClipEmbedResult {
  vectors: Float32Array[];
  promptTokens: number;
  truncatedInputs: number;
  queueMs: number;
  inferenceMs: number;
}

/**
 * Text and images through one CLIP model, in input order. Images are decoded here (sharp's own
 * threadpool), resampled in the model's worker. Vectors are unit length unless the caller asks for
 * the raw projection ('never'): CLIP vectors are compared by cosine. Images cost 0 prompt tokens.
 */
export async function clipEmbed(
  model: ClipEmbeddingModel,
  request: ClipEmbedRequest,
  limits: { maxInputs: number; maxRequestTokens: number },
  decode: Omit<DecodeImageOptions, 'signal'>,
): Promise<ClipEmbedResult> {
  const items = clipItems(request.input, request.modality, limits.maxInputs);
  const texts = items.filter((i) => i.modality === 'text').map((i) => i.value);
  const images = items.filter((i) => i.modality === 'image').map((i) => i.value);
  const reservation = model.reserve(texts.length, images.length);
  try {
    const maxTokens = model.info.maxTokens;
    const { ids, fullLengths } = texts.length ? await model.tokenize(texts) : { ids: [], fullLengths: [] };
    const truncatedInputs = fullLengths.filter((n) => n > maxTokens).length;
    if (request.truncate === false && truncatedInputs > 0) {
      const n = fullLengths.find((n) => n > maxTokens);
      throw invalidRequest(`a text input is ${n} tokens, over the model's limit of ${maxTokens}; shorten it or allow truncation`, 'input');
    }
    const promptTokens = ids.reduce((sum, a) => sum + a.length, 0);
    if (promptTokens > limits.maxRequestTokens) throw invalidRequest(`request holds ${promptTokens} tokens; at most ${limits.maxRequestTokens} per request`, 'input');
    const budget = requestBudget(decode);
    const pixels = await Promise.all(images.map((image) => decodeRaw(image, { ...decode, budget, signal: request.signal })));
    const [t, i] = await Promise.all([
      ids.length ? model.embedTexts(ids, request.signal, reservation.texts) : undefined,
      pixels.length ? model.embedImages(pixels, request.signal, reservation.images) : undefined,
    ]);
    const next = { text: 0, image: 0 };
    const normalize = request.normalize !== 'never';
    const vectors = items.map((item) => {
      const v = item.modality === 'text' ? t!.outputs[next.text++]! : i!.outputs[next.image++]!;
      const cut = request.dimensions === undefined || request.dimensions === v.length ? v : Float32Array.from(v.subarray(0, request.dimensions));
      return normalize ? normalizeRows(cut, cut.length) : cut;
    });
    return {
      vectors,
      promptTokens,
      truncatedInputs,
      queueMs: Math.max(t?.queueMs ?? 0, i?.queueMs ?? 0),
      inferenceMs: (t?.inferenceMs ?? 0) + (i?.inferenceMs ?? 0),
    };
  } finally {
    reservation.release();
  }
}

/** Decoded pixels in a buffer of their own, so the worker can take it without a copy. */
export async function decodeRaw(input: ImageInput, options: DecodeImageOptions): Promise<RawImage> {
  const image = await decodeImage(input, options);
  const d = image.data;
  const own = d.byteOffset === 0 && d.byteLength === d.buffer.byteLength ? new Uint8Array(d.buffer, 0, d.byteLength) : new Uint8Array(d);
  return { data: own, width: image.width, height: image.height, channels: image.channels };
}
