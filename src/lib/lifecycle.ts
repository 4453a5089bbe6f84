import { readFile, readdir } from 'node:fs/promises';

/** Something the server must stop at shutdown, after in-flight requests have drained. */
export interface ShutdownHook {
  name: string;
  stop(): Promise<void>;
}

export interface HookOutcome {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}

/**
 * The process lifecycle shared by the HTTP layer and start-up code: whether the
 * server is draining (requests that arrive now are refused with 503), and the
 * hooks that release what the server owns once the drain is over.
 *
 * Hooks are the one place to hang shutdown work: the model pool (worker threads)
 * registers here today; a headless browser or OCR worker processes register the
 * same way (`lifecycle.onShutdown('browser', () => browser.close())`). Hooks run in
 * reverse order of registration (last started, first stopped), each bounded by a
 * timeout; a hook that throws or hangs does not stop the others.
 */
export class Lifecycle {
  private drainStartedAt: number | undefined;
  private readonly hooks: ShutdownHook[] = [];

  get draining(): boolean {
    return this.drainStartedAt !== undefined;
  }

  startDraining(): void {
    this.drainStartedAt ??= Date.now();
  }

  /** Registers a hook; returns a function that unregisters it (for things stopped earlier on their own). */
  onShutdown(name: string, stop: () => Promise<void>): () => void {
    const hook: ShutdownHook = { name, stop };
    this.hooks.push(hook);
    return () => {
      const i = this.hooks.indexOf(hook);
      if (i >= 0) this.hooks.splice(i, 1);
    };
  }

  async runShutdownHooks(timeoutMs: number): Promise<HookOutcome[]> {
    const outcomes: HookOutcome[] = [];
    for (const hook of [...this.hooks].reverse()) {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          hook.stop(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`did not stop within ${timeoutMs} ms`)), timeoutMs);
            timer.unref();
          }),
        ]);
        outcomes.push({ name: hook.name, ok: true, ms: Math.round(performance.now() - started) });
      } catch (error) {
        outcomes.push({ name: hook.name, ok: false, ms: Math.round(performance.now() - started), error: (error as Error).message });
      } finally {
        clearTimeout(timer);
      }
    }
    this.hooks.length = 0;
    return outcomes;
  }
}

/** Direct child processes of `pid` (Linux /proc; empty elsewhere or when unreadable). */
export async function childPids(pid: number = process.pid): Promise<number[]> {
  try {
    const tasks = await readdir(`/proc/${pid}/task`);
    const lists = await Promise.all(tasks.map((t) => readFile(`/proc/${pid}/task/${t}/children`, 'utf8').catch(() => '')));
    return [...new Set(lists.join(' ').split(/\s+/).filter(Boolean).map(Number))];
  } catch {
    return [];
  }
}

/**
 * Last resort after the shutdown hooks: kills child processes that are still
 * there (a hook that forgot one, or one that hung), so the server never exits
 * leaving orphans behind. Returns the pids it had to kill.
 */
export async function killLeftoverChildren(): Promise<number[]> {
  const pids = await childPids();
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  return pids;
}
