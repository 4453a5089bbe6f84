/** Time as the runtime sees it; tests pass a fake one. */
export interface Clock {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

/** setTimeout clamps delays above this to 1 ms; longer timers are re-armed in steps. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => {
    const handle: { timer?: NodeJS.Timeout } = {};
    const due = Date.now() + ms;
    const arm = (left: number) => {
      handle.timer = setTimeout(() => {
        const remaining = due - Date.now();
        if (remaining > 0) arm(remaining);
        else fn();
      }, Math.min(left, MAX_TIMEOUT_MS));
      handle.timer.unref();
    };
    arm(ms);
    return handle;
  },
  clearTimer: (h) => clearTimeout((h as { timer?: NodeJS.Timeout }).timer),
};
