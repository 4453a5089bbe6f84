/**
 * Per-host politeness: at most one navigation per `minIntervalMs` to the same host (the seed's
 * ~1 request/s). Callers reserve a slot and sleep until it; reservations queue up in order.
 */
export class DomainThrottle {
  private readonly nextFree = new Map<string, number>();

  constructor(
    private readonly minIntervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reserves the host's next slot; returns how long to wait for it (0 when free now). */
  reserve(host: string, intervalMs = this.minIntervalMs): number {
    if (intervalMs <= 0) return 0;
    const now = this.now();
    if (this.nextFree.size > 10_000) this.prune(now);
    const at = Math.max(now, this.nextFree.get(host) ?? 0);
    this.nextFree.set(host, at + intervalMs);
    return at - now;
  }

  private prune(now: number): void {
    for (const [host, at] of this.nextFree) if (at <= now) this.nextFree.delete(host);
  }
}
