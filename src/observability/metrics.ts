import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One inference run, as the batcher reports it (a subset of runtime's RunStats). */
export interface BatchRun {
  size: number;
  paddedCost: number;
  ms: number;
}

/** Model lifecycle, as the pool reports it (a subset of runtime's PoolEvent). */
export type ModelEvent = { type: 'load'; key: string; ms: number } | { type: 'load_failed'; key: string } | { type: 'unload'; key: string; reason: string };

export type PullOutcome = 'success' | 'failed' | 'cancelled';

export interface MetricsOptions {
  /** Process metrics (CPU, memory, event loop lag, GC) under the hearth_ prefix; off in unit tests. */
  defaultMetrics?: boolean;
}

/**
 * The process's Prometheus registry. Lower layers never see prom-client: the
 * HTTP middleware and the task hooks call these methods, and gauges that
 * describe current state read it from a source at scrape time.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'endpoint' | 'status'>;
  private readonly requestDuration: Histogram<'endpoint'>;
  private readonly activeRequests: Gauge;
  private readonly loadDuration: Histogram<'model'>;
  private readonly inferenceDuration: Histogram<'model'>;
  private readonly modelsLoaded: Gauge<'model'>;
  private readonly batchSize: Histogram<'model'>;
  private readonly batchTokens: Histogram<'model'>;
  private readonly workerRestarts: Counter<'model'>;
  private readonly pulls: Counter<'status'>;
  private queueSource: () => Array<{ model: string; queued: number }> = () => [];
  private gpuSource?: () => Promise<number | undefined>;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'api_requests_total', help: 'HTTP requests answered, by route pattern and status', labelNames: ['endpoint', 'status'], registers });
    this.requestDuration = new Histogram({
      name: 'api_request_duration_seconds',
      help: 'Time to answer a request (to the response headers for streams), by route pattern',
      labelNames: ['endpoint'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.activeRequests = new Gauge({ name: 'active_requests', help: 'Requests in flight', registers });
    this.loadDuration = new Histogram({
      name: 'model_load_duration_seconds',
      help: 'Time to load a model (worker start, session creation, warm-up run)',
      labelNames: ['model'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    });
    this.inferenceDuration = new Histogram({
      name: 'model_inference_duration_seconds',
      help: 'Time of one inference run (one batch)',
      labelNames: ['model'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.modelsLoaded = new Gauge({ name: 'models_loaded', help: '1 while the model is loaded, 0 once it was unloaded', labelNames: ['model'], registers });
    const queueDepth: Gauge<'model'> = new Gauge({
      name: 'queue_depth',
      help: 'Inputs waiting in the batcher for a run',
      labelNames: ['model'],
      registers,
      collect: () => {
        queueDepth.reset();
        for (const q of this.queueSource()) queueDepth.set({ model: q.model }, q.queued);
      },
    });
    this.batchSize = new Histogram({ name: 'batch_size', help: 'Inputs per inference run', labelNames: ['model'], buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256], registers });
    this.batchTokens = new Histogram({
      name: 'batch_tokens',
      help: 'Padded tokens per inference run (longest input × inputs)',
      labelNames: ['model'],
      buckets: [16, 64, 256, 1024, 4096, 16384, 65536],
      registers,
    });
    this.workerRestarts = new Counter({ name: 'worker_restarts_total', help: 'Model workers that died; the model reloads on its next request', labelNames: ['model'], registers });
    this.pulls = new Counter({ name: 'model_pulls_total', help: 'Model downloads finished, by outcome', labelNames: ['status'], registers });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'hearth_' });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  requestStarted(): void {
    this.activeRequests.inc();
  }

  requestFinished(endpoint: string, status: number, seconds: number): void {
    this.activeRequests.dec();
    this.requests.inc({ endpoint, status: String(status) });
    this.requestDuration.observe({ endpoint }, seconds);
  }

  // Arrow properties: handed to the task layer as plain callbacks.
  readonly onBatch = (model: string, run: BatchRun): void => {
    this.inferenceDuration.observe({ model }, run.ms / 1000);
    this.batchSize.observe({ model }, run.size);
    this.batchTokens.observe({ model }, run.paddedCost);
  };

  readonly onPoolEvent = (event: ModelEvent): void => {
    if (event.type === 'load') {
      this.loadDuration.observe({ model: event.key }, event.ms / 1000);
      this.modelsLoaded.set({ model: event.key }, 1);
    } else if (event.type === 'unload') {
      this.modelsLoaded.set({ model: event.key }, 0);
      if (event.reason === 'invalidated') this.workerRestarts.inc({ model: event.key });
    }
  };

  /** A model's worker process died unasked (OCR): counted with the worker threads that died. */
  readonly onWorkerDied = (model: string): void => {
    this.workerRestarts.inc({ model });
  };

  readonly onPull = (outcome: PullOutcome): void => {
    this.pulls.inc({ status: outcome });
  };

  /** Where queue_depth reads the batchers' waiting inputs at scrape time. */
  trackQueues(source: () => Array<{ model: string; queued: number }>): void {
    this.queueSource = source;
  }

  /** Registers gpu_memory_used_bytes; called once a model runs on CUDA, so CPU servers never expose it. */
  trackGpuMemory(source: () => Promise<number | undefined>): void {
    if (this.gpuSource) return;
    this.gpuSource = source;
    const gauge: Gauge = new Gauge({
      name: 'gpu_memory_used_bytes',
      help: 'GPU memory in use on the devices this process sees (nvidia-smi)',
      registers: [this.registry],
      collect: async () => {
        const used = await source().catch(() => undefined);
        if (used === undefined) gauge.reset();
        else gauge.set(used);
      },
    });
  }
}
