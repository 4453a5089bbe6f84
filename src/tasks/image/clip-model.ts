import { Batcher, type BatchResult, type Reservation } from '../../runtime/batcher.js';
import type { RuntimeOptions } from '../../runtime/onnx.js';
import { type WorkerLife, WorkerModel, type WorkerModelHooks, loadWorkerModel, siblingScript } from '../../runtime/worker-model.js';
import type { WorkerThread } from '../../runtime/worker-thread.js';
import type { BatchingOptions } from '../embed/text-model.js';
import type { ClipWorkerData, ClipWorkerInfo, RawImage } from './clip-worker.js';

export type { RawImage } from './clip-worker.js';

export interface ClipModelSpec {
  key: string;
  snapshotDir: string;
  visionOnnxFile: string;
  textOnnxFile: string;
  maxTokens?: number;
}

export interface ClipReservation extends Reservation {
  texts?: Reservation;
  images?: Reservation;
}

type Vectors = { vectors: Float32Array; dimensions: number };
const split = (inputs: unknown[], { vectors, dimensions }: Vectors) => inputs.map((_, i) => vectors.subarray(i * dimensions, (i + 1) * dimensions));

/**
 * A loaded CLIP model as the HTTP thread sees it: one worker thread owning both graphs, and a
 * batcher per modality. Two batchers, not one with a tag: each run feeds one graph anyway, and
 * their costs differ in kind (tokens for text, images for pixels), so one budget would fit neither.
 * The worker answers one call at a time, so the two never run inference at once.
 */
export class ClipEmbeddingModel extends WorkerModel<ClipWorkerInfo> {
  readonly kind = 'clip' as const;

  private constructor(
    key: string,
    info: ClipWorkerInfo,
    worker: WorkerThread,
    life: WorkerLife,
    private readonly texts: Batcher<Int32Array, Float32Array>,
    private readonly images: Batcher<RawImage, Float32Array>,
  ) {
    super(key, info, worker, life);
  }

  static load(spec: ClipModelSpec, runtime: RuntimeOptions, batching: BatchingOptions, hooks: WorkerModelHooks): Promise<ClipEmbeddingModel> {
    const workerData: ClipWorkerData = { snapshotDir: spec.snapshotDir, visionOnnxFile: spec.visionOnnxFile, textOnnxFile: spec.textOnnxFile, runtime, maxTokens: spec.maxTokens };
    return loadWorkerModel({ script: siblingScript(import.meta.url, 'clip-worker'), name: `clip:${spec.key}`, key: spec.key, workerData, hooks }, (worker, info: ClipWorkerInfo, life) => {
      const common = { maxBatchSize: batching.maxBatchSize, maxQueue: batching.maxQueue, windowMs: batching.windowMs, onRun: hooks.onRun };
      const texts = new Batcher<Int32Array, Float32Array>({
        ...common,
        run: async (inputs) => split(inputs, await worker.call<Vectors>('embedTexts', { inputs })),
        cost: (ids) => ids.length,
        maxBatchCost: batching.maxBatchTokens,
      });
      const images = new Batcher<RawImage, Float32Array>({
        ...common,
        run: async (inputs) => split(inputs, await worker.call<Vectors>('embedImages', { images: inputs }, inputs.map((i) => i.data.buffer as ArrayBuffer))),
        cost: () => 1,
        maxBatchCost: batching.maxBatchSize,
      });
      return new ClipEmbeddingModel(spec.key, info, worker, life, texts, images);
    });
  }

  get queued(): number {
    return this.texts.queued + this.images.queued;
  }

  /** Admission for both queues at once: all or nothing, 503 `overloaded` when either is full. */
  reserve(texts: number, images: number): ClipReservation {
    const held: ClipReservation = { release: () => [held.texts, held.images].forEach((r) => r?.release()) };
    try {
      if (texts > 0) held.texts = this.texts.reserve(texts);
      if (images > 0) held.images = this.images.reserve(images);
      return held;
    } catch (error) {
      held.release();
      throw error;
    }
  }

  tokenize(texts: string[]): Promise<{ ids: Int32Array[]; fullLengths: number[] }> {
    return this.worker.call('tokenize', { texts });
  }

  embedTexts(ids: Int32Array[], signal?: AbortSignal, reservation?: Reservation): Promise<BatchResult<Float32Array>> {
    return this.texts.submit(ids, signal, reservation);
  }

  /** Each image's pixel buffer must be its own ArrayBuffer: it is transferred to the worker. */
  embedImages(images: RawImage[], signal?: AbortSignal, reservation?: Reservation): Promise<BatchResult<Float32Array>> {
    return this.images.submit(images, signal, reservation);
  }
}
