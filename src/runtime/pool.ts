import { HearthError } from '../lib/errors.js';
import { type Clock, systemClock } from './clock.js';

/** What a loader hands the pool: the model handle, its memory cost and how to free it. */
export interface LoadedModel<T> {
  value: T;
  sizeBytes: number;
  dispose(): Promise<void>;
}

export type Loader<T> = (key: string) => Promise<LoadedModel<T>>;

export interface PoolOptions<T> {
  loader: Loader<T>;
  /** Memory budget over all loaded models; idle models are evicted LRU-first to stay under it. */
  budgetBytes: number;
  /** Expected cost of a model before it is loaded (file sizes), for the budget check. */
  estimateBytes: (key: string) => Promise<number> | number;
  defaultKeepAliveMs: number;
  clock?: Clock;
  onEvent?: (event: PoolEvent) => void;
}

export type PoolEvent =
  | { type: 'load'; key: string; ms: number; sizeBytes: number }
  | { type: 'load_failed'; key: string; error: unknown }
  | { type: 'unload'; key: string; reason: 'expired' | 'evicted' | 'requested' | 'invalidated' | 'shutdown' };

export interface Lease<T> {
  readonly value: T;
  /** keepAliveMs: Ollama semantics — 0 unloads when idle, negative keeps forever, undefined = default. */
  release(keepAliveMs?: number): void;
}

export interface PoolEntryInfo {
  key: string;
  state: 'loading' | 'ready';
  sizeBytes: number;
  refs: number;
  lastUsed: number;
  /** null: kept forever or in use. */
  expiresAt: number | null;
}

interface Entry<T> {
  key: string;
  state: 'loading' | 'ready';
  loading?: Promise<LoadedModel<T>>;
  loaded?: LoadedModel<T>;
  estimate: number;
  refs: number;
  lastUsed: number;
  keepAliveMs: number;
  expiresAt: number | null;
  timer?: unknown;
  unloadWhenIdle?: boolean;
}

/**
 * The one owner of loaded-model state: single-flight loads, refcounts while in
 * use, keep_alive expiry, LRU eviction of idle models under a memory budget.
 * A failed load is forgotten, so the next request tries again.
 */
export class ModelPool<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly clock: Clock;
  private closed = false;

  constructor(private readonly options: PoolOptions<T>) {
    this.clock = options.clock ?? systemClock;
  }

  async acquire(key: string): Promise<Lease<T>> {
    if (this.closed) throw new HearthError('overloaded', 'server is shutting down', { retryAfterS: 5 });
    let entry = this.entries.get(key);
    if (!entry) entry = await this.startLoad(key);
    entry.refs += 1;
    this.cancelExpiry(entry);
    try {
      if (entry.state === 'loading') await entry.loading;
      if (this.closed) throw new HearthError('overloaded', 'server is shutting down', { retryAfterS: 5 });
    } catch (error) {
      entry.refs -= 1;
      throw error;
    }
    entry.lastUsed = this.clock.now();
    return this.lease(entry);
  }

  /** Unloads now if idle, else as soon as the last user releases it. */
  async unload(key: string): Promise<boolean> {
    const entry = this.entries.get(key);
    if (!entry) return false;
    if (entry.refs > 0 || entry.state === 'loading') {
      entry.unloadWhenIdle = true;
      return true;
    }
    await this.dispose(entry, 'requested');
    return true;
  }

  /** Drops a model whose runtime broke (e.g. its worker died); in-flight users keep their error. */
  invalidate(key: string): void {
    const entry = this.entries.get(key);
    if (entry?.state === 'ready') void this.dispose(entry, 'invalidated');
  }

  list(): PoolEntryInfo[] {
    return [...this.entries.values()].map((e) => ({
      key: e.key,
      state: e.state,
      sizeBytes: e.loaded?.sizeBytes ?? e.estimate,
      refs: e.refs,
      lastUsed: e.lastUsed,
      expiresAt: e.expiresAt,
    }));
  }

  has(key: string): boolean {
    return this.entries.get(key)?.state === 'ready';
  }

  /** A ready model's handle without taking a lease: for status reports, never for work. */
  peek(key: string): T | undefined {
    const entry = this.entries.get(key);
    return entry?.state === 'ready' ? entry.loaded?.value : undefined;
  }

  usedBytes(): number {
    let total = 0;
    for (const e of this.entries.values()) total += e.loaded?.sizeBytes ?? e.estimate;
    return total;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.entries.values()].map(async (e) => {
      await e.loading?.catch(() => undefined);
      await this.dispose(e, 'shutdown');
    }));
  }

  private async startLoad(key: string): Promise<Entry<T>> {
    // Single flight: the entry is in the map before the first await, so concurrent
    // callers find it; the estimate is read only to decide evictions.
    const entry: Entry<T> = {
      key,
      state: 'loading',
      estimate: 0,
      refs: 0,
      lastUsed: this.clock.now(),
      keepAliveMs: this.options.defaultKeepAliveMs,
      expiresAt: null,
    };
    this.entries.set(key, entry);
    entry.loading = this.load(entry);
    entry.loading.catch(() => undefined);
    return entry;
  }

  private async load(entry: Entry<T>): Promise<LoadedModel<T>> {
    const started = this.clock.now();
    try {
      entry.estimate = await this.options.estimateBytes(entry.key);
      await this.makeRoom(entry);
      const loaded = await this.options.loader(entry.key);
      entry.loaded = loaded;
      entry.state = 'ready';
      entry.loading = undefined;
      this.options.onEvent?.({ type: 'load', key: entry.key, ms: this.clock.now() - started, sizeBytes: loaded.sizeBytes });
      return loaded;
    } catch (error) {
      this.entries.delete(entry.key);
      this.options.onEvent?.({ type: 'load_failed', key: entry.key, error });
      if (error instanceof HearthError) throw error;
      throw new HearthError('model_load_failed', `model ${entry.key} failed to load: ${(error as Error).message}`, {
        cause: error,
        retryAfterS: 5,
      });
    }
  }

  /** Evicts idle models, least recently used first, until the new one fits. */
  private async makeRoom(incoming: Entry<T>): Promise<void> {
    const budget = this.options.budgetBytes;
    const others = () => [...this.entries.values()].filter((e) => e !== incoming);
    const used = () => others().reduce((sum, e) => sum + (e.loaded?.sizeBytes ?? e.estimate), 0);
    while (used() + incoming.estimate > budget) {
      const idle = others()
        .filter((e) => e.state === 'ready' && e.refs === 0)
        .sort((a, b) => a.lastUsed - b.lastUsed)[0];
      if (!idle) break;
      await this.dispose(idle, 'evicted');
    }
    // A model alone over budget may still load when nothing else is resident: refusing
    // would make it unusable forever. With busy models resident, ask the client to retry.
    if (used() + incoming.estimate > budget && others().length > 0) {
      throw new HearthError('overloaded', `not enough model memory for ${incoming.key}: models in use hold the budget`, { retryAfterS: 2 });
    }
  }

  private lease(entry: Entry<T>): Lease<T> {
    let released = false;
    return {
      value: entry.loaded!.value,
      release: (keepAliveMs?: number) => {
        if (released) return;
        released = true;
        entry.refs -= 1;
        entry.lastUsed = this.clock.now();
        // Each request sets the model's keep_alive from then on; none given means the default (as Ollama).
        entry.keepAliveMs = keepAliveMs ?? this.options.defaultKeepAliveMs;
        if (entry.refs === 0) this.scheduleExpiry(entry);
      },
    };
  }

  private scheduleExpiry(entry: Entry<T>): void {
    if (this.entries.get(entry.key) !== entry) return;
    if (entry.unloadWhenIdle || entry.keepAliveMs === 0) {
      void this.dispose(entry, entry.unloadWhenIdle ? 'requested' : 'expired');
      return;
    }
    if (entry.keepAliveMs < 0) {
      entry.expiresAt = null;
      return;
    }
    entry.expiresAt = this.clock.now() + entry.keepAliveMs;
    entry.timer = this.clock.setTimer(() => {
      if (entry.refs === 0) void this.dispose(entry, 'expired');
    }, entry.keepAliveMs);
  }

  private cancelExpiry(entry: Entry<T>): void {
    if (entry.timer !== undefined) this.clock.clearTimer(entry.timer);
    entry.timer = undefined;
    entry.expiresAt = null;
  }

  private async dispose(entry: Entry<T>, reason: Extract<PoolEvent, { type: 'unload' }>['reason']): Promise<void> {
    if (this.entries.get(entry.key) !== entry) return;
    this.entries.delete(entry.key);
    this.cancelExpiry(entry);
    this.options.onEvent?.({ type: 'unload', key: entry.key, reason });
    await entry.loaded?.dispose().catch(() => undefined);
  }
}
