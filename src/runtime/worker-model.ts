import { HearthError } from '../lib/errors.js';
import type { RunStats } from './batcher.js';
import { WorkerThread } from './worker-thread.js';

export interface WorkerModelHooks {
  /** The worker died while the model was loaded (the pool then drops it). */
  onBroken(): void;
  onRun?(stats: RunStats): void;
}

/** Whether the model is loaded and not being disposed: only an exit in that state is a crash. */
export interface WorkerLife {
  ready: boolean;
}

/**
 * The URL of a worker script next to `importMetaUrl`: ".ts" when running from source under a TS
 * loader (tests, tsx), ".js" once built.
 */
export const siblingScript = (importMetaUrl: string, name: string): URL => new URL(`./${name}${importMetaUrl.endsWith('.ts') ? '.ts' : '.js'}`, importMetaUrl);

/**
 * Starts a model's worker thread, waits for its `init` answer and lets `build` wrap it (batchers and
 * all). A failure anywhere terminates the thread and becomes 503 `model_load_failed`; the exit that
 * dispose() causes is not reported as a crash.
 */
export async function loadWorkerModel<Info, M>(
  options: { script: URL; name: string; key: string; workerData: unknown; hooks: WorkerModelHooks },
  build: (worker: WorkerThread, info: Info, life: WorkerLife) => M,
): Promise<M> {
  const life: WorkerLife = { ready: false };
  const worker = new WorkerThread(options.script, { name: options.name, workerData: options.workerData, onExit: () => life.ready && options.hooks.onBroken() });
  try {
    const info = await worker.call<Info>('init', null);
    const model = build(worker, info, life);
    life.ready = true;
    return model;
  } catch (error) {
    await worker.terminate();
    throw new HearthError('model_load_failed', `model ${options.key} failed to load: ${(error as Error).message}`, { cause: error, retryAfterS: 5 });
  }
}

/** What every worker-backed model shares: its key, what its worker said at init, liveness, disposal. */
export abstract class WorkerModel<Info> {
  protected constructor(
    readonly key: string,
    readonly info: Info,
    protected readonly worker: WorkerThread,
    private readonly life: WorkerLife,
  ) {}

  /** Inputs waiting in this model's queues. */
  abstract get queued(): number;

  /** False once the worker thread has exited (the pool then drops the model). */
  get alive(): boolean {
    return this.worker.alive;
  }

  async dispose(): Promise<void> {
    this.life.ready = false;
    await this.worker.call('release', null).catch(() => undefined);
    await this.worker.terminate();
  }
}
