import { Batcher, type BatchResult, type Reservation } from '../../runtime/batcher.js';
import type { RuntimeOptions } from '../../runtime/onnx.js';
import { type WorkerLife, WorkerModel, type WorkerModelHooks, loadWorkerModel, siblingScript } from '../../runtime/worker-model.js';
import type { WorkerThread } from '../../runtime/worker-thread.js';
import type { BatchingOptions } from '../embed/text-model.js';
import type { RawImage } from '../image/clip-worker.js';
import type { CaptionWorkerData, CaptionWorkerInfo, GenerateRequest } from './caption-worker.js';
import type { GeneratedRow } from './generation.js';

export interface CaptionModelSpec {
  key: string;
  snapshotDir: string;
}

/** One image to caption: its pixels, the prompt tokens forced after the decoder start, its token budget. */
export interface CaptionItem {
  image: RawImage;
  prompt: number[];
  maxNewTokens: number;
}

/**
 * A loaded captioner as the HTTP thread sees it: one worker thread running transformers.js'
 * generation, and a batcher that merges concurrent requests. Items of one run that share a prompt
 * are generated together (greedy, up to the largest budget, each cut to its own); different
 * prompts run one after another inside the run, since their decoder inputs differ in length.
 */
export class CaptionModel extends WorkerModel<CaptionWorkerInfo> {
  readonly kind = 'caption' as const;

  private constructor(key: string, info: CaptionWorkerInfo, worker: WorkerThread, life: WorkerLife, private readonly batcher: Batcher<CaptionItem, GeneratedRow>) {
    super(key, info, worker, life);
  }

  static load(spec: CaptionModelSpec, runtime: RuntimeOptions, batching: BatchingOptions, hooks: WorkerModelHooks): Promise<CaptionModel> {
    const workerData: CaptionWorkerData = { snapshotDir: spec.snapshotDir, runtime };
    return loadWorkerModel({ script: siblingScript(import.meta.url, 'caption-worker'), name: `caption:${spec.key}`, key: spec.key, workerData, hooks }, (worker, info: CaptionWorkerInfo, life) => {
      const batcher = new Batcher<CaptionItem, GeneratedRow>({
        run: (items) => runGrouped(worker, items),
        cost: () => 1,
        maxBatchSize: batching.maxBatchSize,
        maxBatchCost: batching.maxBatchSize,
        maxQueue: batching.maxQueue,
        windowMs: batching.windowMs,
        onRun: hooks.onRun,
      });
      return new CaptionModel(spec.key, info, worker, life, batcher);
    });
  }

  get queued(): number {
    return this.batcher.queued;
  }

  /** Admission before decoding: 503 `overloaded` at once when the queue is full. */
  reserve(images: number): Reservation {
    return this.batcher.reserve(images);
  }

  /** The prompt's tokens (no special tokens), for forcing after the decoder start token. */
  tokenize(text: string): Promise<number[]> {
    return this.worker.call('tokenize', { text });
  }

  /** Each image's pixel buffer must be its own ArrayBuffer: it is transferred to the worker. */
  caption(items: CaptionItem[], signal?: AbortSignal, reservation?: Reservation): Promise<BatchResult<GeneratedRow>> {
    return this.batcher.submit(items, signal, reservation);
  }
}

/** One worker call per distinct prompt, outputs back in item order. */
async function runGrouped(worker: WorkerThread, items: CaptionItem[]): Promise<GeneratedRow[]> {
  const groups = new Map<string, number[]>();
  items.forEach((item, i) => {
    const key = item.prompt.join(',');
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const out: GeneratedRow[] = new Array(items.length);
  for (const indices of groups.values()) {
    const group = indices.map((i) => items[i]!);
    const request: GenerateRequest = { images: group.map((g) => g.image), prompt: group[0]!.prompt, maxNewTokens: group.map((g) => g.maxNewTokens) };
    const rows = await worker.call<GeneratedRow[]>('generate', request, group.map((g) => g.image.data.buffer as ArrayBuffer));
    indices.forEach((itemIndex, k) => (out[itemIndex] = rows[k]!));
  }
  return out;
}
