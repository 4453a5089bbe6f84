export interface CrashCircuitSettings {
  /** Crashes within crashWindowMs that open the circuit. */
  crashLimit: number;
  crashWindowMs: number;
  /** How long an open circuit refuses before letting one probe through; doubles on each failed probe. */
  circuitOpenMs: number;
  maxCircuitOpenMs: number;
  /** Delay before respawning after a crash: initial × 2^(crashes in window − 1), capped. */
  backoff: { initialMs: number; maxMs: number };
}

/**
 * A worker's crash history and the circuit breaker over it: respawn backoff from recent crashes,
 * open after crashLimit of them, one probe job at a time once the wait is over, closed again (and
 * the history forgotten) when a probe completes.
 */
export class CrashCircuit {
  /** Every crash since start. */
  crashes = 0;
  private crashTimes: number[] = [];
  private openUntil: number | undefined;
  private openMs: number;
  private probing = false;

  constructor(private readonly settings: CrashCircuitSettings) {
    this.openMs = settings.circuitOpenMs;
  }

  /** Whether a job may start now: freely, as the probe of a circuit whose wait is over, or not before retryAfterS. */
  admit(now: number): 'pass' | 'probe' | { retryAfterS: number } {
    if (this.openUntil === undefined) return 'pass';
    if (now < this.openUntil || this.probing) return { retryAfterS: Math.max(1, Math.ceil((this.openUntil - now) / 1000)) };
    this.probing = true;
    return 'probe';
  }

  /** A probe is running (admitted and not yet settled). */
  get probeRunning(): boolean {
    return this.probing;
  }

  /** The probe went away before proving anything (aborted, or failed with the queue): the next job may probe. */
  releaseProbe(): void {
    this.probing = false;
  }

  recent(now: number): number {
    this.crashTimes = this.crashTimes.filter((t) => now - t < this.settings.crashWindowMs);
    return this.crashTimes.length;
  }

  /**
   * Counts a crash. Returns the respawn delay, and retryAfterS when the circuit opened: at the crash
   * limit, or again (for twice as long) when the probe, or a start while probing, failed.
   */
  recordCrash(now: number, duringStart: boolean, probeFailed: boolean): { respawnDelayMs: number; openedForS?: number } {
    this.crashes++;
    this.crashTimes.push(now);
    const recent = this.recent(now);
    const { initialMs, maxMs } = this.settings.backoff;
    const respawnDelayMs = Math.min(maxMs, initialMs * 2 ** Math.max(0, recent - 1));
    if (probeFailed || (this.probing && duringStart)) {
      this.openMs = Math.min(this.openMs * 2, this.settings.maxCircuitOpenMs);
      return { respawnDelayMs, openedForS: this.open(now) };
    }
    if (recent >= this.settings.crashLimit) return { respawnDelayMs, openedForS: this.open(now) };
    return { respawnDelayMs };
  }

  /** A probe completed (its own failure included: the worker ran it). Returns whether the circuit was open. */
  close(): boolean {
    if (this.openUntil === undefined) return false;
    this.openUntil = undefined;
    this.probing = false;
    this.openMs = this.settings.circuitOpenMs;
    this.crashTimes = [];
    return true;
  }

  view(now: number): { circuit: 'closed' | 'open' | 'half_open'; retryAfterS?: number } {
    if (this.openUntil === undefined) return { circuit: 'closed' };
    if (now >= this.openUntil) return { circuit: 'half_open' };
    return { circuit: 'open', retryAfterS: Math.ceil((this.openUntil - now) / 1000) };
  }

  private open(now: number): number {
    this.openUntil = now + this.openMs;
    this.probing = false;
    return Math.ceil(this.openMs / 1000);
  }
}
