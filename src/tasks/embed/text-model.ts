import { Batcher, type BatchResult, type Reservation } from '../../runtime/batcher.js';
import type { RuntimeOptions } from '../../runtime/onnx.js';
import { type WorkerLife, WorkerModel, type WorkerModelHooks, loadWorkerModel, siblingScript } from '../../runtime/worker-model.js';
import type { WorkerThread } from '../../runtime/worker-thread.js';
import type { SettingOverrides } from './model-config.js';
import type { TextWorkerData, TextWorkerInfo } from './text-worker.js';

export interface BatchingOptions {
  maxBatchSize: number;
  maxBatchTokens: number;
  windowMs: number;
  maxQueue: number;
}

export interface TextModelSpec {
  key: string;
  snapshotDir: string;
  onnxFile: string;
  overrides: SettingOverrides;
}

/**
 * A loaded text-embedding model as the HTTP thread sees it: a worker thread that
 * owns the tokenizer and the onnxruntime session, and a batcher in front of it.
 */
export class TextEmbeddingModel extends WorkerModel<TextWorkerInfo> {
  private constructor(key: string, info: TextWorkerInfo, worker: WorkerThread, life: WorkerLife, private readonly batcher: Batcher<Int32Array, Float32Array>) {
    super(key, info, worker, life);
  }

  static load(spec: TextModelSpec, runtime: RuntimeOptions, batching: BatchingOptions, hooks: WorkerModelHooks): Promise<TextEmbeddingModel> {
    const workerData: TextWorkerData = { snapshotDir: spec.snapshotDir, onnxFile: spec.onnxFile, runtime, overrides: spec.overrides };
    return loadWorkerModel({ script: siblingScript(import.meta.url, 'text-worker'), name: `embed:${spec.key}`, key: spec.key, workerData, hooks }, (worker, info: TextWorkerInfo, life) => {
      const batcher = new Batcher<Int32Array, Float32Array>({
        run: async (inputs) => {
          const { vectors, dimensions } = await worker.call<{ vectors: Float32Array; dimensions: number }>('embed', { inputs });
          return inputs.map((_, i) => vectors.subarray(i * dimensions, (i + 1) * dimensions));
        },
        cost: (ids) => ids.length,
        maxBatchSize: batching.maxBatchSize,
        maxBatchCost: batching.maxBatchTokens,
        maxQueue: batching.maxQueue,
        windowMs: batching.windowMs,
        onRun: hooks.onRun,
      });
      return new TextEmbeddingModel(spec.key, info, worker, life, batcher);
    });
  }

  get queued(): number {
    return this.batcher.queued;
  }

  /** Admission: room for `count` inputs in the queue, held until embed(); 503 `overloaded` at once when full. */
  reserve(count: number): Reservation {
    return this.batcher.reserve(count);
  }

  tokenize(texts: string[]): Promise<{ ids: Int32Array[]; fullLengths: number[] }> {
    return this.worker.call('tokenize', { texts });
  }

  embed(inputs: Int32Array[], signal?: AbortSignal, reservation?: Reservation): Promise<BatchResult<Float32Array>> {
    return this.batcher.submit(inputs, signal, reservation);
  }
}
