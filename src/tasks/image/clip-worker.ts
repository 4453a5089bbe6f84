/**
 * Worker-thread entry for one CLIP model: both ONNX sessions, the tokenizer, and the
 * pixel preprocessing (pure JS resampling, too slow for the HTTP thread). Loaded by ClipEmbeddingModel.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { workerData } from 'node:worker_threads';
import { type ClipPreprocessConfig, clipPixelValues, clipPreprocessConfig } from '../../media/image/index.js';
import { type RuntimeOptions, createSession, ort } from '../../runtime/onnx.js';
import { serveWorker } from '../../runtime/worker-thread.js';
import { TextTokenizer } from '../embed/tokenizer.js';

export interface ClipWorkerData {
  snapshotDir: string;
  visionOnnxFile: string;
  textOnnxFile: string;
  runtime: RuntimeOptions;
  maxTokens?: number;
}

export interface ClipWorkerInfo {
  dimensions: number;
  maxTokens: number;
  provider: string;
}

/** Decoded 8-bit pixels as decodeImage gives them; the buffer is transferred, not copied. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3 | 4;
}

const data = workerData as ClipWorkerData;
let tokenizer: TextTokenizer;
let vision: ort.InferenceSession;
let text: ort.InferenceSession;
let preprocess: ClipPreprocessConfig;
let maxTokens: number;

const readJson = (file: string, fallback?: object) =>
  readFile(join(data.snapshotDir, file), 'utf8').then(JSON.parse, (error) => {
    if (fallback) return fallback;
    throw error;
  }) as Promise<Record<string, unknown>>;

async function init(): Promise<{ result: ClipWorkerInfo }> {
  const [tokenizerJson, tokenizerConfig, config, preprocessor] = await Promise.all([
    readJson('tokenizer.json'),
    readJson('tokenizer_config.json', {}),
    readJson('config.json', {}),
    readJson('preprocessor_config.json'),
  ]);
  tokenizer = new TextTokenizer(tokenizerJson, tokenizerConfig);
  preprocess = clipPreprocessConfig(preprocessor);
  // Past max_position_embeddings the text graph has no positions; tokenizers often say a huge model_max_length.
  const positions = (config.text_config as { max_position_embeddings?: number } | undefined)?.max_position_embeddings ?? 77;
  const declared = typeof tokenizerConfig.model_max_length === 'number' ? tokenizerConfig.model_max_length : positions;
  maxTokens = Math.min(data.maxTokens ?? declared, declared, positions);
  const [v, t] = await Promise.all([createSession(join(data.snapshotDir, data.visionOnnxFile), data.runtime), createSession(join(data.snapshotDir, data.textOnnxFile), data.runtime)]);
  vision = v.session;
  text = t.session;
  const probe = await embedTexts({ inputs: [tokenizer.encode('hello', maxTokens).ids] });
  return { result: { dimensions: probe.result.dimensions, maxTokens, provider: v.provider } };
}

function tokenize(payload: { texts: string[] }): { result: { ids: Int32Array[]; fullLengths: number[] }; transfer: ArrayBuffer[] } {
  const encoded = payload.texts.map((t) => tokenizer.encode(t, maxTokens));
  const ids = encoded.map((e) => e.ids);
  return { result: { ids, fullLengths: encoded.map((e) => e.fullLength) }, transfer: ids.map((a) => a.buffer as ArrayBuffer) };
}

type Vectors = { result: { vectors: Float32Array; dimensions: number }; transfer: ArrayBuffer[] };

/** The exported text graph pools at the EOS position itself; padding with the pad id under a zero mask is enough. */
async function embedTexts(payload: { inputs: Int32Array[] }): Promise<Vectors> {
  const batch = payload.inputs.length;
  const seq = Math.max(...payload.inputs.map((ids) => ids.length));
  const inputIds = new BigInt64Array(batch * seq).fill(BigInt(tokenizer.padId));
  const mask = new BigInt64Array(batch * seq);
  payload.inputs.forEach((ids, b) => {
    for (let i = 0; i < ids.length; i++) {
      inputIds[b * seq + i] = BigInt(ids[i]!);
      mask[b * seq + i] = 1n;
    }
  });
  const feeds = { input_ids: new ort.Tensor('int64', inputIds, [batch, seq]), attention_mask: new ort.Tensor('int64', mask, [batch, seq]) };
  return run(text, feeds);
}

async function embedImages(payload: { images: RawImage[] }): Promise<Vectors> {
  const plane = 3 * preprocess.cropHeight * preprocess.cropWidth;
  const pixels = new Float32Array(payload.images.length * plane);
  payload.images.forEach((image, i) => {
    const decoded = { ...image, data: Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), format: 'png' as const, orientationApplied: false };
    pixels.set(clipPixelValues(decoded, preprocess), i * plane);
  });
  return run(vision, { pixel_values: new ort.Tensor('float32', pixels, [payload.images.length, 3, preprocess.cropHeight, preprocess.cropWidth]) });
}

async function run(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Promise<Vectors> {
  const name = session.outputNames.find((n) => n === 'image_embeds' || n === 'text_embeds') ?? session.outputNames[0]!;
  const outputs = await session.run(feeds, [name]);
  const output = outputs[name]!;
  const vectors = Float32Array.from(output.data as Float32Array);
  const dimensions = Number(output.dims[output.dims.length - 1]);
  for (const t of Object.values(outputs)) t.dispose?.();
  return { result: { vectors, dimensions }, transfer: [vectors.buffer as ArrayBuffer] };
}

serveWorker({
  init,
  tokenize,
  embedTexts,
  embedImages,
  release: async () => {
    await Promise.all([vision?.release(), text?.release()]);
    return { result: true };
  },
});
