import { describe, expect, it } from 'vitest';
import { isHearthError } from '../../../src/lib/errors.js';
import { Slots } from '../../../src/runtime/browser/slots.js';

describe('browser Slots', () => {
  it('lends up to capacity, queues up to maxQueue in order, then refuses with overloaded + Retry-After', async () => {
    const slots = new Slots(1, 2, 3);
    const order: string[] = [];
    const first = await slots.acquire();
    const a = slots.acquire().then((release) => (order.push('a'), release));
    const b = slots.acquire().then((release) => (order.push('b'), release));
    const refused = await slots.acquire().then(() => null, (e) => e);
    expect(isHearthError(refused) && refused.code === 'overloaded' && refused.retryAfterS === 3).toBe(true);
    expect([slots.inUse, slots.queued]).toEqual([1, 2]);
    first();
    first(); // a second release of the same lease is a no-op
    (await a)();
    (await b)();
    expect(order).toEqual(['a', 'b']);
    expect([slots.inUse, slots.queued]).toEqual([0, 0]);
  });

  it('a waiter whose caller gives up leaves the queue without taking a slot', async () => {
    const slots = new Slots(1, 5);
    const release = await slots.acquire();
    const abort = new AbortController();
    const waiting = slots.acquire(abort.signal);
    abort.abort(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    expect(slots.queued).toBe(0);
    release();
    expect(slots.inUse).toBe(0);
  });
});
