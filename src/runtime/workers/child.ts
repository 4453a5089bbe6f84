import type { FromChild, ToChild } from './protocol.js';

export interface WorkerHandlers {
  /** Loads whatever the jobs need; the supervisor counts a failure here as a failed start. */
  init(payload: unknown): Promise<unknown>;
  handle(payload: unknown): Promise<unknown>;
  /** Errors → {code, message} for the parent (code: a domain error code it may pass on). */
  describeError?(error: unknown): { code?: string; message: string };
  close?(): Promise<void>;
}

/**
 * The child side of a supervised worker: waits for init, answers jobs (several may be in
 * flight), and exits when asked or when the parent goes away, so no orphan outlives it.
 */
export function serveWorker(handlers: WorkerHandlers): void {
  if (!process.send) throw new Error('serveWorker must run in a forked child process');
  const send = (m: FromChild) => process.send!(m);
  const describe = handlers.describeError ?? ((e: unknown) => ({ message: e instanceof Error ? e.message : String(e) }));
  let ready: Promise<unknown> | undefined;
  const exit = async () => {
    try {
      await handlers.close?.();
    } finally {
      process.exit(0);
    }
  };
  process.on('disconnect', () => void exit());
  process.on('message', (raw) => {
    const msg = raw as ToChild;
    if (msg.type === 'init') {
      ready = handlers.init(msg.payload);
      ready.then(
        (info) => send({ type: 'ready', info }),
        (error: unknown) => {
          send({ type: 'init_error', message: describe(error).message });
          setImmediate(() => process.exit(1));
        },
      );
    } else if (msg.type === 'job') {
      void (async () => {
        try {
          await ready;
          const value = await handlers.handle(msg.payload);
          send({ type: 'result', id: msg.id, ok: true, value, rssBytes: process.memoryUsage.rss() });
        } catch (error) {
          send({ type: 'result', id: msg.id, ok: false, error: describe(error), rssBytes: process.memoryUsage.rss() });
        }
      })();
    } else if (msg.type === 'exit') {
      void exit();
    }
  });
}
