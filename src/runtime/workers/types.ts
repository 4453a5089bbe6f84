/** What a WorkerSupervisor is configured with, reports and throws. */

export interface SupervisorOptions {
  /** For messages and status ("ocr"). */
  name: string;
  /** Compiled worker script (it calls serveWorker). */
  script: string;
  /** Sent to the child's init handler on every spawn. */
  init: unknown;
  /** A warm child with nothing to do exits after this long, so its memory goes back to the OS. */
  idleTimeoutMs: number;
  /** A job running longer is failed and its child SIGKILLed. */
  jobTimeoutMs: number;
  /** Spawn + init longer than this counts as a failed start. */
  startTimeoutMs: number;
  /** Jobs in flight in the child at once. */
  concurrency: number;
  /** Jobs waiting beyond those; more are refused with 503 overloaded. */
  maxQueue: number;
  /** Crashes (deaths not asked for, kills for hung jobs, failed starts) within crashWindowMs that open the circuit. */
  crashLimit?: number;
  crashWindowMs?: number;
  /** How long an open circuit refuses before letting one probe through; doubles on each failed probe. */
  circuitOpenMs?: number;
  maxCircuitOpenMs?: number;
  /** Delay before respawning after a crash: initial × 2^(crashes in window − 1), capped. */
  backoff?: { initialMs: number; maxMs: number };
  execArgv?: string[];
  onEvent?(event: WorkerEvent): void;
}

export type WorkerEvent =
  | { type: 'spawn'; pid: number }
  | { type: 'ready'; pid: number; ms: number }
  | { type: 'exit'; pid: number; code: number | null; signal: string | null; expected: boolean }
  | { type: 'job_timeout'; pid: number }
  | { type: 'circuit_open'; retryAfterS: number }
  | { type: 'circuit_closed' };

export type WorkerState = 'stopped' | 'starting' | 'busy' | 'idle' | 'stopping';

export interface WorkerStatus {
  name: string;
  state: WorkerState;
  /** A child process exists and has loaded (busy or idle). */
  warm: boolean;
  pid: number | null;
  inFlight: number;
  queued: number;
  /** Spawns after the first. */
  restarts: number;
  crashes: number;
  recentCrashes: number;
  circuit: 'closed' | 'open' | 'half_open';
  retryAfterS?: number;
  lastStartMs?: number;
  rssBytes?: number;
  lastExit?: { code: number | null; signal: string | null; expected: boolean; at: string };
  idleTimeoutMs: number;
}

/** A job's own failure, reported by the worker (the worker stays up). */
export class WorkerJobError extends Error {
  constructor(
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'WorkerJobError';
  }
}
