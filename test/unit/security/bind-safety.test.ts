import { describe, expect, it } from 'vitest';
import { unsafeBindReason } from '../../../src/security/bind-safety.js';

const facts = { keysFile: '/data/keys.json', keyCount: 0, allowUnauthenticated: false };

describe('unsafeBindReason', () => {
  it.each(['127.0.0.1', '127.0.0.2', 'localhost', '::1'])('lets a loopback bind (%s) start without keys', (host) => {
    expect(unsafeBindReason({ ...facts, host })).toBeUndefined();
  });

  it.each(['0.0.0.0', '::', '192.168.1.10', 'my-host.lan'])('refuses %s without keys, saying what to set', (host) => {
    const reason = unsafeBindReason({ ...facts, host });
    expect(reason).toContain(`refusing to listen on ${host}`);
    expect(reason).toContain('HEARTH_ALLOW_UNAUTHENTICATED=true');
    expect(reason).toContain('hearth keys add');
    expect(reason).toContain('HEARTH_API_KEYS');
    expect(reason).toContain('HEARTH_HOST=127.0.0.1');
    expect(reason).toContain('/data/keys.json');
  });

  it('starts on 0.0.0.0 with a key, or when unauthenticated serving is explicit', () => {
    expect(unsafeBindReason({ ...facts, host: '0.0.0.0', keyCount: 1 })).toBeUndefined();
    expect(unsafeBindReason({ ...facts, host: '0.0.0.0', allowUnauthenticated: true })).toBeUndefined();
  });
});
