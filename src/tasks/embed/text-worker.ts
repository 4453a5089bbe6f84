/**
 * Worker-thread entry for one text-embedding model: tokenises and runs
 * inference off the HTTP thread. Loaded by TextEmbeddingModel via WorkerThread.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { workerData } from 'node:worker_threads';
import { type RuntimeOptions, createSession, ort } from '../../runtime/onnx.js';
import { serveWorker } from '../../runtime/worker-thread.js';
import { type SettingOverrides, type TextModelSettings, readTextModelSettings } from './model-config.js';
import { pool } from './pooling.js';
import { TextTokenizer } from './tokenizer.js';

export interface TextWorkerData {
  snapshotDir: string;
  onnxFile: string;
  runtime: RuntimeOptions;
  overrides: SettingOverrides;
}

export interface TextWorkerInfo extends TextModelSettings {
  dimensions: number;
  provider: string;
  inputNames: string[];
  outputNames: string[];
}

const data = workerData as TextWorkerData;
let tokenizer: TextTokenizer;
let session: ort.InferenceSession;
let settings: TextModelSettings;
let outputName: string;
let pooled: boolean;
let info: TextWorkerInfo;

async function init(): Promise<{ result: TextWorkerInfo }> {
  const dir = data.snapshotDir;
  const [tokenizerJson, tokenizerConfig] = await Promise.all([
    readFile(join(dir, 'tokenizer.json'), 'utf8').then(JSON.parse),
    readFile(join(dir, 'tokenizer_config.json'), 'utf8').then(JSON.parse, () => ({})),
  ]);
  tokenizer = new TextTokenizer(tokenizerJson, tokenizerConfig);
  settings = await readTextModelSettings(dir, data.overrides);
  const created = await createSession(join(dir, data.onnxFile), data.runtime);
  session = created.session;
  const names = session.outputNames;
  // Token-level outputs get pooled here; a graph that already pools gives sentence vectors.
  outputName = names.find((n) => n === 'last_hidden_state' || n === 'token_embeddings') ?? names.find((n) => n === 'sentence_embedding') ?? names[0]!;
  pooled = outputName === 'sentence_embedding';
  const probe = await embed({ inputs: [tokenizer.encode('hello', settings.maxTokens).ids] });
  info = {
    ...settings,
    dimensions: probe.result.dimensions,
    provider: created.provider,
    inputNames: [...session.inputNames],
    outputNames: [...names],
  };
  return { result: info };
}

function tokenize(payload: { texts: string[] }): { result: { ids: Int32Array[]; fullLengths: number[] }; transfer: ArrayBuffer[] } {
  const ids: Int32Array[] = [];
  const fullLengths: number[] = [];
  for (const text of payload.texts) {
    const t = tokenizer.encode(text, settings.maxTokens);
    ids.push(t.ids);
    fullLengths.push(t.fullLength);
  }
  return { result: { ids, fullLengths }, transfer: ids.map((a) => a.buffer as ArrayBuffer) };
}

async function embed(payload: { inputs: Int32Array[] }): Promise<{ result: { vectors: Float32Array; dimensions: number }; transfer: ArrayBuffer[] }> {
  const batch = payload.inputs.length;
  const seq = Math.max(...payload.inputs.map((ids) => ids.length));
  const inputIds = new BigInt64Array(batch * seq).fill(BigInt(tokenizer.padId));
  const mask = new BigInt64Array(batch * seq);
  payload.inputs.forEach((ids, b) => {
    for (let t = 0; t < ids.length; t++) {
      inputIds[b * seq + t] = BigInt(ids[t]!);
      mask[b * seq + t] = 1n;
    }
  });
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of session.inputNames) {
    if (name === 'input_ids') feeds[name] = new ort.Tensor('int64', inputIds, [batch, seq]);
    else if (name === 'attention_mask') feeds[name] = new ort.Tensor('int64', mask, [batch, seq]);
    else if (name === 'token_type_ids') feeds[name] = new ort.Tensor('int64', new BigInt64Array(batch * seq), [batch, seq]);
    else throw new Error(`unsupported model input "${name}"`);
  }
  const outputs = await session.run(feeds, [outputName]);
  const output = outputs[outputName]!;
  const raw = output.data as Float32Array;
  const dimensions = Number(output.dims[output.dims.length - 1]);
  const vectors = pooled ? Float32Array.from(raw) : pool(raw, mask, batch, seq, dimensions, settings.pooling);
  for (const t of Object.values(outputs)) t.dispose?.();
  // Normalisation is the caller's choice (the model's Normalize module, Ollama's always/never), made in the service.
  return { result: { vectors, dimensions }, transfer: [vectors.buffer as ArrayBuffer] };
}

serveWorker({
  init,
  tokenize,
  embed,
  release: async () => {
    await session?.release();
    return { result: true };
  },
});
