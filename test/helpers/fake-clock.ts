import type { Clock } from '../../src/runtime/clock.js';

interface FakeTimer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A manual Clock for unit tests: time moves only through advance(), which fires
 * every due timer in order of due time (ties: order of creation), moving now()
 * to each timer's due time before calling it.
 */
export class FakeClock implements Clock {
  private current: number;
  private nextId = 1;
  private timers: FakeTimer[] = [];

  constructor(start = 1_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(fn: () => void, ms: number): unknown {
    const timer = { id: this.nextId++, at: this.current + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimer(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Timers still waiting to fire. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by ms, firing due timers (including ones they schedule) in order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const due = this.timers
        .filter((t) => t.at <= target)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = due.at;
      due.fn();
    }
    this.current = target;
  }
}
