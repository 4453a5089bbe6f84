import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DispatcherFactory,
  type Resolver,
  type SafeFetchOptions,
  parseAllowlist,
  pinnedAgent,
  safeFetch,
} from '../../../src/net/egress/index.js';
import { type LoopbackServer, startIpv6Canary, startLoopbackServer } from '../../helpers/loopback.js';

// Only loopback traffic: the fixture on 127.0.0.1 is allowlisted; the canaries on 127.0.0.2
// and ::1 are not, and must never see a connection.
let fixture: LoopbackServer;
let canary: LoopbackServer;
let canary6: LoopbackServer | null;
const BIG = Buffer.alloc(64 * 1024, 7);

beforeAll(async () => {
  canary = await startLoopbackServer('127.0.0.2');
  canary6 = await startIpv6Canary();
  fixture = await startLoopbackServer('127.0.0.1', (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const to = url.searchParams.get('to');
    switch (url.pathname) {
      case '/ok':
        res.setHeader('content-type', 'text/plain');
        res.end('hello');
        return;
      case '/echo-headers':
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(req.headers));
        return;
      case '/redirect':
        res.writeHead(Number(url.searchParams.get('status') ?? 302), { location: to ?? '/ok' });
        res.end();
        return;
      case '/loop':
        res.writeHead(302, { location: `/loop?n=${Number(url.searchParams.get('n') ?? 0) + 1}` });
        res.end();
        return;
      case '/big-declared':
        res.writeHead(200, { 'content-length': String(BIG.length) });
        res.end(BIG);
        return;
      case '/big-chunked':
        res.writeHead(200, { 'transfer-encoding': 'chunked' });
        for (let i = 0; i < 16; i++) res.write(BIG.subarray(0, 4096));
        res.end();
        return;
      case '/gzip-bomb':
        res.writeHead(200, { 'content-encoding': 'gzip' });
        res.end(gzipSync(Buffer.alloc(8 * 1024 * 1024)));
        return;
      case '/gzip':
        res.writeHead(200, { 'content-encoding': 'gzip' });
        res.end(gzipSync(Buffer.from('compressed hello')));
        return;
      case '/drip': {
        res.writeHead(200, { 'content-type': 'image/png' });
        const timer = setInterval(() => res.write('x'), 20);
        res.on('close', () => clearInterval(timer));
        return;
      }
      case '/silent':
        return; // never answers
      case '/status':
        res.writeHead(404);
        res.end('nope');
        return;
      default:
        res.writeHead(404);
        res.end();
    }
  });
});

afterAll(async () => {
  await Promise.all([fixture.close(), canary.close(), canary6?.close()]);
});

const ALLOW_FIXTURE = parseAllowlist(['127.0.0.1/32']);

/** Maps test names to loopback addresses; anything else does not resolve. */
function resolver(map: Record<string, string[]>, calls: string[] = []): Resolver {
  return async (hostname) => {
    calls.push(hostname);
    const answers = map[hostname];
    if (!answers) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
    return answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

function spyDispatcher(): DispatcherFactory & { calls: string[][] } {
  const calls: string[][] = [];
  const factory = ((pin, options) => {
    calls.push(pin.addresses.map((a) => a.address));
    return pinnedAgent(pin, options);
  }) as DispatcherFactory & { calls: string[][] };
  factory.calls = calls;
  return factory;
}

const opts = (extra: Partial<SafeFetchOptions> = {}): SafeFetchOptions => ({
  maxBytes: 1024 * 1024,
  timeoutMs: 2000,
  maxRedirects: 3,
  allowlist: ALLOW_FIXTURE,
  resolver: resolver({}),
  ...extra,
});

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected the fetch to fail');
}

function connectionsBefore() {
  return { canary: canary.connections, canary6: canary6?.connections ?? 0 };
}
function expectCanariesUntouched(before: { canary: number; canary6: number }) {
  expect(canary.connections).toBe(before.canary);
  expect(canary6?.connections ?? 0).toBe(before.canary6);
  expect(canary.connections).toBe(0);
}

describe('safeFetch against loopback fixtures', () => {
  it('fetches from an allowlisted address', async () => {
    const res = await safeFetch(`${fixture.url}/ok`, opts());
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('hello');
    expect(res.finalUrl).toBe(`${fixture.url}/ok`);
    expect(res.headers['content-type']).toBe('text/plain');
  });

  it('connects to the pinned address of a name, keeping the name as Host', async () => {
    const dispatcher = spyDispatcher();
    const calls: string[] = [];
    const res = await safeFetch(`http://images.test:${fixture.port}/echo-headers`, opts({ resolver: resolver({ 'images.test': ['127.0.0.1'] }, calls), dispatcher }));
    expect(JSON.parse(res.body.toString()).host).toBe(`images.test:${fixture.port}`);
    expect(calls).toEqual(['images.test']);
    expect(dispatcher.calls).toEqual([['127.0.0.1']]);
  });

  it('allows a host name entry of the allowlist whatever it resolves to', async () => {
    const res = await safeFetch(`http://nas.local:${fixture.port}/ok`, opts({ allowlist: parseAllowlist(['nas.local']), resolver: resolver({ 'nas.local': ['127.0.0.1'] }) }));
    expect(res.body.toString()).toBe('hello');
  });

  it('refuses a name that resolves to a private address without connecting', async () => {
    const dispatcher = spyDispatcher();
    const e = await failure(safeFetch('http://intranet.test/', opts({ resolver: resolver({ 'intranet.test': ['10.0.0.5'] }), dispatcher })));
    expect(e.code).toBe('url_not_allowed');
    expect(e.message).toMatch(/^URL not allowed/);
    expect(e.message).not.toContain('10.0.0.5');
    expect(dispatcher.calls).toEqual([]);
  });

  it('refuses a name whose answers mix public and private addresses, without connecting', async () => {
    const dispatcher = spyDispatcher();
    const e = await failure(safeFetch('http://rebind.test/', opts({ resolver: resolver({ 'rebind.test': ['93.184.216.34', '169.254.169.254'] }), dispatcher })));
    expect(e.code).toBe('url_not_allowed');
    expect(dispatcher.calls).toEqual([]);
  });

  it('refuses a name resolving to 127.0.0.1 when loopback is not allowlisted; the server sees nothing', async () => {
    const before = fixture.connections;
    const dispatcher = spyDispatcher();
    const e = await failure(
      safeFetch(`http://sneaky.test:${fixture.port}/ok`, opts({ allowlist: parseAllowlist([]), resolver: resolver({ 'sneaky.test': ['127.0.0.1'] }), dispatcher })),
    );
    expect(e.code).toBe('url_not_allowed');
    expect(dispatcher.calls).toEqual([]);
    expect(fixture.connections).toBe(before);
  });

  it('refuses a direct URL to the canary', async () => {
    const before = connectionsBefore();
    expect((await failure(safeFetch(`${canary.url}/`, opts()))).code).toBe('url_not_allowed');
    if (canary6) expect((await failure(safeFetch(`${canary6.url}/`, opts()))).code).toBe('url_not_allowed');
    expectCanariesUntouched(before);
  });

  it.each([301, 302, 303, 307, 308])('refuses a %i redirect to the canary; the canary counts zero connections', async (status) => {
    const before = connectionsBefore();
    const to = encodeURIComponent(`${canary.url}/stolen`);
    const e = await failure(safeFetch(`${fixture.url}/redirect?status=${status}&to=${to}`, opts()));
    expect(e.code).toBe('url_not_allowed');
    expectCanariesUntouched(before);
  });

  it('refuses redirects to IPv6 loopback, to a name resolving to the canary, and to non-http schemes', async () => {
    const before = connectionsBefore();
    const targets = [
      canary6 ? `${canary6.url}/` : `http://[::1]:${canary.port}/`,
      `http://[::ffff:127.0.0.2]:${canary.port}/`,
      `http://rebind.test:${canary.port}/`,
      `http://0x7f.0.0.2:${canary.port}/`,
      'file:///etc/passwd',
      'gopher://127.0.0.2:70/',
      `http://user@127.0.0.1:${fixture.port}/ok`,
    ];
    for (const target of targets) {
      const e = await failure(
        safeFetch(`${fixture.url}/redirect?to=${encodeURIComponent(target)}`, opts({ resolver: resolver({ 'rebind.test': ['127.0.0.2'] }) })),
      );
      expect(e.code, target).toBe('url_not_allowed');
    }
    expectCanariesUntouched(before);
  });

  it('follows redirects inside the allowlist and re-vets each hop', async () => {
    const dispatcher = spyDispatcher();
    const res = await safeFetch(`${fixture.url}/redirect?to=${encodeURIComponent('/redirect?to=/ok')}`, opts({ dispatcher }));
    expect(res.body.toString()).toBe('hello');
    expect(res.finalUrl).toBe(`${fixture.url}/ok`);
    expect(res.redirects).toBe(2);
    expect(dispatcher.calls).toHaveLength(3);
  });

  it('control: the same redirect reaches a second loopback server once it is allowlisted', async () => {
    // Proves the canary tests would see a leak: an allowlisted 127.0.0.3 does receive the hop.
    const control = await startLoopbackServer('127.0.0.3', (_req, res) => res.end('control'));
    try {
      const to = encodeURIComponent(`${control.url}/`);
      const res = await safeFetch(`${fixture.url}/redirect?to=${to}`, opts({ allowlist: parseAllowlist(['127.0.0.1', '127.0.0.3']) }));
      expect(res.body.toString()).toBe('control');
      expect(control.connections).toBe(1);
    } finally {
      await control.close();
    }
  });

  it('sends caller headers but never lets them replace Host', async () => {
    const res = await safeFetch(`${fixture.url}/echo-headers`, opts({ headers: { 'x-trace': 'abc', Host: 'internal.example' } }));
    const seen = JSON.parse(res.body.toString());
    expect(seen['x-trace']).toBe('abc');
    expect(seen.host).toBe(`127.0.0.1:${fixture.port}`);
  });

  it('drops caller headers when a redirect changes origin', async () => {
    const to = encodeURIComponent(`http://other.test:${fixture.port}/echo-headers`);
    const res = await safeFetch(
      `${fixture.url}/redirect?to=${to}`,
      opts({ headers: { authorization: 'Bearer secret' }, resolver: resolver({ 'other.test': ['127.0.0.1'] }) }),
    );
    const seen = JSON.parse(res.body.toString());
    expect(seen.host).toBe(`other.test:${fixture.port}`);
    expect(seen.authorization).toBeUndefined();
  });

  it('caps a redirect loop', async () => {
    const before = fixture.requests.length;
    const e = await failure(safeFetch(`${fixture.url}/loop`, opts({ maxRedirects: 3 })));
    expect(e.code).toBe('upstream_failed');
    expect(e.message).toMatch(/too many redirects/);
    expect(fixture.requests.length - before).toBe(4);
  });

  it('caps bytes from Content-Length and while streaming', async () => {
    expect((await failure(safeFetch(`${fixture.url}/big-declared`, opts({ maxBytes: 1000 })))).code).toBe('payload_too_large');
    expect((await failure(safeFetch(`${fixture.url}/big-chunked`, opts({ maxBytes: 10_000 })))).code).toBe('payload_too_large');
    const exact = await safeFetch(`${fixture.url}/big-declared`, opts({ maxBytes: BIG.length }));
    expect(exact.body.length).toBe(BIG.length);
  });

  it('decodes a compressed body and caps the decoded size (gzip bomb)', async () => {
    expect((await safeFetch(`${fixture.url}/gzip`, opts())).body.toString()).toBe('compressed hello');
    const started = Date.now();
    expect((await failure(safeFetch(`${fixture.url}/gzip-bomb`, opts({ maxBytes: 100_000 })))).code).toBe('payload_too_large');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('times out a slow-loris body and a server that never answers', async () => {
    for (const path of ['/drip', '/silent']) {
      const started = Date.now();
      const e = await failure(safeFetch(`${fixture.url}${path}`, opts({ timeoutMs: 300 })));
      expect(e.code, path).toBe('upstream_timeout');
      expect(Date.now() - started).toBeLessThan(1500);
    }
  });

  it('returns a non-2xx answer for the caller to judge', async () => {
    const res = await safeFetch(`${fixture.url}/status`, opts());
    expect(res.status).toBe(404);
  });

  it('answers client_closed when the caller aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const e = await failure(safeFetch(`${fixture.url}/silent`, opts({ signal: controller.signal })));
    expect(e.code).toBe('client_closed');
  });

  it('refuses a port outside the configured ports before connecting', async () => {
    const dispatcher = spyDispatcher();
    const e = await failure(safeFetch(`${fixture.url}/ok`, opts({ ports: [80, 443], dispatcher })));
    expect(e.code).toBe('url_not_allowed');
    expect(dispatcher.calls).toEqual([]);
  });

  it('leaves the canaries untouched after the whole suite', () => {
    expect(canary.connections).toBe(0);
    expect(canary6?.connections ?? 0).toBe(0);
  });
});
