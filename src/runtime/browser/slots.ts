import { HearthError } from '../../lib/errors.js';

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * A counting semaphore with a bounded wait line: past `maxQueue` waiters a caller is refused
 * at once (503 + Retry-After) instead of piling up behind pages that may take their full timeout.
 */
export class Slots {
  private active = 0;
  private readonly waiting: Waiter[] = [];

  constructor(
    private readonly capacity: number,
    private readonly maxQueue: number,
    private readonly retryAfterS = 1,
  ) {}

  get inUse(): number {
    return this.active;
  }
  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves with a release function once a slot is free. */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.active < this.capacity) {
      this.active++;
      return this.releaser();
    }
    if (this.waiting.length >= this.maxQueue) {
      throw new HearthError('overloaded', `the crawler is busy (${this.capacity} pages open, ${this.waiting.length} waiting); retry later`, { retryAfterS: this.retryAfterS });
    }
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject,
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
    return this.releaser();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter: `active` stays the same.
      if (next) next.resolve();
      else this.active--;
    };
  }
}
