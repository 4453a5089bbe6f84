import { HearthError } from '../../lib/errors.js';
import { Batcher, type BatchResult, type RunStats } from '../../runtime/batcher.js';
import type { RuntimeOptions } from '../../runtime/onnx.js';
import { WorkerThread } from '../../runtime/worker-thread.js';
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
export class TextEmbeddingModel {
  private constructor(
    readonly key: string,
    readonly info: TextWorkerInfo,
    private readonly worker: WorkerThread,
    private readonly batcher: Batcher<Int32Array, Float32Array>,
  ) {}

  static async load(spec: TextModelSpec, runtime: RuntimeOptions, batching: BatchingOptions, hooks: { onBroken(): void; onRun?(stats: RunStats): void }): Promise<TextEmbeddingModel> {
    const workerData: TextWorkerData = { snapshotDir: spec.snapshotDir, onnxFile: spec.onnxFile, runtime, overrides: spec.overrides };
    let ready = false;
    const worker = new WorkerThread(new URL(`./text-worker${extensionOf(import.meta.url)}`, import.meta.url), {
      name: `embed:${spec.key}`,
      workerData,
      onExit: () => ready && hooks.onBroken(),
    });
    try {
      const info = await worker.call<TextWorkerInfo>('init', null);
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
      ready = true;
      return new TextEmbeddingModel(spec.key, info, worker, batcher);
    } catch (error) {
      await worker.terminate();
      throw new HearthError('model_load_failed', `model ${spec.key} failed to load: ${(error as Error).message}`, { cause: error, retryAfterS: 5 });
    }
  }

  get queued(): number {
    return this.batcher.queued;
  }

  tokenize(texts: string[]): Promise<{ ids: Int32Array[]; fullLengths: number[] }> {
    return this.worker.call('tokenize', { texts });
  }

  embed(inputs: Int32Array[], signal?: AbortSignal): Promise<BatchResult<Float32Array>> {
    return this.batcher.submit(inputs, signal);
  }

  async dispose(): Promise<void> {
    await this.worker.call('release', null).catch(() => undefined);
    await this.worker.terminate();
  }
}

/** ".ts" when running from source under a TS loader, ".js" once built. */
const extensionOf = (url: string): string => (url.endsWith('.ts') ? '.ts' : '.js');
