import { type Transferable, Worker, parentPort } from 'node:worker_threads';
import { HearthError } from '../lib/errors.js';

type Handler = (payload: any) => Promise<{ result: unknown; transfer?: Transferable[] }> | { result: unknown; transfer?: Transferable[] };

interface Request {
  id: number;
  method: string;
  payload: unknown;
}
interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: { message: string; code?: string };
}

/**
 * A worker thread that runs model code off the HTTP thread, with a tiny
 * request/response protocol over postMessage. One thread serves one model, so
 * terminating it releases everything the model allocated.
 */
export class WorkerThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  private nextId = 1;
  private exited = false;

  constructor(script: URL, options: { workerData?: unknown; name: string; onExit?: (error?: Error) => void }) {
    // Under a TypeScript loader (tests, tsx) the script is .ts: the worker needs the same loader.
    const execArgv = script.pathname.endsWith('.ts') ? ['--import', 'tsx'] : [];
    this.worker = new Worker(script, { workerData: options.workerData, name: options.name, execArgv });
    this.worker.on('message', (reply: Reply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.result);
      else waiter.reject(new HearthError(reply.error?.code === 'invalid_request' ? 'invalid_request' : 'inference_failed', reply.error?.message ?? 'worker error'));
    });
    const die = (error?: Error) => {
      if (this.exited) return;
      this.exited = true;
      for (const waiter of this.pending.values()) {
        waiter.reject(new HearthError('inference_failed', `model worker stopped${error ? `: ${error.message}` : ''}`));
      }
      this.pending.clear();
      options.onExit?.(error);
    };
    this.worker.on('error', (e) => die(e));
    this.worker.on('exit', (code) => die(code === 0 ? undefined : new Error(`exit code ${code}`)));
  }

  get alive(): boolean {
    return !this.exited;
  }

  call<T>(method: string, payload: unknown, transfer: Transferable[] = []): Promise<T> {
    if (this.exited) return Promise.reject(new HearthError('inference_failed', 'model worker is not running'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, method, payload } satisfies Request, transfer);
    });
  }

  async terminate(): Promise<void> {
    if (this.exited) return;
    await this.worker.terminate();
  }
}

/** Worker side: answers requests with the given handlers, one at a time in arrival order. */
export function serveWorker(handlers: Record<string, Handler>): void {
  const port = parentPort;
  if (!port) throw new Error('serveWorker must run inside a worker thread');
  port.on('message', async (request: Request) => {
    try {
      const handler = handlers[request.method];
      if (!handler) throw new Error(`unknown method ${request.method}`);
      const { result, transfer } = await handler(request.payload);
      port.postMessage({ id: request.id, ok: true, result } satisfies Reply, transfer ?? []);
    } catch (error) {
      const e = error as Error & { code?: string };
      port.postMessage({ id: request.id, ok: false, error: { message: e.message, code: e.code } } satisfies Reply);
    }
  });
}
