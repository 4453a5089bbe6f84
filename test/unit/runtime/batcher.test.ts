import { describe, expect, it } from 'vitest';
import { rejection } from '../../helpers/rejection.js';
import { type BatcherOptions, Batcher, type RunStats } from '../../../src/runtime/batcher.js';
import { HearthError } from '../../../src/lib/errors.js';
import { rng } from '../../helpers/rng.js';

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
const ticks = async (n = 3) => {
  for (let i = 0; i < n; i++) await flush();
};

interface Item {
  id: string;
  cost: number;
}

const out = (item: Item) => `out:${item.id}`;
const items = (prefix: string, costs: number[]): Item[] => costs.map((cost, i) => ({ id: `${prefix}${i}`, cost }));
const ids = (list: Item[]) => list.map((i) => i.id);

interface Call {
  items: Item[];
  resolve(outputs?: string[]): void;
  reject(error: unknown): void;
}

/** A runner whose runs stay in flight until the test completes them, one by one. */
function manualRunner() {
  const calls: Call[] = [];
  const run = (batch: Item[]) =>
    new Promise<string[]>((resolve, reject) => {
      calls.push({ items: [...batch], resolve: (outputs) => resolve(outputs ?? batch.map(out)), reject });
    });
  /** Completes run #index (0-based) and lets the batcher cut the next one. */
  const complete = async (index: number) => {
    calls[index]!.resolve();
    await ticks();
  };
  return { calls, run, complete };
}

function makeBatcher(run: (items: Item[]) => Promise<string[]>, options: Partial<BatcherOptions<Item, string>> = {}) {
  const stats: RunStats[] = [];
  const batcher = new Batcher<Item, string>({
    run,
    cost: (item) => item.cost,
    maxBatchSize: 32,
    maxBatchCost: 1_000_000,
    maxQueue: 1000,
    windowMs: 0,
    onRun: (s) => stats.push(s),
    ...options,
  });
  return { batcher, stats };
}

/** Records how a promise settled, without awaiting it. */
function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}



describe('Batcher merging and ordering', () => {
  it('merges requests that arrive while a run is in flight into the next run', async () => {
    const r = manualRunner();
    const { batcher } = makeBatcher(r.run);
    const a = batcher.submit(items('a', [1]));
    await ticks();
    expect(r.calls).toHaveLength(1);

    const b = batcher.submit(items('b', [5, 1]));
    const c = batcher.submit(items('c', [3, 2, 4]));
    await ticks();
    expect(r.calls).toHaveLength(1);
    expect(batcher.queued).toBe(5);

    await r.complete(0);
    expect(r.calls).toHaveLength(2);
    expect(ids(r.calls[1]!.items).sort()).toEqual(['b0', 'b1', 'c0', 'c1', 'c2']);
    expect(batcher.queued).toBe(0);
    await r.complete(1);

    expect((await a).outputs).toEqual(['out:a0']);
    expect((await b).outputs).toEqual(['out:b0', 'out:b1']);
    expect((await c).outputs).toEqual(['out:c0', 'out:c1', 'out:c2']);
    expect(r.calls).toHaveLength(2);
  });

  it('requests submitted in the same tick share the first run', async () => {
    const r = manualRunner();
    const { batcher } = makeBatcher(r.run);
    const a = batcher.submit(items('a', [2, 2]));
    const b = batcher.submit(items('b', [2]));
    await ticks();
    expect(r.calls).toHaveLength(1);
    expect(ids(r.calls[0]!.items).sort()).toEqual(['a0', 'a1', 'b0']);
    await r.complete(0);
    expect((await a).outputs).toEqual(['out:a0', 'out:a1']);
    expect((await b).outputs).toEqual(['out:b0']);
  });

  it('gives each caller its own outputs in its own order even though runs reorder items', async () => {
    // The runner returns outputs tied to the item it was given, so any mix-up shows.
    const { batcher } = makeBatcher(async (batch) => batch.map(out), { maxBatchSize: 4 });
    const random = rng(7);
    const jobs = Array.from({ length: 12 }, (_, j) => items(`j${j}-`, Array.from({ length: 1 + Math.floor(random() * 6) }, () => 1 + Math.floor(random() * 50))));
    const results = await Promise.all(jobs.map((job) => batcher.submit(job)));
    results.forEach((result, j) => expect(result.outputs).toEqual(jobs[j]!.map(out)));
  });

  it('an empty submit resolves at once without a run', async () => {
    const r = manualRunner();
    const { batcher } = makeBatcher(r.run);
    expect(await batcher.submit([])).toEqual({ outputs: [], queueMs: 0, inferenceMs: 0 });
    await ticks();
    expect(r.calls).toHaveLength(0);
  });
});

describe('Batcher limits', () => {
  it('respects maxBatchSize and maxBatchCost (padded: max cost × count) on every run', async () => {
    const batches: Item[][] = [];
    const { batcher } = makeBatcher(
      async (batch) => {
        batches.push(batch);
        return batch.map(out);
      },
      { maxBatchSize: 8, maxBatchCost: 128 },
    );
    const random = rng(42);
    const jobs = Array.from({ length: 40 }, (_, j) => items(`j${j}-`, Array.from({ length: 1 + Math.floor(random() * 5) }, () => 1 + Math.floor(random() * 64))));
    const results = await Promise.all(jobs.map((job) => batcher.submit(job)));

    results.forEach((result, j) => expect(result.outputs).toEqual(jobs[j]!.map(out)));
    const all = batches.flat();
    expect(all).toHaveLength(jobs.flat().length);
    expect(new Set(ids(all)).size).toBe(all.length); // every item ran exactly once
    expect(batches.length).toBeGreaterThan(1);
    for (const batch of batches) {
      expect(batch.length).toBeLessThanOrEqual(8);
      expect(Math.max(...batch.map((i) => i.cost)) * batch.length).toBeLessThanOrEqual(128);
    }
  });

  it('runs a single item costlier than maxBatchCost on its own', async () => {
    const r = manualRunner();
    const { batcher } = makeBatcher(r.run, { maxBatchCost: 100 });
    const p = batcher.submit([...items('big', [500]), ...items('s', [1, 1])]);
    await ticks();
    expect(ids(r.calls[0]!.items)).toEqual(['big0']);
    await r.complete(0);
    expect(ids(r.calls[1]!.items).sort()).toEqual(['s0', 's1']);
    await r.complete(1);
    expect((await p).outputs).toEqual(['out:big0', 'out:s0', 'out:s1']);
  });

  it('splits a request bigger than maxBatchSize across runs and resolves once, in order', async () => {
    const r = manualRunner();
    const { batcher } = makeBatcher(r.run, { maxBatchSize: 4 });
    const request = items('x', [3, 1, 4, 1, 5, 9, 2, 6, 5, 3]);
    const result = track(batcher.submit(request));
    await ticks();
    expect(r.calls.map((c) => c.items.length)).toEqual([4]);
    await r.complete(0);
    expect(r.calls.map((c) => c.items.length)).toEqual([4, 4]);
    await r.complete(1);
    expect(r.calls.map((c) => c.items.length)).toEqual([4, 4, 2]);
    expect(result.settled).toBe(false);
    await r.complete(2);
    expect(result.settled).toBe(true);
    expect(result.value!.outputs).toEqual(request.map(out));
    expect(ids(r.calls.flatMap((c) => c.items)).sort()).toEqual(ids(request).sort());
  });

  it('refuses work beyond maxQueue with overloaded and leaves the queue as it was', async () => {
    const r = manualRunner();
    const { batcher } = makeBatcher(r.run, { maxQueue: 5 });
    const blocker = batcher.submit(items('blk', [1]));
    await ticks();
    const a = batcher.submit(items('a', [1, 1, 1]));
    expect(batcher.queued).toBe(3);

    const error = await rejection(batcher.submit(items('b', [1, 1, 1])));
    expect(error.code).toBe('overloaded');
    expect(error.retryAfterS).toBeGreaterThan(0);
    expect(batcher.queued).toBe(3);

    const c = batcher.submit(items('c', [1, 1])); // exactly at the limit
    expect(batcher.queued).toBe(5);
    await r.complete(0);
    await r.complete(1);
    expect((await blocker).outputs).toEqual(['out:blk0']);
    expect((await a).outputs).toHaveLength(3);
    expect((await c).outputs).toEqual(['out:c0', 'out:c1']);
    expect(r.calls.flatMap((call) => ids(call.items)).filter((id) => /^b\d/.test(id))).toEqual([]);
  });

  it('reserve(): admission holds room before the items exist, refuses at once when full, and an admitted submit is never refused', async () => {
    const r = manualRunner();
    const { batcher } = makeBatcher(r.run, { maxQueue: 4 });
    const blocker = batcher.submit(items('blk', [1]));
    await ticks();
    const held = batcher.reserve(3); // e.g. while the request is being tokenised
    expect(() => batcher.reserve(2)).toThrow(HearthError);
    const refused = await rejection(batcher.submit(items('x', [1, 1])));
    expect(refused.code).toBe('overloaded');
    const other = batcher.reserve(1);
    other.release();
    other.release(); // idempotent
    const admitted = batcher.submit(items('a', [1, 1, 1]), undefined, held);
    expect(batcher.queued).toBe(3);
    expect(() => batcher.reserve(2)).toThrow(HearthError);
    const last = batcher.reserve(1);
    last.release(); // a request that failed before submitting gives its room back
    expect(() => batcher.reserve(1)).not.toThrow();
    await r.complete(0);
    await r.complete(1);
    expect((await blocker).outputs).toEqual(['out:blk0']);
    expect((await admitted).outputs).toHaveLength(3);
  });
});

describe('Batcher fairness and grouping', () => {
  it('always puts the oldest queued item in the next run, however many short items keep arriving', async () => {
    const r = manualRunner();
    const { batcher } = makeBatcher(r.run, { maxBatchSize: 4 });
    void batcher.submit(items('blk', [1]));
    await ticks();
    void batcher.submit(items('s', [1]));
    const long = track(batcher.submit(items('long', [50])));
    for (let i = 0; i < 8; i++) void batcher.submit(items(`early${i}-`, [1]));

    await r.complete(0);
    // s0 is the oldest: its run is filled with the other short items.
    expect(ids(r.calls[1]!.items)).toContain('s0');
    expect(ids(r.calls[1]!.items)).not.toContain('long0');

    // More short items arrive before that run finishes; long0 is now the oldest.
    for (let i = 0; i < 8; i++) void batcher.submit(items(`late${i}-`, [1]));
    await r.complete(1);
    expect(ids(r.calls[2]!.items)).toContain('long0');
    await r.complete(2);
    await ticks(10); // finished callers are handed back one event-loop turn each
    expect(long.value!.outputs).toEqual(['out:long0']);
  });

  it('fills a run with the queued items closest in cost to the oldest', async () => {
    const r = manualRunner();
    const { batcher } = makeBatcher(r.run, { maxBatchSize: 4 });
    void batcher.submit(items('blk', [1]));
    await ticks();
    const costs = [10, 100, 11, 90, 9, 12, 200, 10];
    costs.forEach((cost, i) => void batcher.submit([{ id: `c${i}`, cost }]));
    await r.complete(0);
    // Oldest c0 (10), then by distance: c7 (10), c2 (11), c4 (9); c5 (12) is one too far.
    expect(ids(r.calls[1]!.items).sort()).toEqual(['c0', 'c2', 'c4', 'c7']);
    await r.complete(1);
    // The far-off rest go together next.
    expect(ids(r.calls[2]!.items).sort()).toEqual(['c1', 'c3', 'c5', 'c6']);
  });

  it('skips a close item that would break the padded budget but keeps filling with cheaper ones', async () => {
    const r = manualRunner();
    const { batcher } = makeBatcher(r.run, { maxBatchSize: 8, maxBatchCost: 45 });
    void batcher.submit(items('blk', [1]));
    await ticks();
    [20, 23, 15].forEach((cost, i) => void batcher.submit([{ id: `c${i}`, cost }]));
    await r.complete(0);
    // c1 (23) is closest to c0 (20) but 2 × 23 = 46 > 45; c2 (15) still fits: 2 × 20 = 40.
    expect(ids(r.calls[1]!.items).sort()).toEqual(['c0', 'c2']);
    await r.complete(1);
    expect(ids(r.calls[2]!.items)).toEqual(['c1']);
  });
});

describe('Batcher cancellation', () => {
  it('an abort while queued rejects with client_closed and its items never reach run()', async () => {
    const r = manualRunner();
    const { batcher } = makeBatcher(r.run);
    void batcher.submit(items('blk', [1]));
    await ticks();
    const controller = new AbortController();
    const x = batcher.submit(items('x', [1, 2, 3]), controller.signal);
    const y = batcher.submit(items('y', [2]));
    expect(batcher.queued).toBe(4);

    controller.abort();
    expect((await rejection(x)).code).toBe('client_closed');
    expect(batcher.queued).toBe(1);
    await r.complete(0);
    await r.complete(1);
    expect((await y).outputs).toEqual(['out:y0']);
    expect(r.calls.flatMap((c) => ids(c.items)).filter((id) => id.startsWith('x'))).toEqual([]);
  });

  it('an already aborted signal rejects at once and queues nothing', async () => {
    const r = manualRunner();
    const { batcher } = makeBatcher(r.run);
    const controller = new AbortController();
    controller.abort();
    expect((await rejection(batcher.submit(items('x', [1]), controller.signal))).code).toBe('client_closed');
    expect(batcher.queued).toBe(0);
    await ticks();
    expect(r.calls).toHaveLength(0);
  });

  it('an abort during a run rejects that caller at once and drops its queued rest; others in the run still resolve', async () => {
    const r = manualRunner();
    const { batcher } = makeBatcher(r.run, { maxBatchSize: 3 });
    const controller = new AbortController();
    const x = batcher.submit(items('x', [1, 1, 1, 1, 1]), controller.signal);
    await ticks();
    expect(ids(r.calls[0]!.items)).toEqual(['x0', 'x1', 'x2']);
    const y = batcher.submit(items('y', [1]));

    controller.abort();
    expect((await rejection(x)).code).toBe('client_closed');
    await r.complete(0);
    expect(ids(r.calls[1]!.items)).toEqual(['y0']);
    await r.complete(1);
    expect((await y).outputs).toEqual(['out:y0']);
    expect(r.calls).toHaveLength(2);
  });

  it('aborting after the result arrived changes nothing', async () => {
    const { batcher } = makeBatcher(async (batch) => batch.map(out));
    const controller = new AbortController();
    const result = await batcher.submit(items('x', [1]), controller.signal);
    controller.abort();
    expect(result.outputs).toEqual(['out:x0']);
  });
});

describe('Batcher runner failures', () => {
  it('a failed run rejects every job with items in it, and only those', async () => {
    const r = manualRunner();
    const { batcher } = makeBatcher(r.run, { maxBatchSize: 3 });
    void batcher.submit(items('blk', [1]));
    await ticks();
    const a = batcher.submit(items('a', [1, 1]));
    const b = batcher.submit(items('b', [1]));
    const c = batcher.submit(items('c', [100]));
    await r.complete(0);
    expect(ids(r.calls[1]!.items).sort()).toEqual(['a0', 'a1', 'b0']);

    const aError = a.catch((e: unknown) => e);
    const bError = b.catch((e: unknown) => e);
    const boom = new Error('inference exploded');
    r.calls[1]!.reject(boom);
    await ticks();
    expect(await aError).toBe(boom);
    expect(await bError).toBe(boom);
    expect(ids(r.calls[2]!.items)).toEqual(['c0']);
    await r.complete(2);
    expect((await c).outputs).toEqual(['out:c0']);
  });

  it('a failed run drops the failed job\'s items that are still queued', async () => {
    const r = manualRunner();
    const { batcher } = makeBatcher(r.run, { maxBatchSize: 2 });
    const x = batcher.submit(items('x', [1, 1, 1, 1, 1]));
    await ticks();
    r.calls[0]!.reject(new Error('boom'));
    await expect(x).rejects.toThrow('boom');
    await ticks();
    expect(r.calls).toHaveLength(1);
    expect(batcher.queued).toBe(0);
  });

  it('a runner returning the wrong number of outputs fails the run', async () => {
    const { batcher } = makeBatcher(async (batch) => batch.slice(1).map(out));
    await expect(batcher.submit(items('x', [1, 1]))).rejects.toThrow(/outputs/);
  });

  it('keeps working after a failed run', async () => {
    let fail = true;
    const { batcher } = makeBatcher(async (batch) => {
      if (fail) throw new Error('once');
      return batch.map(out);
    });
    await expect(batcher.submit(items('x', [1]))).rejects.toThrow('once');
    fail = false;
    expect((await batcher.submit(items('y', [1]))).outputs).toEqual(['out:y0']);
  });
});

describe('Batcher timings and stats', () => {
  it('reports queueMs and inferenceMs as non-negative numbers', async () => {
    const r = manualRunner();
    const { batcher } = makeBatcher(r.run, { maxBatchSize: 1 });
    const p = batcher.submit(items('x', [1, 1]));
    await ticks();
    await r.complete(0);
    await r.complete(1);
    const { queueMs, inferenceMs } = await p;
    for (const ms of [queueMs, inferenceMs]) {
      expect(typeof ms).toBe('number');
      expect(Number.isFinite(ms)).toBe(true);
      expect(ms).toBeGreaterThanOrEqual(0);
    }
  });

  it('calls onRun with size, padded cost, real cost and what is left queued', async () => {
    const r = manualRunner();
    const { batcher, stats } = makeBatcher(r.run, { maxBatchSize: 3 });
    void batcher.submit(items('blk', [2]));
    await ticks();
    void batcher.submit(items('a', [3, 5, 1, 40]));
    await r.complete(0);
    expect(stats[0]).toMatchObject({ size: 1, paddedCost: 2, realCost: 2, queued: 4 });
    await r.complete(1);
    expect(stats[1]).toMatchObject({ size: 3, paddedCost: 15, realCost: 9, queued: 1 });
    await r.complete(2);
    expect(stats[2]).toMatchObject({ size: 1, paddedCost: 40, realCost: 40, queued: 0 });
    for (const s of stats) expect(s.ms).toBeGreaterThanOrEqual(0);
  });
});

describe('Batcher observers', () => {
  it('a throwing onRun hook neither breaks the run loop nor strands callers', async () => {
    const batcher = new Batcher<Item, string>({
      run: async (batch) => batch.map(out),
      cost: (i) => i.cost,
      maxBatchSize: 2,
      maxBatchCost: 1000,
      maxQueue: 100,
      windowMs: 0,
      onRun: () => {
        throw new Error('metrics exploded');
      },
    });
    const result = await batcher.submit(items('x', [1, 2, 3, 4, 5]));
    expect(result.outputs).toEqual(['out:x0', 'out:x1', 'out:x2', 'out:x3', 'out:x4']);
    expect((await batcher.submit(items('y', [1]))).outputs).toEqual(['out:y0']);
  });
});

describe('Batcher hand-back', () => {
  it('settles the callers of one run in separate event-loop turns, so I/O can interleave', async () => {
    let finish!: () => void;
    const gate = new Promise<void>((res) => (finish = res));
    const batcher = new Batcher<Item, string>({
      run: async (batch) => {
        await gate;
        return batch.map(out);
      },
      cost: (i) => i.cost,
      maxBatchSize: 8,
      maxBatchCost: 1000,
      maxQueue: 100,
      windowMs: 0,
    });
    const jobs = Array.from({ length: 4 }, (_, i) => track(batcher.submit(items(`j${i}-`, [1]))));
    await flush();
    finish();
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(jobs.filter((j) => j.settled)).toHaveLength(1);
    await flush();
    expect(jobs.filter((j) => j.settled)).toHaveLength(2);
    await ticks(5);
    expect(jobs.every((j) => j.settled)).toBe(true);
  });
});
