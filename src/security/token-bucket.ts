/**
 * A token bucket holding up to `perMinute` tokens and refilling continuously at
 * perMinute / 60 s. It starts full, so a client may burst up to the limit. It
 * can go into debt (charge): work whose cost is only known afterwards (model
 * tokens) is charged in full, and the debt is paid back by waiting.
 */
export class TokenBucket {
  private level: number;
  private updatedAt: number;

  constructor(
    private perMinute: number,
    private readonly now: () => number,
  ) {
    this.level = perMinute;
    this.updatedAt = now();
  }

  get limit(): number {
    return this.perMinute;
  }

  /** Tokens available now (negative while in debt). */
  get available(): number {
    this.refill();
    return this.level;
  }

  /** Takes n tokens if the bucket holds them; otherwise takes nothing. */
  take(n: number): boolean {
    if (this.available < n) return false;
    this.level -= n;
    return true;
  }

  /** Charges n tokens unconditionally (the bucket may go negative). */
  charge(n: number): void {
    this.refill();
    this.level -= n;
  }

  /** Milliseconds until the bucket holds n tokens (0 if it does now). */
  msUntil(n: number): number {
    const missing = n - this.available;
    return missing <= 0 ? 0 : (missing * 60_000) / this.perMinute;
  }

  /** Milliseconds until the bucket is full again. */
  msUntilFull(): number {
    return this.msUntil(this.perMinute);
  }

  /** A new limit (the keys file changed): the level is kept, capped at the new size. */
  setLimit(perMinute: number): void {
    if (perMinute === this.perMinute) return;
    this.refill();
    this.perMinute = perMinute;
    this.level = Math.min(this.level, perMinute);
  }

  private refill(): void {
    const t = this.now();
    const elapsed = Math.max(0, t - this.updatedAt);
    this.level = Math.min(this.perMinute, this.level + (elapsed * this.perMinute) / 60_000);
    this.updatedAt = t;
  }
}
