import { describe, expect, it, vi } from 'vitest';
import { rejection } from '../../helpers/rejection.js';
import { HearthError } from '../../../src/lib/errors.js';
import { systemClock } from '../../../src/runtime/clock.js';
import { type LoadedModel, ModelPool, type PoolEvent } from '../../../src/runtime/pool.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const KEEP_ALIVE = 300_000;

interface FakeModel {
  key: string;
  generation: number;
}

/**
 * A pool over fake models: each load returns a fresh {key, generation} object,
 * sized from `sizes` (default 100 bytes), and records loads and disposals.
 * `gate(key)` makes the next load of key wait for a deferred the test settles.
 */
function setup(options: { budget?: number; sizes?: Record<string, number>; keepAliveMs?: number } = {}) {
  const clock = new FakeClock();
  const sizes = options.sizes ?? {};
  const sizeOf = (key: string) => sizes[key] ?? 100;
  const loads: string[] = [];
  const disposed: string[] = [];
  const events: PoolEvent[] = [];
  const gates = new Map<string, Deferred<void>>();
  const failures = new Map<string, unknown>();
  let generation = 0;
  const loader = vi.fn(async (key: string): Promise<LoadedModel<FakeModel>> => {
    loads.push(key);
    const gate = gates.get(key);
    if (gate) {
      gates.delete(key);
      await gate.promise;
    }
    const failure = failures.get(key);
    if (failure !== undefined) {
      failures.delete(key);
      throw failure;
    }
    const value = { key, generation: ++generation };
    return {
      value,
      sizeBytes: sizeOf(key),
      dispose: async () => {
        disposed.push(key);
      },
    };
  });
  const pool = new ModelPool<FakeModel>({
    loader,
    budgetBytes: options.budget ?? 1_000_000,
    estimateBytes: (key) => sizeOf(key),
    defaultKeepAliveMs: options.keepAliveMs ?? KEEP_ALIVE,
    clock,
    onEvent: (event) => events.push(event),
  });
  const gate = (key: string) => {
    const d = deferred<void>();
    gates.set(key, d);
    return d;
  };
  const failNext = (key: string, error: unknown) => failures.set(key, error);
  const keys = () => pool.list().map((e) => e.key).sort();
  /** Loads key, then releases it with the default keep-alive; the clock moves 1 s so lastUsed orders are distinct. */
  const touch = async (key: string) => {
    clock.advance(1000);
    const lease = await pool.acquire(key);
    lease.release();
  };
  return { pool, clock, loader, loads, disposed, events, gate, failNext, keys, touch };
}


describe('ModelPool single-flight loading', () => {
  it('50 concurrent acquires of one key call the loader once and share the value', async () => {
    const { pool, loader, gate } = setup();
    const g = gate('m');
    const pending = Array.from({ length: 50 }, () => pool.acquire('m'));
    await flush();
    expect(loader).toHaveBeenCalledTimes(1);
    expect(pool.list()).toEqual([expect.objectContaining({ key: 'm', state: 'loading', refs: 50, expiresAt: null })]);
    expect(pool.has('m')).toBe(false);

    g.resolve();
    const leases = await Promise.all(pending);
    expect(loader).toHaveBeenCalledTimes(1);
    const first = leases[0]!.value;
    for (const lease of leases) expect(lease.value).toBe(first);
    expect(pool.has('m')).toBe(true);
    expect(pool.list()[0]).toMatchObject({ state: 'ready', refs: 50, expiresAt: null });

    for (const lease of leases.slice(1)) lease.release();
    expect(pool.list()[0]!.refs).toBe(1);
    leases[0]!.release();
    expect(pool.list()[0]!.refs).toBe(0);
  });

  it('a later acquire of a ready model does not call the loader again', async () => {
    const { pool, loader } = setup();
    const a = await pool.acquire('m');
    const b = await pool.acquire('m');
    expect(b.value).toBe(a.value);
    expect(loader).toHaveBeenCalledTimes(1);
  });

  it('releasing one lease twice only drops one reference', async () => {
    const { pool } = setup();
    const a = await pool.acquire('m');
    await pool.acquire('m');
    a.release();
    a.release();
    expect(pool.list()[0]!.refs).toBe(1);
  });

  it('emits a load event with the loaded size', async () => {
    const { pool, events } = setup({ sizes: { m: 1234 } });
    await pool.acquire('m');
    expect(events).toEqual([expect.objectContaining({ type: 'load', key: 'm', sizeBytes: 1234 })]);
  });
});

describe('ModelPool keep_alive', () => {
  it('never expires a model while it is in use', async () => {
    const { pool, clock, disposed } = setup();
    const lease = await pool.acquire('m');
    clock.advance(KEEP_ALIVE * 10);
    await flush();
    expect(pool.has('m')).toBe(true);
    expect(disposed).toEqual([]);
    expect(pool.list()[0]!.expiresAt).toBeNull();
    lease.release();
    expect(pool.list()[0]!.expiresAt).toBe(clock.now() + KEEP_ALIVE);
  });

  it('expires an idle model after the default keep_alive, disposing it once', async () => {
    const { pool, clock, disposed, events } = setup();
    (await pool.acquire('m')).release();
    const releasedAt = clock.now();
    expect(pool.list()[0]).toMatchObject({ refs: 0, lastUsed: releasedAt, expiresAt: releasedAt + KEEP_ALIVE });

    clock.advance(KEEP_ALIVE - 1);
    await flush();
    expect(pool.has('m')).toBe(true);
    expect(disposed).toEqual([]);

    clock.advance(2);
    await flush();
    expect(pool.has('m')).toBe(false);
    expect(pool.list()).toEqual([]);
    expect(disposed).toEqual(['m']);
    expect(events.at(-1)).toEqual({ type: 'unload', key: 'm', reason: 'expired' });

    clock.advance(KEEP_ALIVE * 5);
    await flush();
    expect(disposed).toEqual(['m']);
  });

  it('re-acquiring an idle model cancels its expiry; the next release restarts it', async () => {
    const { pool, clock, disposed } = setup();
    (await pool.acquire('m')).release();
    clock.advance(KEEP_ALIVE - 10);
    const lease = await pool.acquire('m');
    expect(pool.list()[0]!.expiresAt).toBeNull();
    clock.advance(KEEP_ALIVE * 3);
    await flush();
    expect(disposed).toEqual([]);

    lease.release();
    clock.advance(KEEP_ALIVE - 1);
    await flush();
    expect(pool.has('m')).toBe(true);
    clock.advance(1);
    await flush();
    expect(disposed).toEqual(['m']);
  });

  it('release(0) unloads at once when idle', async () => {
    const { pool, disposed, events, clock } = setup();
    (await pool.acquire('m')).release(0);
    await flush();
    expect(pool.has('m')).toBe(false);
    expect(disposed).toEqual(['m']);
    expect(events.at(-1)).toEqual({ type: 'unload', key: 'm', reason: 'expired' });
    expect(clock.pending).toBe(0);
  });

  it('release(0) while another request holds the model does not unload it yet', async () => {
    const { pool, disposed } = setup();
    const a = await pool.acquire('m');
    const b = await pool.acquire('m');
    a.release(0);
    await flush();
    expect(pool.has('m')).toBe(true);
    expect(disposed).toEqual([]);
    b.release(0);
    await flush();
    expect(disposed).toEqual(['m']);
  });

  it('release(-1) keeps the model forever', async () => {
    const { pool, clock, disposed } = setup();
    (await pool.acquire('m')).release(-1);
    expect(pool.list()[0]).toMatchObject({ refs: 0, expiresAt: null });
    expect(clock.pending).toBe(0);
    clock.advance(10 * 3_600_000);
    await flush();
    expect(pool.has('m')).toBe(true);
    expect(disposed).toEqual([]);
  });

  it('a per-request keep_alive overrides the default, shorter or longer', async () => {
    const short = setup();
    (await short.pool.acquire('m')).release(10_000);
    expect(short.pool.list()[0]!.expiresAt).toBe(short.clock.now() + 10_000);
    short.clock.advance(9_999);
    await flush();
    expect(short.pool.has('m')).toBe(true);
    short.clock.advance(1);
    await flush();
    expect(short.disposed).toEqual(['m']);

    const long = setup();
    (await long.pool.acquire('m')).release(3_600_000);
    long.clock.advance(KEEP_ALIVE + 1);
    await flush();
    expect(long.pool.has('m')).toBe(true);
    long.clock.advance(3_600_000 - KEEP_ALIVE);
    await flush();
    expect(long.disposed).toEqual(['m']);
  });

  // Lease.release documents "undefined = default", but the pool stores the last
  // per-request value on the entry, so one keep_alive=-1 request pins the model
  // for every later request that sends no keep_alive (Ollama resets it to the default).
  it('a release without keep_alive uses the default, not a previous request\'s keep_alive', async () => {
    const { pool, clock } = setup();
    (await pool.acquire('m')).release(-1);
    (await pool.acquire('m')).release();
    expect(pool.list()[0]!.expiresAt).toBe(clock.now() + KEEP_ALIVE);
  });

  it('handles a keep_alive longer than 2^31 ms with the injected clock', async () => {
    const { pool, clock, disposed } = setup();
    const thirtyDays = 30 * 24 * 3_600_000;
    (await pool.acquire('m')).release(thirtyDays);
    clock.advance(thirtyDays - 1);
    await flush();
    expect(pool.has('m')).toBe(true);
    clock.advance(1);
    await flush();
    expect(disposed).toEqual(['m']);
  });
});

describe('ModelPool memory budget', () => {
  it('loads models side by side while they fit (the budget is inclusive)', async () => {
    const { pool, touch, disposed, keys } = setup({ budget: 300 });
    await touch('a');
    await touch('b');
    await touch('c');
    expect(disposed).toEqual([]);
    expect(keys()).toEqual(['a', 'b', 'c']);
    expect(pool.usedBytes()).toBe(300);
  });

  it('evicts the least recently used idle model to make room', async () => {
    const { pool, touch, disposed, events, keys } = setup({ budget: 300 });
    await touch('a');
    await touch('b');
    await touch('c');
    await touch('a'); // b is now the least recently used
    await touch('d');
    expect(disposed).toEqual(['b']);
    expect(events).toContainEqual({ type: 'unload', key: 'b', reason: 'evicted' });
    expect(keys()).toEqual(['a', 'c', 'd']);
    expect(pool.usedBytes()).toBe(300);
  });

  it('evicts as many idle models as needed, oldest first', async () => {
    const { touch, disposed, keys } = setup({ budget: 300, sizes: { big: 250 } });
    await touch('a');
    await touch('b');
    await touch('c');
    await touch('big');
    expect(disposed).toEqual(['a', 'b', 'c']);
    expect(keys()).toEqual(['big']);
  });

  it('never evicts a busy model, even the least recently used one', async () => {
    const { pool, clock, touch, disposed, keys } = setup({ budget: 300 });
    const a = await pool.acquire('a'); // oldest, and held
    await touch('b');
    await touch('c');
    clock.advance(1000);
    (await pool.acquire('d')).release();
    expect(disposed).toEqual(['b']);
    expect(keys()).toEqual(['a', 'c', 'd']);
    expect(pool.list().find((e) => e.key === 'a')!.refs).toBe(1);
    a.release();
  });

  it('refuses a load with overloaded when only busy models hold the budget', async () => {
    const { pool, loader, disposed, keys, events } = setup({ budget: 300 });
    const held = await Promise.all(['a', 'b', 'c'].map((k) => pool.acquire(k)));
    const error = await rejection(pool.acquire('d'));
    expect(error.code).toBe('overloaded');
    expect(error.retryAfterS).toBeGreaterThan(0);
    expect(loader.mock.calls.map(([k]) => k)).toEqual(['a', 'b', 'c']);
    expect(disposed).toEqual([]);
    expect(keys()).toEqual(['a', 'b', 'c']);
    expect(events.at(-1)).toMatchObject({ type: 'load_failed', key: 'd' });

    // Once one is released, the same load succeeds by evicting it.
    held[1]!.release();
    const d = await pool.acquire('d');
    expect(d.value.key).toBe('d');
    expect(disposed).toEqual(['b']);
    expect(keys()).toEqual(['a', 'c', 'd']);
  });

  it('counts a model that is still loading against the budget', async () => {
    const { pool, gate, loader } = setup({ budget: 150 });
    const g = gate('a');
    const a = pool.acquire('a');
    await flush();
    const error = await rejection(pool.acquire('b'));
    expect(error.code).toBe('overloaded');
    expect(loader).toHaveBeenCalledTimes(1);
    g.resolve();
    await a;
  });

  it('two different models loading at once cannot both squeeze into a budget that fits one', async () => {
    const { pool, loader, keys } = setup({ budget: 150 });
    const [a, b] = await Promise.allSettled([pool.acquire('a'), pool.acquire('b')]);
    const outcomes = [a, b].map((r) => r.status);
    expect(outcomes.sort()).toEqual(['fulfilled', 'rejected']);
    const refused = [a, b].find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ code: 'overloaded' });
    expect(loader).toHaveBeenCalledTimes(1);
    expect(keys()).toHaveLength(1);
    expect(pool.usedBytes()).toBe(100);
  });

  it('loads a model bigger than the budget when nothing else is resident', async () => {
    const { pool } = setup({ budget: 100, sizes: { huge: 500 } });
    const lease = await pool.acquire('huge');
    expect(lease.value.key).toBe('huge');
    expect(pool.usedBytes()).toBe(500);
  });

  it('evicts idle models to load a model bigger than the budget', async () => {
    const { pool, touch, disposed, keys } = setup({ budget: 100, sizes: { huge: 500 } });
    await touch('a');
    await pool.acquire('huge');
    expect(disposed).toEqual(['a']);
    expect(keys()).toEqual(['huge']);
  });

  it('refuses a model bigger than the budget while another model is busy', async () => {
    const { pool } = setup({ budget: 100, sizes: { huge: 500 } });
    await pool.acquire('a');
    expect((await rejection(pool.acquire('huge'))).code).toBe('overloaded');
  });
});

describe('ModelPool load failures', () => {
  it('rejects every concurrent waiter with model_load_failed and does not cache the failure', async () => {
    const { pool, gate, failNext, loader, keys, events } = setup();
    const g = gate('m');
    failNext('m', new Error('boom'));
    const waiters = Array.from({ length: 5 }, () => pool.acquire('m'));
    await flush();
    g.resolve();
    const errors = await Promise.all(waiters.map(rejection));
    for (const error of errors) {
      expect(error.code).toBe('model_load_failed');
      expect(error.message).toContain('boom');
      expect((error.cause as Error).message).toBe('boom');
    }
    expect(loader).toHaveBeenCalledTimes(1);
    expect(keys()).toEqual([]);
    expect(pool.usedBytes()).toBe(0);
    expect(events.filter((e) => e.type === 'load_failed')).toHaveLength(1);

    const lease = await pool.acquire('m');
    expect(loader).toHaveBeenCalledTimes(2);
    expect(lease.value.key).toBe('m');
    expect(pool.list()[0]).toMatchObject({ state: 'ready', refs: 1 });
  });

  it('passes a HearthError from the loader through unchanged', async () => {
    const { pool, failNext } = setup();
    const original = new HearthError('model_not_downloaded', 'not on disk');
    failNext('m', original);
    const [a, b] = await Promise.allSettled([pool.acquire('m'), pool.acquire('m')]);
    expect(a).toEqual({ status: 'rejected', reason: original });
    expect(b).toEqual({ status: 'rejected', reason: original });
  });

  it('rejects when estimateBytes throws, without calling the loader', async () => {
    const loader = vi.fn();
    const pool = new ModelPool<unknown>({
      loader,
      budgetBytes: 1000,
      estimateBytes: async () => {
        throw new Error('no such file');
      },
      defaultKeepAliveMs: KEEP_ALIVE,
      clock: new FakeClock(),
    });
    expect((await rejection(pool.acquire('m'))).code).toBe('model_load_failed');
    expect(loader).not.toHaveBeenCalled();
    expect(pool.list()).toEqual([]);
  });
});

describe('ModelPool unload, invalidate and close', () => {
  it('unload() of an idle model disposes it; of an unknown model returns false', async () => {
    const { pool, disposed, events, clock } = setup();
    (await pool.acquire('m')).release();
    expect(await pool.unload('m')).toBe(true);
    expect(disposed).toEqual(['m']);
    expect(events.at(-1)).toEqual({ type: 'unload', key: 'm', reason: 'requested' });
    expect(pool.has('m')).toBe(false);
    expect(clock.pending).toBe(0);
    expect(await pool.unload('m')).toBe(false);
    expect(await pool.unload('other')).toBe(false);
  });

  it('unload() of a busy model disposes it after the last release, whatever its keep_alive', async () => {
    const { pool, disposed } = setup();
    const a = await pool.acquire('m');
    const b = await pool.acquire('m');
    expect(await pool.unload('m')).toBe(true);
    expect(disposed).toEqual([]);
    expect(pool.has('m')).toBe(true);
    a.release(-1);
    await flush();
    expect(disposed).toEqual([]);
    b.release(-1);
    await flush();
    expect(disposed).toEqual(['m']);
    expect(pool.list()).toEqual([]);
  });

  it('unload() of a model that is still loading disposes it once its user is done', async () => {
    const { pool, gate, disposed } = setup();
    const g = gate('m');
    const pending = pool.acquire('m');
    await flush();
    expect(await pool.unload('m')).toBe(true);
    g.resolve();
    const lease = await pending;
    expect(disposed).toEqual([]);
    lease.release();
    await flush();
    expect(disposed).toEqual(['m']);
  });

  it('invalidate() drops a model at once, even in use; the next acquire loads a fresh one', async () => {
    const { pool, disposed, events, loader } = setup();
    const old = await pool.acquire('m');
    pool.invalidate('m');
    await flush();
    expect(disposed).toEqual(['m']);
    expect(events.at(-1)).toEqual({ type: 'unload', key: 'm', reason: 'invalidated' });
    expect(pool.has('m')).toBe(false);

    const fresh = await pool.acquire('m');
    expect(loader).toHaveBeenCalledTimes(2);
    expect(fresh.value).not.toBe(old.value);
    // The stale lease's release must not touch the new entry.
    old.release(0);
    await flush();
    expect(pool.has('m')).toBe(true);
    expect(pool.list()[0]!.refs).toBe(1);
    expect(disposed).toEqual(['m']);
  });

  it('invalidate() of an unknown model is a no-op', () => {
    const { pool } = setup();
    expect(() => pool.invalidate('nope')).not.toThrow();
  });

  it('close() disposes everything, including a model still loading, and later acquires reject', async () => {
    const { pool, gate, disposed, events, clock } = setup();
    (await pool.acquire('idle')).release();
    await pool.acquire('busy');
    const g = gate('loading');
    const loading = pool.acquire('loading');
    await flush();

    const closing = pool.close();
    g.resolve();
    await closing;
    await loading.catch(() => undefined);
    expect([...disposed].sort()).toEqual(['busy', 'idle', 'loading']);
    expect(events.filter((e) => e.type === 'unload').every((e) => e.type === 'unload' && e.reason === 'shutdown')).toBe(true);
    expect(pool.list()).toEqual([]);
    expect(clock.pending).toBe(0);

    const error = await rejection(pool.acquire('idle'));
    expect(error.code).toBe('overloaded');
    clock.advance(KEEP_ALIVE * 2);
    await flush();
    expect(disposed).toHaveLength(3);
  });

  it('a failing dispose still removes the model', async () => {
    const clock = new FakeClock();
    const pool = new ModelPool<number>({
      loader: async () => ({ value: 1, sizeBytes: 1, dispose: () => Promise.reject(new Error('worker gone')) }),
      budgetBytes: 100,
      estimateBytes: () => 1,
      defaultKeepAliveMs: KEEP_ALIVE,
      clock,
    });
    (await pool.acquire('m')).release();
    await expect(pool.unload('m')).resolves.toBe(true);
    expect(pool.list()).toEqual([]);
  });
});

describe('ModelPool list()', () => {
  it('reports state, size, refs, lastUsed and expiresAt per entry', async () => {
    const { pool, clock, gate } = setup({ sizes: { a: 10, b: 20, c: 30 } });
    const g = gate('c');
    (await pool.acquire('a')).release();
    const aReleased = clock.now();
    clock.advance(5000);
    const b = await pool.acquire('b');
    const bAcquired = clock.now();
    const c = pool.acquire('c');
    await flush();

    const byKey = Object.fromEntries(pool.list().map((e) => [e.key, e]));
    expect(byKey.a).toEqual({ key: 'a', state: 'ready', sizeBytes: 10, refs: 0, lastUsed: aReleased, expiresAt: aReleased + KEEP_ALIVE });
    expect(byKey.b).toEqual({ key: 'b', state: 'ready', sizeBytes: 20, refs: 1, lastUsed: bAcquired, expiresAt: null });
    expect(byKey.c).toMatchObject({ key: 'c', state: 'loading', sizeBytes: 30, refs: 1, expiresAt: null });
    expect(pool.usedBytes()).toBe(60);

    g.resolve();
    await c;
    b.release(-1);
    expect(pool.list().find((e) => e.key === 'b')).toMatchObject({ refs: 0, expiresAt: null });
  });
});

describe('systemClock', () => {
  // Node clamps setTimeout delays above 2^31-1 ms (~24.8 days) to 1 ms, so with the
  // real clock keep_alive "720h" (or HEARTH_KEEP_ALIVE=720h) unloads the model almost
  // at once instead of after 30 days.
  it('does not fire a timer longer than 2^31-1 ms early', async () => {
    const fn = vi.fn();
    const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const handle = systemClock.setTimer(fn, 30 * 24 * 3_600_000);
    try {
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(fn).not.toHaveBeenCalled();
    } finally {
      systemClock.clearTimer(handle);
      warnings.mockRestore();
    }
  });

  it('fires an ordinary timer and can clear one', async () => {
    const fired = vi.fn();
    const cleared = vi.fn();
    systemClock.setTimer(fired, 1);
    systemClock.clearTimer(systemClock.setTimer(cleared, 1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fired).toHaveBeenCalledTimes(1);
    expect(cleared).not.toHaveBeenCalled();
    expect(Math.abs(systemClock.now() - Date.now())).toBeLessThan(50);
  });
});
