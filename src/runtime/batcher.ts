import { HearthError } from '../lib/errors.js';

export interface BatcherOptions<I, O> {
  /** Runs one batch; returns one output per item, in order. */
  run(items: I[]): Promise<O[]>;
  /** Cost of one item (tokens); a run's padded cost is max(cost) × count. */
  cost(item: I): number;
  maxBatchSize: number;
  maxBatchCost: number;
  /** Items waiting (not yet running) above which new work is refused with 503. */
  maxQueue: number;
  /** Extra time to wait for company when the runner is idle; 0 = next tick. */
  windowMs: number;
  onRun?: (stats: RunStats) => void;
}

export interface RunStats {
  size: number;
  paddedCost: number;
  realCost: number;
  ms: number;
  queued: number;
}

export interface Reservation {
  /** Gives the room back (idempotent); submit() does it itself. */
  release(): void;
}

export interface BatchResult<O> {
  outputs: O[];
  queueMs: number;
  inferenceMs: number;
}

interface Job<O> {
  outputs: O[];
  remaining: number;
  submitted: number;
  firstDispatch?: number;
  inferenceMs: number;
  done: boolean;
  resolve(result: BatchResult<O>): void;
  reject(error: unknown): void;
}

interface Slot<I, O> {
  item: I;
  cost: number;
  index: number;
  job: Job<O>;
}

/**
 * Merges concurrent requests for one model into runs. While a run is in flight,
 * new work queues; when the runner frees up, the next run is cut from the queue:
 * it always contains the oldest waiting item (so nothing starves) and is filled
 * with the queued items closest to it in length (so little padding is wasted),
 * bounded by a batch size and a padded-token budget. Big requests are split
 * across runs; each caller gets its own outputs back in order.
 */
export class Batcher<I, O> {
  private queue: Slot<I, O>[] = [];
  private running = false;
  private scheduled = false;
  /** Room held by admitted requests that are still being prepared. */
  private reserved = 0;

  constructor(private readonly options: BatcherOptions<I, O>) {}

  get queued(): number {
    return this.queue.length;
  }

  /**
   * Admission before the costly preparation (tokenising): holds room for `count` items in the queue, or
   * throws 503 `overloaded` at once, so a full server refuses in well under a millisecond and a request
   * it admitted is never refused later. Pass the reservation to submit(), or release() it if the request
   * fails before.
   */
  reserve(count: number): Reservation {
    if (this.queue.length + this.reserved + count > this.options.maxQueue) throw overloaded();
    this.reserved += count;
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.reserved -= count;
      },
    };
  }

  submit(items: I[], signal?: AbortSignal, reservation?: Reservation): Promise<BatchResult<O>> {
    const admitted = reservation !== undefined;
    reservation?.release();
    if (items.length === 0) return Promise.resolve({ outputs: [], queueMs: 0, inferenceMs: 0 });
    if (signal?.aborted) return Promise.reject(clientClosed());
    if (!admitted && this.queue.length + this.reserved + items.length > this.options.maxQueue) return Promise.reject(overloaded());
    return new Promise<BatchResult<O>>((resolve, reject) => {
      const job: Job<O> = {
        outputs: new Array<O>(items.length),
        remaining: items.length,
        submitted: performance.now(),
        inferenceMs: 0,
        done: false,
        resolve,
        reject,
      };
      const onAbort = () => this.fail(job, clientClosed());
      signal?.addEventListener('abort', onAbort, { once: true });
      const finish = () => signal?.removeEventListener('abort', onAbort);
      job.resolve = (r) => (finish(), resolve(r));
      job.reject = (e) => (finish(), reject(e));
      items.forEach((item, index) => this.queue.push({ item, index, job, cost: this.options.cost(item) }));
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running || this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    const go = () => {
      this.scheduled = false;
      void this.drain();
    };
    if (this.options.windowMs > 0) setTimeout(go, this.options.windowMs);
    else setImmediate(go);
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0) await this.runOnce(this.cut());
    } finally {
      this.running = false;
    }
  }

  /** Picks the next run and removes it from the queue. */
  private cut(): Slot<I, O>[] {
    const { maxBatchSize, maxBatchCost } = this.options;
    const oldest = this.queue[0]!;
    const byCloseness = this.queue
      .slice(1)
      .map((slot, order) => ({ slot, order }))
      .sort((a, b) => Math.abs(a.slot.cost - oldest.cost) - Math.abs(b.slot.cost - oldest.cost) || a.order - b.order);
    const chosen = [oldest];
    let maxCost = Math.max(1, oldest.cost);
    for (const { slot } of byCloseness) {
      if (chosen.length >= maxBatchSize) break;
      const nextMax = Math.max(maxCost, slot.cost);
      if (nextMax * (chosen.length + 1) > maxBatchCost) continue;
      chosen.push(slot);
      maxCost = nextMax;
    }
    const taken = new Set(chosen);
    this.queue = this.queue.filter((s) => !taken.has(s));
    return chosen.sort((a, b) => a.cost - b.cost);
  }

  private async runOnce(slots: Slot<I, O>[]): Promise<void> {
    const live = slots.filter((s) => !s.job.done);
    if (live.length === 0) return;
    const started = performance.now();
    for (const s of live) s.job.firstDispatch ??= started;
    let outputs: O[];
    try {
      outputs = await this.options.run(live.map((s) => s.item));
      if (outputs.length !== live.length) throw new Error(`runner returned ${outputs.length} outputs for ${live.length} items`);
    } catch (error) {
      for (const job of new Set(live.map((s) => s.job))) this.fail(job, error);
      return;
    }
    const ms = performance.now() - started;
    this.reportRun({
      size: live.length,
      paddedCost: Math.max(...live.map((s) => s.cost)) * live.length,
      realCost: live.reduce((sum, s) => sum + s.cost, 0),
      ms,
      queued: this.queue.length,
    });
    const touched = new Set<Job<O>>();
    live.forEach((slot, i) => {
      if (slot.job.done) return;
      slot.job.outputs[slot.index] = outputs[i]!;
      slot.job.remaining -= 1;
      touched.add(slot.job);
    });
    const finished: Job<O>[] = [];
    for (const job of touched) {
      job.inferenceMs += ms;
      if (job.remaining === 0) {
        job.done = true;
        finished.push(job);
      }
    }
    this.settleInTurns(finished, started);
  }

  /**
   * Hands finished jobs back one event-loop turn at a time. Each caller's
   * continuation (shaping vectors, serialising JSON, writing the response) then
   * runs in its own turn, with I/O polled in between, so a run that finishes 32
   * requests at once does not hold the HTTP thread for all 32 responses in a row.
   */
  private settleInTurns(jobs: Job<O>[], started: number): void {
    const next = (i: number) => {
      const job = jobs[i];
      if (!job) return;
      job.resolve({ outputs: job.outputs, queueMs: (job.firstDispatch ?? started) - job.submitted, inferenceMs: job.inferenceMs });
      if (i + 1 < jobs.length) setImmediate(() => next(i + 1));
    };
    next(0);
  }

  /** Observers must never break the run loop: a throwing hook is ignored. */
  private reportRun(stats: RunStats): void {
    try {
      this.options.onRun?.(stats);
    } catch {
      /* metrics/logging failure is not the callers' problem */
    }
  }

  /** Fails a job and drops whatever of it is still queued, so no inference runs for it. */
  private fail(job: Job<O>, error: unknown): void {
    if (job.done) return;
    job.done = true;
    this.queue = this.queue.filter((s) => s.job !== job);
    job.reject(error);
  }
}

const clientClosed = () => new HearthError('client_closed', 'client closed the request');
const overloaded = () => new HearthError('overloaded', 'server is overloaded: the queue is full, retry shortly', { retryAfterS: 1 });
