import { describe, expect, it } from 'vitest';
import { hostName, isAllowedHost } from '../../../src/security/host-guard.js';

describe('Host-header guard (DNS rebinding)', () => {
  const extra = new Set(['hearth.lan', 'my-box']);
  it.each([
    ['localhost', true],
    ['localhost:8000', true],
    ['LOCALHOST:8000', true],
    ['localhost.', true],
    ['127.0.0.1', true],
    ['127.0.0.1:11434', true],
    ['127.0.0.2:8000', true],
    ['[::1]', true],
    ['[::1]:8000', true],
    ['hearth.lan:8000', true],
    ['HEARTH.LAN', true],
    ['my-box', true],
    [undefined, true],
    ['evil.example', false],
    ['evil.example:8000', false],
    ['localhost.evil.example', false],
    ['127.0.0.1.nip.io', false],
    ['10.0.0.5:8000', false],
    ['[2001:db8::1]:8000', false],
    ['::1', false],
    ['localhost:80:80', false],
    ['localhost:http', false],
    ['user@localhost', false],
    ['127.1', false],
  ])('Host %s → %s', (host, allowed) => {
    expect(isAllowedHost(host, extra)).toBe(allowed);
  });

  it('"*" in the allowed list turns the guard off', () => {
    expect(isAllowedHost('evil.example', new Set(['*']))).toBe(true);
  });

  it('hostName strips port and trailing dot', () => {
    expect(hostName('Example.COM.:443')).toBe('example.com');
    expect(hostName('[::1]:1')).toBe('[::1]');
    expect(hostName('a b')).toBeUndefined();
  });
});
