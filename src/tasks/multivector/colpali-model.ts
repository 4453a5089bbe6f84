import { Batcher, type BatchResult, type Reservation } from '../../runtime/batcher.js';
import type { RuntimeOptions } from '../../runtime/onnx.js';
import { type WorkerLife, WorkerModel, type WorkerModelHooks, loadWorkerModel, siblingScript } from '../../runtime/worker-model.js';
import type { WorkerThread } from '../../runtime/worker-thread.js';
import type { BatchingOptions } from '../embed/text-model.js';
import type { RawImage } from '../image/clip-worker.js';
import type { ColPaliWorkerData, ColPaliWorkerInfo, Multivectors } from './colpali-worker.js';

export interface ColPaliModelSpec {
  key: string;
  snapshotDir: string;
  imageOnnxFile: string;
  textOnnxFile: string;
  maxTokens?: number;
}

/** One input's multivector: `rows` unit vectors of `dimensions`, row-major. */
export interface Multivector {
  data: Float32Array;
  rows: number;
  dimensions: number;
}

const split = ({ vectors, lengths, dimensions }: Multivectors): Multivector[] => {
  let at = 0;
  return lengths.map((rows) => {
    const data = vectors.subarray(at, (at += rows * dimensions));
    return { data, rows, dimensions };
  });
};

/**
 * A loaded ColPali-family model as the HTTP thread sees it: one worker thread owning the image and the
 * query graph, and a batcher per input type (as ClipEmbeddingModel). Both batchers count tokens: an
 * image is image_seq_length + prompt tokens of sequence, so a run of them is bounded like text.
 */
export class ColPaliModel extends WorkerModel<ColPaliWorkerInfo> {
  readonly kind = 'colpali' as const;

  private constructor(
    key: string,
    info: ColPaliWorkerInfo,
    worker: WorkerThread,
    life: WorkerLife,
    private readonly queries: Batcher<Int32Array, Multivector>,
    private readonly images: Batcher<RawImage, Multivector>,
  ) {
    super(key, info, worker, life);
  }

  static load(spec: ColPaliModelSpec, runtime: RuntimeOptions, batching: BatchingOptions, hooks: WorkerModelHooks): Promise<ColPaliModel> {
    const workerData: ColPaliWorkerData = { snapshotDir: spec.snapshotDir, imageOnnxFile: spec.imageOnnxFile, textOnnxFile: spec.textOnnxFile, runtime, maxTokens: spec.maxTokens };
    return loadWorkerModel({ script: siblingScript(import.meta.url, 'colpali-worker'), name: `colpali:${spec.key}`, key: spec.key, workerData, hooks }, (worker, info: ColPaliWorkerInfo, life) => {
      const common = { maxBatchSize: batching.maxBatchSize, maxQueue: batching.maxQueue, windowMs: batching.windowMs, onRun: hooks.onRun };
      const queries = new Batcher<Int32Array, Multivector>({
        ...common,
        run: async (inputs) => split(await worker.call<Multivectors>('embedQueries', { inputs })),
        cost: (ids) => ids.length,
        maxBatchCost: batching.maxBatchTokens,
      });
      const images = new Batcher<RawImage, Multivector>({
        ...common,
        run: async (inputs) => split(await worker.call<Multivectors>('embedImages', { images: inputs }, inputs.map((i) => i.data.buffer as ArrayBuffer))),
        cost: () => info.imageTokens,
        // At least one image per run, however long its sequence.
        maxBatchCost: Math.max(batching.maxBatchTokens, info.imageTokens),
      });
      return new ColPaliModel(spec.key, info, worker, life, queries, images);
    });
  }

  get queued(): number {
    return this.queries.queued + this.images.queued;
  }

  /** Admission (503 `overloaded` when the queue is full), before any decoding or tokenising. */
  reserve(type: 'text' | 'image', count: number): Reservation {
    return (type === 'text' ? this.queries : this.images).reserve(count);
  }

  tokenize(texts: string[]): Promise<{ ids: Int32Array[] }> {
    return this.worker.call('tokenize', { texts });
  }

  embedQueries(ids: Int32Array[], signal?: AbortSignal, reservation?: Reservation): Promise<BatchResult<Multivector>> {
    return this.queries.submit(ids, signal, reservation);
  }

  /** Each image's pixel buffer must be its own ArrayBuffer: it is transferred to the worker. */
  embedImages(images: RawImage[], signal?: AbortSignal, reservation?: Reservation): Promise<BatchResult<Multivector>> {
    return this.images.submit(images, signal, reservation);
  }
}
