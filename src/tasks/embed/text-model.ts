import { HearthError } from '../../lib/errors.js';
import { Batcher, type BatchResult, type Reservation, type RunStats } from '../../runtime/batcher.js';
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
    private readonly life: { ready: boolean },
  ) {}

  static async load(spec: TextModelSpec, runtime: RuntimeOptions, batching: BatchingOptions, hooks: { onBroken(): void; onRun?(stats: RunStats): void }): Promise<TextEmbeddingModel> {
    const workerData: TextWorkerData = { snapshotDir: spec.snapshotDir, onnxFile: spec.onnxFile, runtime, overrides: spec.overrides };
    // `life.ready`: loaded and not being disposed. Only an exit in that state is a crash; the exit that
    // dispose() causes by terminating the thread is not (it used to be logged as "model worker died").
    const life = { ready: false };
    const worker = new WorkerThread(new URL(`./text-worker${extensionOf(import.meta.url)}`, import.meta.url), {
      name: `embed:${spec.key}`,
      workerData,
      onExit: () => life.ready && hooks.onBroken(),
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
      life.ready = true;
      return new TextEmbeddingModel(spec.key, info, worker, batcher, life);
    } catch (error) {
      await worker.terminate();
      throw new HearthError('model_load_failed', `model ${spec.key} failed to load: ${(error as Error).message}`, { cause: error, retryAfterS: 5 });
    }
  }

  get queued(): number {
    return this.batcher.queued;
  }

  /** False once the worker thread has exited (the pool then drops the model). */
  get alive(): boolean {
    return this.worker.alive;
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

  async dispose(): Promise<void> {
    this.life.ready = false;
    await this.worker.call('release', null).catch(() => undefined);
    await this.worker.terminate();
  }
}

/** ".ts" when running from source under a TS loader, ".js" once built. */
const extensionOf = (url: string): string => (url.endsWith('.ts') ? '.ts' : '.js');
