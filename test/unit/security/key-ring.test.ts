import * as crypto from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';

vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) };
});

const { KeyRing } = await import('../../../src/security/key-ring.js');
const { sha256Hex } = await import('../../../src/security/keys-file.js');

const fileKeys = [
  { name: 'app-a', sha256: sha256Hex('hk-aaa'), rate_limit: { requests_per_minute: 5 } },
  { name: 'app-b', sha256: sha256Hex('hk-bbb').toUpperCase() },
];

describe('KeyRing', () => {
  const ring = new KeyRing(fileKeys, ['sk-env-one', 'sk-env-two']);

  it('matches file keys by sha256 and env keys as env-1, env-2…', () => {
    expect(ring.size).toBe(4);
    expect(ring.names).toEqual(['app-a', 'app-b', 'env-1', 'env-2']);
    expect(ring.match('hk-aaa')).toEqual({ name: 'app-a', limits: { requestsPerMinute: 5, tokensPerMinute: undefined } });
    expect(ring.match('hk-bbb')?.name).toBe('app-b');
    expect(ring.match('sk-env-two')).toEqual({ name: 'env-2', limits: {} });
  });

  it.each(['', 'hk-aa', 'hk-aaaa', 'HK-AAA', 'hk-aaa ', sha256Hex('hk-aaa')])('refuses %j', (presented) => {
    expect(ring.match(presented)).toBeUndefined();
  });

  it('compares against every key, with digests of one length, even when the first one matches', () => {
    const spy = vi.mocked(crypto.timingSafeEqual);
    for (const presented of ['hk-aaa', 'sk-env-two', 'nope', 'x'.repeat(10_000)]) {
      spy.mockClear();
      ring.match(presented);
      expect(spy).toHaveBeenCalledTimes(4);
      for (const [a, b] of spy.mock.calls) {
        expect((a as Buffer).length).toBe(32);
        expect((b as Buffer).length).toBe(32);
      }
    }
  });

  it('an empty ring matches nothing', () => {
    expect(new KeyRing([], []).match('anything')).toBeUndefined();
  });
});
