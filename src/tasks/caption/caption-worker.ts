/**
 * Worker-thread entry for one image captioner (VisionEncoderDecoder, e.g. ViT-GPT2): transformers.js
 * owns the two graphs (encoder_model.onnx, decoder_model_merged.onnx) and the greedy loop with its
 * key/value cache; pixels come from Hearth's own decoder and ViT preprocessing, never from
 * transformers.js' image loading (it would read a string as a path or URL). Loaded by CaptionModel.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { workerData } from 'node:worker_threads';
import { type FixedSizePreprocessConfig, VIT_DEFAULTS, fixedSizePixelValues, fixedSizePreprocessConfig } from '../../media/image/index.js';
import { cudaListed } from '../../runtime/device.js';
import type { RuntimeOptions } from '../../runtime/onnx.js';
import { niceCurrentThread } from '../../runtime/thread-priority.js';
import { serveWorker } from '../../runtime/worker-thread.js';
import type { RawImage } from '../image/clip-worker.js';
import { type GeneratedRow, cutGenerated } from './generation.js';

export interface CaptionWorkerData {
  snapshotDir: string;
  runtime: RuntimeOptions;
}

export interface CaptionWorkerInfo {
  provider: string;
  decoderStartId: number;
  eosIds: number[];
  /** generation_config's max_new_tokens, when it sets one. */
  maxNewTokens?: number;
  /** generation_config's max_length (decoder start and prompt included). */
  maxLength: number;
  /** The decoder's position limit: prompt + generated tokens must fit. */
  maxPositions: number;
}

export interface GenerateRequest {
  images: RawImage[];
  /** Tokens forced after the decoder start token (a prompt), [] for none. */
  prompt: number[];
  /** Per image: its caller's token budget (the run generates up to the largest). */
  maxNewTokens: number[];
}

// transformers.js is loaded here only: the HTTP thread never pays for it.
type Transformers = typeof import('@huggingface/transformers');
type Model = Awaited<ReturnType<Transformers['VisionEncoderDecoderModel']['from_pretrained']>>;
type Tokenizer = Awaited<ReturnType<Transformers['AutoTokenizer']['from_pretrained']>>;

const data = workerData as CaptionWorkerData;
let hf: Transformers;
let model: Model;
let tokenizer: Tokenizer;
let preprocess: FixedSizePreprocessConfig;
let info: CaptionWorkerInfo;

const readJson = (file: string, fallback?: object) =>
  readFile(join(data.snapshotDir, file), 'utf8').then(JSON.parse, (error) => {
    if (fallback) return fallback;
    throw error;
  }) as Promise<Record<string, unknown>>;

async function init(): Promise<{ result: CaptionWorkerInfo }> {
  hf = await import('@huggingface/transformers');
  // Local files only: no hub, no cache writes, no browser cache; quiet (the server's stdout is JSON logs).
  Object.assign(hf.env, { allowRemoteModels: false, allowLocalModels: true, useFSCache: false, useBrowserCache: false, logLevel: hf.LogLevel.ERROR });
  const [config, generation, preprocessor] = await Promise.all([readJson('config.json'), readJson('generation_config.json', {}), readJson('preprocessor_config.json')]);
  preprocess = fixedSizePreprocessConfig(preprocessor, VIT_DEFAULTS);
  const decoder = (config.decoder ?? {}) as Record<string, unknown>;
  const num = (...values: unknown[]) => values.find((v): v is number => typeof v === 'number');
  const eos = generation.eos_token_id ?? config.eos_token_id ?? decoder.eos_token_id;
  const decoderStartId = num(generation.decoder_start_token_id, config.decoder_start_token_id, generation.bos_token_id, decoder.bos_token_id);
  if (decoderStartId === undefined) throw new Error('config has no decoder_start_token_id');
  const eosIds = (Array.isArray(eos) ? eos : [eos]).filter((v): v is number => typeof v === 'number');

  niceCurrentThread(data.runtime.inferenceNice);
  const session_options = {
    intraOpNumThreads: data.runtime.intraOpThreads,
    interOpNumThreads: data.runtime.interOpThreads,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
  const load = (device: 'cpu' | 'cuda') =>
    hf.VisionEncoderDecoderModel.from_pretrained(data.snapshotDir, { local_files_only: true, dtype: 'fp32', device, session_options: session_options as never });
  const wantsCuda = data.runtime.device === 'cuda' || (data.runtime.device === 'auto' && cudaListed());
  let provider = 'cpu';
  if (wantsCuda) {
    try {
      model = await load('cuda');
      provider = 'cuda';
    } catch (error) {
      if (data.runtime.device === 'cuda') throw error;
    }
  }
  model ??= await load('cpu');
  tokenizer = await hf.AutoTokenizer.from_pretrained(data.snapshotDir, { local_files_only: true });
  info = {
    provider,
    decoderStartId,
    eosIds,
    maxNewTokens: num(generation.max_new_tokens),
    // Older checkpoints keep generation settings in config.json; transformers' own default is 20.
    maxLength: num(generation.max_length, config.max_length, decoder.max_length) ?? 20,
    maxPositions: num(decoder.n_positions, decoder.max_position_embeddings) ?? 1024,
  };
  return { result: info };
}

function tokenize(payload: { text: string }): { result: number[] } {
  return { result: tokenizer.encode(payload.text, { add_special_tokens: false }) };
}

/** Greedy captions for one batch sharing a prompt; each row cut at its first end-of-sequence token. */
async function generate(payload: GenerateRequest): Promise<{ result: GeneratedRow[] }> {
  const { images, prompt, maxNewTokens } = payload;
  const plane = 3 * preprocess.height * preprocess.width;
  const pixels = new Float32Array(images.length * plane);
  images.forEach((image, i) => {
    const decoded = { ...image, data: Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), format: 'png' as const, orientationApplied: false };
    pixels.set(fixedSizePixelValues(decoded, preprocess), i * plane);
  });
  const start = [info.decoderStartId, ...prompt];
  const output = (await model.generate({
    pixel_values: new hf.Tensor('float32', pixels, [images.length, 3, preprocess.height, preprocess.width]),
    decoder_input_ids: images.map(() => start),
    max_new_tokens: Math.max(...maxNewTokens),
    // Greedy whatever generation_config.json asks for (some captioners ship num_beams 4).
    do_sample: false,
    num_beams: 1,
  } as never)) as InstanceType<Transformers['Tensor']>;
  const rows = (output.tolist() as bigint[][]).map((row) => row.map(Number));
  const result = rows.map((row, i) => {
    const cut = cutGenerated(row, start.length, info.eosIds, maxNewTokens[i]!);
    return { ...cut, caption: tokenizer.decode(cut.ids, { skip_special_tokens: true }) };
  });
  output.dispose?.();
  return { result };
}

serveWorker({
  init,
  tokenize,
  generate,
  release: async () => {
    await model?.dispose();
    return { result: true };
  },
});
