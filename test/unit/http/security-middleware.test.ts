import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import type { AppEnv } from '../../../src/http/env.js';
import { errorResponse } from '../../../src/http/errors.js';
import { securityMiddleware } from '../../../src/http/middleware/security.js';
import { silentLogger } from '../../../src/lib/log.js';
import { KeyRing } from '../../../src/security/key-ring.js';
import { sha256Hex } from '../../../src/security/keys-file.js';

const GOOD = 'hk-good-key';
const LIMITED = 'hk-limited-key';

function makeApp(env: Record<string, string>, ring = new KeyRing([{ name: 'app', sha256: sha256Hex(GOOD) }, { name: 'small', sha256: sha256Hex(LIMITED), rate_limit: { requests_per_minute: 1 } }], [])) {
  const clock = { t: 1_000_000 };
  const config = loadConfig({ HEARTH_KEYS_FILE: '/nonexistent/keys.json', ...env });
  const app = new Hono<AppEnv>();
  app.use('*', ...securityMiddleware({ config, log: silentLogger(), keys: { current: async () => ring }, now: () => clock.t }));
  app.get('/health', (c) => c.json({ status: 'ok', key: c.var.keyName ?? null }));
  app.post('/v1/embeddings', (c) => {
    c.set('tokens', Number(c.req.query('tokens') ?? '0'));
    return c.json({ key: c.var.keyName ?? null, ip: c.var.clientIp ?? null });
  });
  app.onError((error, c) => errorResponse(c, error));
  const call = (path: string, { peer = '127.0.0.1', headers = {}, method = path === '/health' ? 'GET' : 'POST' }: { peer?: string; headers?: Record<string, string>; method?: string } = {}) =>
    app.request(`http://localhost${path}`, { method, headers: { host: 'localhost:8000', ...headers } }, { incoming: { socket: { remoteAddress: peer } } });
  return { call, clock };
}

const codeOf = async (res: Response) => ((await res.json()) as { error: { code: string; type: string } }).error;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('bearer auth middleware', () => {
  const { call } = makeApp({});

  it('refuses a protected route without a key or with a bad one (401 + WWW-Authenticate)', async () => {
    for (const headers of [{}, bearer('hk-wrong'), { authorization: 'Basic abc' }, { authorization: GOOD }, { authorization: 'Bearer' }]) {
      const res = await call('/v1/embeddings', { peer: '10.0.0.5', headers });
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="hearth"');
      expect(await codeOf(res)).toMatchObject({ code: 'unauthorized', type: 'authentication_error' });
    }
  });

  it('accepts a good key, case-insensitive scheme, and names the request after it', async () => {
    for (const authorization of [`Bearer ${GOOD}`, `bearer ${GOOD}`, `  Bearer   ${GOOD}  `]) {
      const res = await call('/v1/embeddings', { headers: { authorization } });
      expect(res.status, authorization).toBe(200);
      expect(await res.json()).toMatchObject({ key: 'app' });
    }
  });

  it('leaves exempt paths open, even with a bad key, and still names a good one', async () => {
    expect((await call('/health', { peer: '10.0.0.5' })).status).toBe(200);
    expect((await call('/health', { peer: '10.0.0.5', headers: bearer('hk-wrong') })).status).toBe(200);
    expect(await (await call('/health', { headers: bearer(GOOD) })).json()).toMatchObject({ key: 'app' });
  });

  it('with no key configured on a loopback bind, everything is open', async () => {
    const open = makeApp({}, new KeyRing([], []));
    expect((await open.call('/v1/embeddings')).status).toBe(200);
  });

  it('with no key configured on a non-loopback bind (keys removed at run time), protected routes stay closed', async () => {
    const closed = makeApp({ HEARTH_HOST: '0.0.0.0' }, new KeyRing([], []));
    const res = await closed.call('/v1/embeddings', { peer: '10.0.0.5' });
    expect(res.status).toBe(401);
    expect((await codeOf(res)) as unknown as { message: string }).toMatchObject({ message: expect.stringContaining('hearth keys add') });
    expect((await closed.call('/health', { peer: '10.0.0.5' })).status).toBe(200);
    const opened = makeApp({ HEARTH_HOST: '0.0.0.0', HEARTH_ALLOW_UNAUTHENTICATED: 'true' }, new KeyRing([], []));
    expect((await opened.call('/v1/embeddings', { peer: '10.0.0.5' })).status).toBe(200);
  });

  it('HEARTH_AUTH_EXEMPT replaces the exempt list', async () => {
    const custom = makeApp({ HEARTH_AUTH_EXEMPT: '/v1/embeddings' });
    expect((await custom.call('/v1/embeddings', { peer: '10.0.0.5' })).status).toBe(200);
    expect((await custom.call('/health', { peer: '10.0.0.5' })).status).toBe(401);
  });
});

describe('HEARTH_LOOPBACK_NO_AUTH', () => {
  const { call } = makeApp({ HEARTH_LOOPBACK_NO_AUTH: 'true' });

  it('lets a direct loopback client in without a key (or with an unknown one)', async () => {
    for (const peer of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '127.0.0.2']) expect((await call('/v1/embeddings', { peer })).status, peer).toBe(200);
    expect(await (await call('/v1/embeddings', { headers: bearer('ollama') })).json()).toMatchObject({ key: null });
    expect(await (await call('/v1/embeddings', { headers: bearer(GOOD) })).json()).toMatchObject({ key: 'app' });
  });

  it('does not open the door to remote clients, nor to requests a local proxy forwarded', async () => {
    expect((await call('/v1/embeddings', { peer: '10.0.0.5' })).status).toBe(401);
    expect((await call('/v1/embeddings', { headers: { 'x-forwarded-for': '203.0.113.9' } })).status).toBe(401);
    expect((await call('/v1/embeddings', { headers: { forwarded: 'for=203.0.113.9' } })).status).toBe(401);
  });

  it('is off by default', async () => {
    expect((await makeApp({}).call('/v1/embeddings')).status).toBe(401);
  });
});

describe('Host guard', () => {
  it('refuses a foreign Host on a loopback bind with 403 forbidden, on every route', async () => {
    const { call } = makeApp({});
    for (const path of ['/health', '/v1/embeddings']) {
      const res = await call(path, { headers: { host: 'evil.example', ...bearer(GOOD) } });
      expect(res.status).toBe(403);
      expect(await codeOf(res)).toMatchObject({ code: 'forbidden', type: 'permission_error' });
    }
    expect((await call('/health', { headers: { host: '127.0.0.1:8000' } })).status).toBe(200);
    expect((await call('/health', { headers: { host: '[::1]:8000' } })).status).toBe(200);
  });

  it('accepts HEARTH_ALLOWED_HOSTS names', async () => {
    const { call } = makeApp({ HEARTH_ALLOWED_HOSTS: 'Hearth.LAN' });
    expect((await call('/health', { headers: { host: 'hearth.lan:8000' } })).status).toBe(200);
  });

  it('is not mounted on a non-loopback bind', async () => {
    const { call } = makeApp({ HEARTH_HOST: '0.0.0.0' });
    expect((await call('/health', { headers: { host: 'hearth.example.com' } })).status).toBe(200);
  });
});

describe('IP allowlist', () => {
  const { call } = makeApp({ HEARTH_IP_ALLOWLIST: '127.0.0.1/32, 10.0.0.0/8, 2001:db8::/32', HEARTH_TRUSTED_PROXIES: '192.168.0.1' });

  it.each([
    ['127.0.0.1', {}, 200],
    ['::ffff:127.0.0.1', {}, 200],
    ['10.20.30.40', {}, 200],
    ['2001:db8::9', {}, 200],
    ['127.0.0.2', {}, 403],
    ['172.16.0.1', {}, 403],
    ['172.16.0.1', { 'x-forwarded-for': '10.0.0.1' }, 403],
    ['192.168.0.1', {}, 403],
    ['192.168.0.1', { 'x-forwarded-for': '10.0.0.1' }, 200],
    ['192.168.0.1', { 'x-forwarded-for': '10.0.0.1, 172.16.0.1' }, 403],
    ['192.168.0.1', { 'x-forwarded-for': 'nonsense' }, 403],
  ] as const)('peer %s %j → %d, on exempt routes too', async (peer, headers, status) => {
    const res = await call('/health', { peer, headers });
    expect(res.status).toBe(status);
    if (status === 403) expect(await codeOf(res)).toMatchObject({ code: 'forbidden', type: 'permission_error' });
  });

  it('gives routes the resolved client address', async () => {
    const res = await call('/v1/embeddings', { peer: '192.168.0.1', headers: { 'x-forwarded-for': '10.0.0.1', ...bearer(GOOD) } });
    expect(await res.json()).toMatchObject({ ip: '10.0.0.1' });
  });
});

describe('rate limits', () => {
  it('refuses the request over the limit with 429, Retry-After, x-should-retry and x-ratelimit-* headers', async () => {
    const { call, clock } = makeApp({ HEARTH_RATE_LIMIT_RPM: '2' });
    const first = await call('/v1/embeddings', { headers: bearer(GOOD) });
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    expect(first.headers.get('x-ratelimit-reset-requests')).toBe('30s');
    expect((await call('/v1/embeddings', { headers: bearer(GOOD) })).status).toBe(200);
    const refused = await call('/v1/embeddings', { headers: bearer(GOOD) });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('30');
    expect(refused.headers.get('x-should-retry')).toBe('true');
    expect(refused.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(await codeOf(refused)).toMatchObject({ code: 'rate_limited', type: 'rate_limit_error' });
    expect((await call('/health', { headers: bearer(GOOD) })).status).toBe(200);
    clock.t += 30_000;
    expect((await call('/v1/embeddings', { headers: bearer(GOOD) })).status).toBe(200);
  });

  it('uses a key\'s own limit from the keys file over the default', async () => {
    const { call } = makeApp({ HEARTH_RATE_LIMIT_RPM: '100' });
    expect((await call('/v1/embeddings', { headers: bearer(LIMITED) })).status).toBe(200);
    const refused = await call('/v1/embeddings', { headers: bearer(LIMITED) });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('60');
    expect((await call('/v1/embeddings', { headers: bearer(GOOD) })).status).toBe(200);
  });

  it('charges the tokens a route reports after it answers, and refuses while in debt', async () => {
    const { call, clock } = makeApp({ HEARTH_RATE_LIMIT_TPM: '600' });
    const first = await call('/v1/embeddings?tokens=900', { headers: bearer(GOOD) });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit-tokens')).toBe('600');
    expect(first.headers.get('x-ratelimit-remaining-tokens')).toBe('0');
    const refused = await call('/v1/embeddings?tokens=1', { headers: bearer(GOOD) });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBe(31);
    clock.t += 31_000;
    expect((await call('/v1/embeddings?tokens=1', { headers: bearer(GOOD) })).status).toBe(200);
  });

  it('limits requests without a key per client IP', async () => {
    const { call } = makeApp({ HEARTH_RATE_LIMIT_RPM: '1' }, new KeyRing([], []));
    expect((await call('/v1/embeddings', { peer: '127.0.0.1' })).status).toBe(200);
    expect((await call('/v1/embeddings', { peer: '127.0.0.1' })).status).toBe(429);
    expect((await call('/v1/embeddings', { peer: '127.0.0.2' })).status).toBe(200);
  });

  it('sends no rate-limit headers when unlimited (the default)', async () => {
    const res = await makeApp({}).call('/v1/embeddings', { headers: bearer(GOOD) });
    expect([...res.headers.keys()].filter((h) => h.startsWith('x-ratelimit'))).toEqual([]);
  });
});
