import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';

describe('security settings', () => {
  it('has safe, documented defaults', () => {
    const config = loadConfig({ HEARTH_DATA_DIR: '/srv/hearth' });
    expect(config.security).toEqual({
      keysFile: join(resolve('/srv/hearth'), 'keys.json'),
      authExempt: ['/health', '/ready'],
      loopbackNoAuth: false,
      allowUnauthenticated: false,
      ipAllowlist: [],
      trustedProxies: [],
      allowedHosts: [],
      rateLimit: { requestsPerMinute: 0, tokensPerMinute: 0 },
    });
  });

  it('reads every variable', () => {
    const s = loadConfig({
      HEARTH_KEYS_FILE: 'rel/keys.yaml',
      HEARTH_AUTH_EXEMPT: '/health, /metrics',
      HEARTH_LOOPBACK_NO_AUTH: 'true',
      HEARTH_ALLOW_UNAUTHENTICATED: '1',
      HEARTH_IP_ALLOWLIST: '192.168.1.0/24, 127.0.0.1, ::1',
      HEARTH_TRUSTED_PROXIES: '10.0.0.1/32',
      HEARTH_ALLOWED_HOSTS: 'Hearth.LAN., box',
      HEARTH_RATE_LIMIT_RPM: '60',
      HEARTH_RATE_LIMIT_TPM: '100000',
    }).security;
    expect(s).toEqual({
      keysFile: resolve('rel/keys.yaml'),
      authExempt: ['/health', '/metrics'],
      loopbackNoAuth: true,
      allowUnauthenticated: true,
      ipAllowlist: ['192.168.1.0/24', '127.0.0.1', '::1'],
      trustedProxies: ['10.0.0.1/32'],
      allowedHosts: ['hearth.lan', 'box'],
      rateLimit: { requestsPerMinute: 60, tokensPerMinute: 100_000 },
    });
  });

  it('HEARTH_AUTH_EXEMPT=none exempts nothing', () => {
    expect(loadConfig({ HEARTH_AUTH_EXEMPT: 'none' }).security.authExempt).toEqual([]);
  });

  it.each([
    ['HEARTH_IP_ALLOWLIST', '10.0.0.0/33'],
    ['HEARTH_IP_ALLOWLIST', 'office-network'],
    ['HEARTH_TRUSTED_PROXIES', '10.0.0.1, nope'],
    ['HEARTH_AUTH_EXEMPT', 'health'],
    ['HEARTH_RATE_LIMIT_RPM', '-1'],
    ['HEARTH_RATE_LIMIT_TPM', '1.5'],
    ['HEARTH_LOOPBACK_NO_AUTH', 'maybe'],
    ['HEARTH_ALLOW_UNAUTHENTICATED', 'sure'],
  ])('%s=%s stops start-up with a message naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});
