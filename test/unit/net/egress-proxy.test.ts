import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EGRESS_HEADER, EgressProxy, type Resolver, parseAllowlist } from '../../../src/net/egress/index.js';
import { type LoopbackServer, startIpv6Canary, startLoopbackServer } from '../../helpers/loopback.js';

// The crawl browser's egress proxy, driven by plain clients. Names resolve through an injected
// resolver, so "a DNS name pointing at an internal address" and DNS rebinding are tested
// without DNS; every address involved is loopback and the canaries must see no connection.
let site: LoopbackServer;
let canary: LoopbackServer;
let canary6: LoopbackServer | null;
let proxy: EgressProxy;
let proxyPort: number;
const lookups: string[] = [];
let rebindCalls = 0;

const resolver: Resolver = async (name) => {
  lookups.push(name);
  if (name === 'site.test') return [{ address: '127.0.0.1', family: 4 }];
  if (name === 'internal.test') return [{ address: '127.0.0.2', family: 4 }];
  if (name === 'mixed.test') return [{ address: '127.0.0.1', family: 4 }, { address: '127.0.0.2', family: 4 }];
  // Rebinding: harmless on the first answer, internal on every later one.
  if (name === 'rebind.test') return [{ address: rebindCalls++ === 0 ? '127.0.0.1' : '127.0.0.2', family: 4 }];
  throw new Error('NXDOMAIN');
};

beforeAll(async () => {
  canary = await startLoopbackServer('127.0.0.2');
  canary6 = await startIpv6Canary();
  site = await startLoopbackServer('127.0.0.1', (req, res) => res.writeHead(200, { 'content-type': 'text/plain', [EGRESS_HEADER]: 'refused' }).end(`site saw ${req.method} ${req.url} host=${req.headers.host} proxy-auth=${req.headers['proxy-authorization'] ?? 'none'}`));
  proxy = new EgressProxy({ allowlist: parseAllowlist(['127.0.0.1']), resolver, connectTimeoutMs: 2000, denyHosts: new Set(['phone-home.test']) });
  proxyPort = Number(new URL(await proxy.start()).port);
});

afterAll(async () => {
  await proxy.close();
  await Promise.all([site.close(), canary.close(), canary6?.close()]);
  expect(canary.connections).toBe(0);
  expect(canary6?.connections ?? 0).toBe(0);
});

/** A plain-http request through the proxy (absolute-form request line). */
function viaProxy(url: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: proxyPort, path: url, headers: { host: new URL(url).host, 'proxy-authorization': 'Basic eDp5' } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** CONNECT through the proxy; resolves with the status line and, when open, what the target answered to a GET. */
function tunnel(authority: string): Promise<{ statusLine: string; answer?: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(proxyPort, '127.0.0.1', () => socket.write(`CONNECT ${authority} HTTP/1.1\r\nhost: ${authority}\r\n\r\n`));
    let data = '';
    let statusLine = '';
    socket.on('data', (chunk) => {
      data += chunk;
      if (!statusLine && data.includes('\r\n\r\n')) {
        statusLine = data.split('\r\n')[0]!;
        data = data.slice(data.indexOf('\r\n\r\n') + 4);
        if (statusLine.includes(' 200 ')) socket.write(`GET /through-tunnel HTTP/1.1\r\nhost: ${authority}\r\nconnection: close\r\n\r\n`);
      }
    });
    socket.on('end', () => resolve({ statusLine, answer: statusLine.includes(' 200 ') ? data : undefined }));
    socket.on('error', reject);
  });
}

describe('EgressProxy', () => {
  it('forwards plain http to an allowed host by name, resolving once and dropping proxy headers', async () => {
    const res = await viaProxy(`http://site.test:${site.port}/page?q=1`);
    expect(res.status).toBe(200);
    expect(res.body).toBe(`site saw GET /page?q=1 host=site.test:${site.port} proxy-auth=none`);
    // A site cannot forge the proxy's verdict header.
    expect(res.headers[EGRESS_HEADER]).toBeUndefined();
  });

  it('opens CONNECT tunnels to an allowed host', async () => {
    const res = await tunnel(`site.test:${site.port}`);
    expect(res.statusLine).toBe('HTTP/1.1 200 Connection Established');
    expect(res.answer).toContain('site saw GET /through-tunnel');
  });

  it('refuses a name that resolves to a non-allowlisted address (plain http and CONNECT), marked as its own verdict', async () => {
    const res = await viaProxy(`http://internal.test:${canary.port}/`);
    expect(res.status).toBe(403);
    expect(res.headers[EGRESS_HEADER]).toBe('refused');
    expect((await tunnel(`internal.test:${canary.port}`)).statusLine).toMatch(/^HTTP\/1\.1 403/);
  });

  it('refuses a mixed answer (one allowed, one not) instead of picking the allowed address', async () => {
    expect((await viaProxy(`http://mixed.test:${canary.port}/`)).status).toBe(403);
  });

  it('refuses literal addresses outside the allowlist, IPv6 and IPv4-mapped included', async () => {
    expect((await viaProxy(`http://127.0.0.2:${canary.port}/`)).status).toBe(403);
    expect((await tunnel(`127.0.0.2:${canary.port}`)).statusLine).toMatch(/ 403 /);
    expect((await tunnel(`[::ffff:127.0.0.2]:${canary.port}`)).statusLine).toMatch(/ 403 /);
    if (canary6) {
      expect((await viaProxy(`http://[::1]:${canary6.port}/`)).status).toBe(403);
      expect((await tunnel(`[::1]:${canary6.port}`)).statusLine).toMatch(/ 403 /);
    }
  });

  it('DNS rebinding: the address vetted is the address dialled (one resolution per connection)', async () => {
    rebindCalls = 0;
    const before = lookups.filter((n) => n === 'rebind.test').length;
    const res = await viaProxy(`http://rebind.test:${site.port}/`);
    expect(res.status).toBe(200);
    expect(lookups.filter((n) => n === 'rebind.test').length - before).toBe(1);
    // The next connection resolves again, gets the internal answer, and is refused.
    expect((await viaProxy(`http://rebind.test:${canary.port}/`)).status).toBe(403);
  });

  it('an unresolvable name reads as a refusal; a dead allowed port as upstream_failed', async () => {
    expect((await viaProxy('http://nowhere.test/')).status).toBe(403);
    const closed = await startLoopbackServer('127.0.0.1');
    const port = closed.port;
    await closed.close();
    const res = await viaProxy(`http://127.0.0.1:${port}/`);
    expect(res.status).toBe(502);
    expect(res.headers[EGRESS_HEADER]).toBe('upstream_failed');
    expect((await tunnel(`127.0.0.1:${port}`)).statusLine).toMatch(/ 502 /);
  });

  it('drops the browser background hosts without resolving them', async () => {
    const before = lookups.length;
    expect((await tunnel('phone-home.test:443')).statusLine).toMatch(/ 403 /);
    expect(lookups.length).toBe(before);
    expect(proxy.stats.dropped).toBe(1);
  });

  it('an Upgrade (plain ws:) request in absolute form is vetted like any other', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(proxyPort, '127.0.0.1', () =>
        socket.write(`GET http://internal.test:${canary.port}/ws HTTP/1.1\r\nhost: internal.test:${canary.port}\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`),
      );
      let data = '';
      socket.on('data', (c) => (data += c));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 403 /);
  });

  it('refuses non-http absolute forms and malformed CONNECT targets', async () => {
    expect((await viaProxy(`ftp://site.test:${site.port}/`)).status).toBe(400);
    expect((await tunnel('site.test')).statusLine).toMatch(/ 400 /);
  });
});
