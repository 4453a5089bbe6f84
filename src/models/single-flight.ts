/**
 * Shared runs keyed by name: callers asking for the same key while a run is in flight join it,
 * receive its events and its result. Each caller's AbortSignal detaches only that caller; the
 * run itself is aborted once every caller has gone, and that last caller's promise settles only
 * when the run has stopped. An aborted run is replaced for new callers, and the replacement
 * starts only after the old one has settled (it may still be writing the files the new one
 * will touch).
 */
export class SingleFlight<T, E = never> {
  private readonly runs = new Map<string, SharedRun<T, E>>();

  /** `replayKey` names the state an event describes: a late joiner first gets the latest event of each. */
  constructor(private readonly replayKey?: (event: E) => string) {}

  run(
    key: string,
    start: (signal: AbortSignal, emit: (event: E) => void) => Promise<T>,
    caller: { signal?: AbortSignal | undefined; onEvent?: ((event: E) => void) | undefined } = {},
  ): Promise<T> {
    let run = this.runs.get(key);
    if (!run || run.aborted || run.finished) {
      const previous = run?.settled;
      const fresh: SharedRun<T, E> = new SharedRun<T, E>(
        previous ? (signal, emit) => previous.then(() => (signal.throwIfAborted(), start(signal, emit))) : start,
        this.replayKey,
        () => {
          if (this.runs.get(key) === fresh) this.runs.delete(key);
        },
      );
      run = fresh;
      this.runs.set(key, run);
    }
    return run.join(caller.signal, caller.onEvent);
  }

  /** Keys with a run in flight (for tests and status). */
  get size(): number {
    return this.runs.size;
  }
}

class SharedRun<T, E> {
  private readonly controller = new AbortController();
  private readonly listeners = new Set<(event: E) => void>();
  private readonly latest = new Map<string, E>();
  private callers = 0;
  private done = false;
  private readonly promise: Promise<T>;
  /** Resolves (never rejects) once the run has finished, whatever the outcome. */
  readonly settled: Promise<void>;

  constructor(
    start: (signal: AbortSignal, emit: (event: E) => void) => Promise<T>,
    private readonly replayKey: ((event: E) => string) | undefined,
    onSettled: () => void,
  ) {
    this.promise = Promise.resolve().then(() => start(this.controller.signal, (event) => this.emit(event)));
    this.settled = this.promise.then(
      () => undefined,
      () => undefined,
    );
    void this.settled.then(() => {
      this.done = true;
      onSettled();
    });
  }

  get finished(): boolean {
    return this.done;
  }

  get aborted(): boolean {
    return this.controller.signal.aborted;
  }

  join(signal: AbortSignal | undefined, onEvent: ((event: E) => void) | undefined): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.callers++;
    if (onEvent) {
      for (const event of this.latest.values()) safeCall(onEvent, event);
      this.listeners.add(onEvent);
    }
    return new Promise<T>((resolve, reject) => {
      let left = false;
      const detach = () => {
        signal?.removeEventListener('abort', onAbort);
        if (onEvent) this.listeners.delete(onEvent);
      };
      const onAbort = () => {
        left = true;
        detach();
        if (--this.callers === 0 && !this.done) {
          this.controller.abort(new DOMException('every caller went away', 'AbortError'));
          // The last caller out waits for the run to stop, so no write of it outlives the rejection.
          void this.settled.then(() => reject(signal!.reason));
        } else {
          reject(signal!.reason);
        }
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.promise.then(
        (value) => left || (detach(), resolve(value)),
        (error: unknown) => left || (detach(), reject(error)),
      );
    });
  }

  private emit(event: E): void {
    if (this.replayKey) {
      const key = this.replayKey(event);
      this.latest.delete(key);
      this.latest.set(key, event);
    }
    for (const listener of this.listeners) safeCall(listener, event);
  }
}

function safeCall<E>(listener: (event: E) => void, event: E): void {
  try {
    listener(event);
  } catch {
    // A listener's bug (or a closed response it writes to) must not break the shared run.
  }
}
