import { describe, expect, it } from 'vitest';
import { SingleFlight } from '../../../src/models/single-flight.js';

const abortable = (signal: AbortSignal, log: string[], name: string) =>
  new Promise<string>((_, reject) => signal.addEventListener('abort', () => setTimeout(() => (log.push(`${name} stopped`), reject(signal.reason)), 20)));

describe('SingleFlight', () => {
  it('shares one run, replays the latest events to a late joiner, and fans out the rest', async () => {
    const flights = new SingleFlight<number, { k: string; v: number }>((e) => e.k);
    let starts = 0;
    let emitNext!: (e: { k: string; v: number }) => void;
    let finish!: (n: number) => void;
    const a: number[] = [];
    const b: number[] = [];
    const first = flights.run('x', (_signal, emit) => (starts++, (emitNext = emit), new Promise<number>((r) => (finish = r))), { onEvent: (e) => a.push(e.v) });
    await Promise.resolve();
    emitNext({ k: 'p', v: 1 });
    emitNext({ k: 'p', v: 2 });
    const second = flights.run('x', async () => -1, { onEvent: (e) => b.push(e.v) });
    emitNext({ k: 'p', v: 3 });
    finish(42);
    expect(await Promise.all([first, second])).toEqual([42, 42]);
    expect(starts).toBe(1);
    expect(a).toEqual([1, 2, 3]);
    expect(b).toEqual([2, 3]);
  });

  it('aborts the run only when every caller has gone; a new caller then waits for it to stop', async () => {
    const flights = new SingleFlight<string>();
    const log: string[] = [];
    const c1 = new AbortController();
    const c2 = new AbortController();
    const p1 = flights.run('x', (signal) => abortable(signal, log, 'run1'), { signal: c1.signal });
    const p2 = flights.run('x', async () => 'never', { signal: c2.signal });
    c1.abort(new Error('c1 left'));
    await expect(p1).rejects.toThrow('c1 left');
    expect(log).toEqual([]);
    c2.abort(new Error('c2 left'));
    const p3 = flights.run('x', async () => (log.push('run2 started'), 'fresh'));
    await expect(p2).rejects.toThrow('c2 left');
    expect(log[0]).toBe('run1 stopped'); // the last caller out waited for the run to stop
    expect(await p3).toBe('fresh');
    expect(log).toEqual(['run1 stopped', 'run2 started']);
  });
});
