import { type ChildProcess, fork } from 'node:child_process';
import { HearthError } from '../../lib/errors.js';
import { CrashCircuit } from './crash-circuit.js';
import { type SupervisorOptions, type WorkerState, type WorkerStatus, WorkerJobError } from './types.js';
import type { FromChild, ToChild } from './protocol.js';

export { type SupervisorOptions, type WorkerEvent, type WorkerState, type WorkerStatus, WorkerJobError } from './types.js';

interface Job {
  id: number;
  payload: unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  timer?: NodeJS.Timeout;
  retried: boolean;
  probe: boolean;
  signal?: AbortSignal;
  onAbort?: () => void;
}

interface Child {
  proc: ChildProcess;
  pid: number;
  ready: boolean;
  stopping: boolean;
  /** Set when we SIGKILLed it for this job: the others in flight are retried once. */
  culprit?: number;
  startedAt: number;
  startTimer?: NodeJS.Timeout;
}

/**
 * Runs jobs in one supervised child process: spawned on first use, kept warm while jobs arrive,
 * told to exit after idleTimeoutMs without work. A death fails only the jobs in flight (a hung
 * job is the only one failed when it was the reason for the kill), and is followed by a respawn
 * with backoff; crashLimit deaths in crashWindowMs open a circuit that answers 503 + Retry-After
 * until a probe job succeeds. Knows nothing of what the jobs are.
 */
export class WorkerSupervisor {
  private child: Child | undefined;
  private readonly queue: Job[] = [];
  private readonly inFlight = new Map<number, Job>();
  private nextId = 1;
  private readonly circuit: CrashCircuit;
  private spawns = 0;
  private nextSpawnAt = 0;
  private spawnTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastStartMs: number | undefined;
  private rssBytes: number | undefined;
  private lastExit: WorkerStatus['lastExit'];
  private readonly opts: Required<Omit<SupervisorOptions, 'onEvent' | 'execArgv'>> & Pick<SupervisorOptions, 'onEvent' | 'execArgv'>;

  constructor(options: SupervisorOptions) {
    this.opts = {
      crashLimit: 3,
      crashWindowMs: 60_000,
      circuitOpenMs: 5_000,
      maxCircuitOpenMs: 300_000,
      backoff: { initialMs: 100, maxMs: 5_000 },
      ...options,
    };
    this.circuit = new CrashCircuit(this.opts);
  }

  /** Runs one job; rejects with WorkerJobError for the job's own failure, HearthError for the worker's. */
  run(payload: unknown, signal?: AbortSignal): Promise<unknown> {
    if (this.closed) return Promise.reject(new HearthError('overloaded', `the ${this.opts.name} worker is shutting down`, { retryAfterS: 1 }));
    const admission = this.circuit.admit(Date.now());
    if (typeof admission === 'object') {
      const { retryAfterS } = admission;
      return Promise.reject(
        new HearthError('model_load_failed', `the ${this.opts.name} worker crashed ${this.opts.crashLimit} times within ${this.opts.crashWindowMs / 1000} s; retry after ${retryAfterS} s`, {
          retryAfterS,
        }),
      );
    }
    const probe = admission === 'probe';
    if (this.queue.length + this.inFlight.size >= this.opts.concurrency + this.opts.maxQueue) {
      return Promise.reject(new HearthError('overloaded', `the ${this.opts.name} worker has ${this.opts.maxQueue} jobs waiting; retry shortly`, { retryAfterS: 1 }));
    }
    if (signal?.aborted) return Promise.reject(new HearthError('client_closed', 'client closed the request'));
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.nextId++, payload, resolve, reject, retried: false, probe, signal };
      if (signal) {
        job.onAbort = () => {
          const i = this.queue.indexOf(job);
          if (i >= 0) {
            this.queue.splice(i, 1);
            if (job.probe) this.circuit.releaseProbe();
            this.settle(job, new HearthError('client_closed', 'client closed the request'));
          }
        };
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.queue.push(job);
      this.pump();
    });
  }

  status(): WorkerStatus {
    const now = Date.now();
    const c = this.child;
    const state: WorkerState = !c ? 'stopped' : c.stopping ? 'stopping' : !c.ready ? 'starting' : this.inFlight.size > 0 ? 'busy' : 'idle';
    return {
      name: this.opts.name,
      state,
      warm: state === 'busy' || state === 'idle',
      pid: c?.pid ?? null,
      inFlight: this.inFlight.size,
      queued: this.queue.length,
      restarts: Math.max(0, this.spawns - 1),
      crashes: this.circuit.crashes,
      recentCrashes: this.circuit.recent(now),
      ...this.circuit.view(now),
      ...(this.lastStartMs !== undefined ? { lastStartMs: Math.round(this.lastStartMs) } : {}),
      ...(c && this.rssBytes !== undefined ? { rssBytes: this.rssBytes } : {}),
      ...(this.lastExit ? { lastExit: this.lastExit } : {}),
      idleTimeoutMs: this.opts.idleTimeoutMs,
    };
  }

  /** Refuses new jobs, fails waiting ones, asks the child to exit (SIGKILL after graceMs). */
  async close(graceMs = 2_000): Promise<void> {
    this.closed = true;
    clearTimeout(this.spawnTimer);
    clearTimeout(this.idleTimer);
    for (const job of this.queue.splice(0)) this.settle(job, new HearthError('overloaded', `the ${this.opts.name} worker is shutting down`, { retryAfterS: 1 }));
    const c = this.child;
    if (c) await this.stopChild(c, graceMs);
  }

  private pump(): void {
    if (this.closed) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const c = this.child;
    if (!c) {
      if (this.queue.length > 0) this.spawnSoon();
      return;
    }
    if (!c.ready || c.stopping) return;
    while (this.inFlight.size < this.opts.concurrency && this.queue.length > 0) this.dispatch(c, this.queue.shift()!);
    if (this.inFlight.size === 0 && this.queue.length === 0) {
      this.idleTimer = setTimeout(() => void this.stopChild(c, 2_000), this.opts.idleTimeoutMs);
      this.idleTimer.unref();
    }
  }

  private dispatch(c: Child, job: Job): void {
    if (job.onAbort) job.signal?.removeEventListener('abort', job.onAbort);
    this.inFlight.set(job.id, job);
    job.timer = setTimeout(() => {
      // Already being killed for another job: the exit handler retries this one.
      if (c.culprit !== undefined) return;
      this.opts.onEvent?.({ type: 'job_timeout', pid: c.pid });
      c.culprit = job.id;
      this.inFlight.delete(job.id);
      for (const other of this.inFlight.values()) clearTimeout(other.timer);
      this.settle(job, new HearthError('inference_failed', `the ${this.opts.name} job took longer than ${this.opts.jobTimeoutMs} ms; its worker was stopped`));
      c.proc.kill('SIGKILL');
    }, this.opts.jobTimeoutMs);
    this.send(c, { type: 'job', id: job.id, payload: job.payload });
  }

  private send(c: Child, message: ToChild): void {
    try {
      c.proc.send(message);
    } catch {
      // The exit handler fails whatever was in flight.
    }
  }

  private spawnSoon(): void {
    if (this.spawnTimer) return;
    const wait = this.nextSpawnAt - Date.now();
    if (wait > 0) {
      this.spawnTimer = setTimeout(() => {
        this.spawnTimer = undefined;
        this.pump();
      }, wait);
      return;
    }
    this.spawn();
  }

  private spawn(): void {
    const startedAt = performance.now();
    let proc: ChildProcess;
    try {
      proc = fork(this.opts.script, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: this.opts.execArgv ?? [] });
    } catch (error) {
      this.failStart(`could not start the ${this.opts.name} worker: ${(error as Error).message}`);
      return;
    }
    const c: Child = { proc, pid: proc.pid ?? -1, ready: false, stopping: false, startedAt };
    this.child = c;
    this.spawns++;
    this.opts.onEvent?.({ type: 'spawn', pid: c.pid });
    c.startTimer = setTimeout(() => {
      c.proc.kill('SIGKILL');
    }, this.opts.startTimeoutMs);
    proc.on('message', (m) => this.onMessage(c, m as FromChild));
    proc.on('error', () => undefined);
    proc.on('exit', (code, signal) => this.onExit(c, code, signal));
    this.send(c, { type: 'init', payload: this.opts.init });
  }

  private onMessage(c: Child, m: FromChild): void {
    if (m.type === 'ready') {
      clearTimeout(c.startTimer);
      c.ready = true;
      this.lastStartMs = performance.now() - c.startedAt;
      this.opts.onEvent?.({ type: 'ready', pid: c.pid, ms: this.lastStartMs });
      this.pump();
      return;
    }
    if (m.type === 'init_error') {
      c.culprit = -1;
      this.failQueued(new HearthError('model_load_failed', `the ${this.opts.name} worker failed to start: ${m.message}`, { retryAfterS: 1 }));
      return;
    }
    if (m.type !== 'result') return;
    if (m.rssBytes !== undefined) this.rssBytes = m.rssBytes;
    const job = this.inFlight.get(m.id);
    if (!job) return;
    this.inFlight.delete(m.id);
    clearTimeout(job.timer);
    // A job that failed cleanly still proves the worker runs.
    if (job.probe && this.circuit.close()) this.opts.onEvent?.({ type: 'circuit_closed' });
    this.settle(job, m.ok ? undefined : new WorkerJobError(m.error.code, m.error.message), m.ok ? m.value : undefined);
    this.pump();
  }

  private onExit(c: Child, code: number | null, signal: string | null): void {
    clearTimeout(c.startTimer);
    if (this.child === c) this.child = undefined;
    const expected = c.stopping && c.culprit === undefined;
    this.lastExit = { code, signal, expected, at: new Date().toISOString() };
    this.rssBytes = undefined;
    this.opts.onEvent?.({ type: 'exit', pid: c.pid, code, signal, expected });
    const orphans = [...this.inFlight.values()];
    this.inFlight.clear();
    let probeFailed = false;
    for (const job of orphans) {
      clearTimeout(job.timer);
      if (job.probe) probeFailed = true;
      // Killed for another job's sake: this one gets one more try in the next child.
      if (c.culprit !== undefined && c.culprit !== job.id && !job.retried) {
        job.retried = true;
        this.queue.unshift(job);
        continue;
      }
      this.settle(job, new HearthError('inference_failed', `the ${this.opts.name} worker died while running this request (${signal ?? `exit code ${code}`}); retry it`));
    }
    if (!expected) this.recordCrash(!c.ready, probeFailed);
    this.pump();
  }

  private recordCrash(duringStart: boolean, probeFailed: boolean): void {
    const now = Date.now();
    const { respawnDelayMs, openedForS } = this.circuit.recordCrash(now, duringStart, probeFailed);
    this.nextSpawnAt = now + respawnDelayMs;
    if (openedForS !== undefined) {
      this.opts.onEvent?.({ type: 'circuit_open', retryAfterS: openedForS });
      this.failQueued(new HearthError('model_load_failed', `the ${this.opts.name} worker keeps crashing; retry after ${openedForS} s`, { retryAfterS: openedForS }));
    } else if (duringStart) {
      this.failQueued(new HearthError('model_load_failed', `the ${this.opts.name} worker failed to start`, { retryAfterS: 1 }));
    }
  }

  private failQueued(error: HearthError): void {
    for (const job of this.queue.splice(0)) this.settle(job, error);
    this.circuit.releaseProbe();
  }

  private failStart(message: string): void {
    this.recordCrash(true, this.circuit.probeRunning);
    this.failQueued(new HearthError('model_load_failed', message, { retryAfterS: 1 }));
  }

  private settle(job: Job, error: unknown, value?: unknown): void {
    if (job.onAbort) job.signal?.removeEventListener('abort', job.onAbort);
    if (error === undefined) job.resolve(value);
    else job.reject(error);
  }

  private stopChild(c: Child, graceMs: number): Promise<void> {
    return new Promise((resolve) => {
      if (c.proc.exitCode !== null || c.proc.signalCode !== null) return resolve();
      c.stopping = true;
      const kill = setTimeout(() => c.proc.kill('SIGKILL'), graceMs);
      c.proc.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      this.send(c, { type: 'exit' });
    });
  }
}
