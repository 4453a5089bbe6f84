/**
 * Worker-thread entry for one ColPali-family model: both ONNX graphs (image and query), the
 * tokenizer, the processor's prompt construction and the pixel preprocessing. Loaded by ColPaliModel.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { workerData } from 'node:worker_threads';
import { type FixedSizePreprocessConfig, SIGLIP_DEFAULTS, fixedSizePixelValues, fixedSizePreprocessConfig } from '../../media/image/index.js';
import { type RuntimeOptions, createSession, ort } from '../../runtime/onnx.js';
import { serveWorker } from '../../runtime/worker-thread.js';
import type { RawImage } from '../image/clip-worker.js';
import { ColPaliPrompt } from './colpali-prompt.js';

export interface ColPaliWorkerData {
  snapshotDir: string;
  imageOnnxFile: string;
  textOnnxFile: string;
  runtime: RuntimeOptions;
  maxTokens?: number;
}

export interface ColPaliWorkerInfo {
  dimensions: number;
  /** Longest query (prompt tokens included) the model takes. */
  maxTokens: number;
  /** Vectors per image: the image tokens plus the visual prompt. */
  imageTokens: number;
  provider: string;
}

/** Multivectors of one run, rows of all inputs back to back; lengths[i] rows belong to input i. */
export interface Multivectors {
  vectors: Float32Array;
  lengths: number[];
  dimensions: number;
}

const data = workerData as ColPaliWorkerData;
let prompt: ColPaliPrompt;
let imageGraph: ort.InferenceSession;
let textGraph: ort.InferenceSession;
let preprocess: FixedSizePreprocessConfig;
let maxTokens: number;

const readJson = (file: string) => readFile(join(data.snapshotDir, file), 'utf8').then((t) => JSON.parse(t) as Record<string, unknown>, () => undefined);

async function init(): Promise<{ result: ColPaliWorkerInfo }> {
  const [tokenizerJson, tokenizerConfig, config, preprocessor, processor] = await Promise.all(
    ['tokenizer.json', 'tokenizer_config.json', 'config.json', 'preprocessor_config.json', 'processor_config.json'].map(readJson),
  );
  if (!tokenizerJson) throw new Error('tokenizer.json is missing');
  prompt = new ColPaliPrompt({ tokenizerJson, tokenizerConfig, processor, preprocessor });
  preprocess = fixedSizePreprocessConfig(prompt.imageProcessor, SIGLIP_DEFAULTS);
  const text = (config?.vlm_config as { text_config?: { max_position_embeddings?: number } } | undefined)?.text_config;
  const positions = text?.max_position_embeddings ?? 8192;
  maxTokens = Math.min(data.maxTokens ?? positions, positions);
  const [i, t] = await Promise.all([createSession(join(data.snapshotDir, data.imageOnnxFile), data.runtime), createSession(join(data.snapshotDir, data.textOnnxFile), data.runtime)]);
  imageGraph = i.session;
  textGraph = t.session;
  const probe = await embedQueries({ inputs: tokenize({ texts: ['hello'] }).result.ids });
  return { result: { dimensions: probe.result.dimensions, maxTokens, imageTokens: prompt.imageIds.length, provider: i.provider } };
}

function tokenize(payload: { texts: string[] }): { result: { ids: Int32Array[] }; transfer: ArrayBuffer[] } {
  const ids = payload.texts.map((t) => prompt.query(t));
  return { result: { ids }, transfer: ids.map((a) => a.buffer as ArrayBuffer) };
}

type Reply = { result: Multivectors; transfer: ArrayBuffer[] };

/** Right padding under a zero mask: the graph attends bidirectionally, so real tokens never see it. */
async function embedQueries(payload: { inputs: Int32Array[] }): Promise<Reply> {
  const { inputIds, mask, lengths, seq } = pack(payload.inputs);
  const batch = payload.inputs.length;
  return run(textGraph, { input_ids: new ort.Tensor('int64', inputIds, [batch, seq]), attention_mask: new ort.Tensor('int64', mask, [batch, seq]) }, lengths);
}

async function embedImages(payload: { images: RawImage[] }): Promise<Reply> {
  const batch = payload.images.length;
  const plane = 3 * preprocess.height * preprocess.width;
  const pixels = new Float32Array(batch * plane);
  payload.images.forEach((image, i) => {
    const decoded = { ...image, data: Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), format: 'png' as const, orientationApplied: false };
    pixels.set(fixedSizePixelValues(decoded, preprocess), i * plane);
  });
  const { inputIds, mask, lengths, seq } = pack(payload.images.map(() => prompt.imageIds));
  return run(
    imageGraph,
    {
      input_ids: new ort.Tensor('int64', inputIds, [batch, seq]),
      attention_mask: new ort.Tensor('int64', mask, [batch, seq]),
      pixel_values: new ort.Tensor('float32', pixels, [batch, 3, preprocess.height, preprocess.width]),
    },
    lengths,
  );
}

function pack(inputs: Int32Array[]) {
  const seq = Math.max(...inputs.map((ids) => ids.length));
  const inputIds = new BigInt64Array(inputs.length * seq).fill(BigInt(prompt.padId));
  const mask = new BigInt64Array(inputs.length * seq);
  inputs.forEach((ids, b) => {
    for (let i = 0; i < ids.length; i++) {
      inputIds[b * seq + i] = BigInt(ids[i]!);
      mask[b * seq + i] = 1n;
    }
  });
  return { inputIds, mask, lengths: inputs.map((ids) => ids.length), seq };
}

/** Keeps each input's rows under mask 1 (its first lengths[i] rows) and drops the batch padding. */
async function run(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, lengths: number[]): Promise<Reply> {
  const outputs = await session.run(feeds, ['embeddings']);
  const output = outputs.embeddings!;
  const [, seq, dim] = output.dims.map(Number) as [number, number, number];
  const all = output.data as Float32Array;
  const vectors = new Float32Array(lengths.reduce((a, b) => a + b, 0) * dim);
  let at = 0;
  lengths.forEach((n, b) => {
    vectors.set(all.subarray(b * seq * dim, (b * seq + n) * dim), at);
    at += n * dim;
  });
  for (const t of Object.values(outputs)) t.dispose?.();
  return { result: { vectors, lengths, dimensions: dim }, transfer: [vectors.buffer as ArrayBuffer] };
}

serveWorker({
  init,
  tokenize,
  embedQueries,
  embedImages,
  release: async () => {
    await Promise.all([imageGraph?.release(), textGraph?.release()]);
    return { result: true };
  },
});
