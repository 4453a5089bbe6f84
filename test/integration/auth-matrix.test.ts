import { execFileSync, spawn } from 'node:child_process';
import { request } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CLI, MAIN, ROOT } from '../helpers/paths.js';
import { type RunningServer, startServer } from '../helpers/server.js';

/**
 * Auth, allowlist, Host guard and rate limits against the real built server.
 * Every "remote" client is another loopback address (127.0.0.2, 127.0.0.3)
 * bound as the socket's local address: no traffic leaves 127.0.0.0/8.
 */

let dir: string;
let emptyHfHome: string;
const servers: RunningServer[] = [];
/** Every key this file creates, for the "never in a log line" check. */
const secrets: string[] = [];
const ENV_KEY = 'sk-env-matrix-0123456789';
secrets.push(ENV_KEY);

function cli(keysFile: string, ...args: string[]): string {
  return execFileSync(process.execPath, [CLI, ...args], { env: { ...process.env, HEARTH_KEYS_FILE: keysFile }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}
function addKey(keysFile: string, name: string, ...flags: string[]): string {
  const key = cli(keysFile, 'keys', 'add', name, ...flags);
  expect(key).toMatch(/^hk-[A-Za-z0-9_-]{43}$/);
  secrets.push(key);
  return key;
}
async function serve(env: Record<string, string>): Promise<RunningServer> {
  const server = await startServer({ HEARTH_AUTO_PULL: 'false', ...env });
  servers.push(server);
  return server;
}

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}
/** A request from a chosen loopback source address, with full control of Host. */
function raw(url: string, { method = 'GET', headers = {}, localAddress = '127.0.0.1', body }: { method?: string; headers?: Record<string, string>; localAddress?: string; body?: string } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const length = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) };
    const req = request(url, { method, headers: { ...length, ...headers }, localAddress }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const errorCode = (r: Raw) => (JSON.parse(r.body) as { error: { code: string } }).error.code;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hearth-auth-'));
  emptyHfHome = join(dir, 'hf');
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await rm(dir, { recursive: true, force: true });
});

describe('auth matrix: every route × {no key, bad key, good key, loopback exemption}', () => {
  let keysFile: string;
  let goodKey: string;
  let guarded: RunningServer;
  let loopbackOpen: RunningServer;
  const routes: Array<{ method: string; path: string }> = [];
  const EXEMPT = new Set(['/health', '/ready']);
  const PARAM = 'no-such-org/no-such-model';

  beforeAll(async () => {
    keysFile = join(dir, 'matrix-keys.json');
    goodKey = addKey(keysFile, 'matrix-app');
    // An empty model cache: no route with a good key can change anything another test file relies on.
    const env = { HF_HOME: emptyHfHome, HEARTH_KEYS_FILE: keysFile, HEARTH_API_KEYS: ENV_KEY };
    [guarded, loopbackOpen] = await Promise.all([serve(env), serve({ ...env, HEARTH_LOOPBACK_NO_AUTH: 'true' })]);

    const doc = (await (await fetch(`${guarded.url}/openapi.json`, { headers: { authorization: `Bearer ${goodKey}` } })).json()) as { paths: Record<string, Record<string, unknown>> };
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) {
        if (['get', 'post', 'put', 'delete', 'patch', 'head'].includes(method)) routes.push({ method: method.toUpperCase(), path: path.replace(/\{[^}]+\}/g, PARAM) });
      }
    }
    // Routes served outside the OpenAPI document, when this build has them.
    for (const extra of [{ method: 'GET', path: '/' }, { method: 'HEAD', path: '/' }, { method: 'GET', path: '/metrics' }, { method: 'GET', path: '/docs' }, { method: 'GET', path: '/openapi.json' }]) {
      if (routes.some((r) => r.method === extra.method && r.path === extra.path)) continue;
      const res = await fetch(`${guarded.url}${extra.path}`, { method: extra.method, headers: { authorization: `Bearer ${goodKey}` } });
      if (res.status !== 404) routes.push(extra);
    }
  });

  const call = (server: RunningServer, route: { method: string; path: string }, authorization?: string) =>
    raw(`${server.url}${route.path}`, {
      method: route.method,
      headers: { ...(authorization ? { authorization } : {}), ...(['POST', 'PUT', 'PATCH', 'DELETE'].includes(route.method) ? { 'content-type': 'application/json' } : {}) },
      body: ['POST', 'PUT', 'PATCH', 'DELETE'].includes(route.method) ? '{}' : undefined,
    });

  it('discovers the routes from /openapi.json', () => {
    const paths = routes.map((r) => `${r.method} ${r.path}`);
    for (const expected of ['POST /v1/embeddings', 'GET /v1/models', 'POST /api/embed', 'POST /api/pull', 'GET /health', 'GET /ready', 'GET /', 'GET /openapi.json']) {
      expect(paths).toContain(expected);
    }
    expect(routes.length).toBeGreaterThan(15);
  });

  it('no key: 401 on every protected route, never on an exempt one', async () => {
    for (const route of routes) {
      const res = await call(guarded, route);
      const label = `${route.method} ${route.path}`;
      if (EXEMPT.has(route.path)) expect(res.status, label).not.toBe(401);
      else {
        expect(res.status, label).toBe(401);
        expect(res.headers['www-authenticate'], label).toBe('Bearer realm="hearth"');
        if (route.method !== 'HEAD') expect(res.body, label).toMatch(/API key|Authorization/);
      }
    }
  });

  it('bad key: 401 on every protected route, never on an exempt one', async () => {
    for (const route of routes) {
      for (const authorization of ['Bearer hk-not-a-real-key', `Bearer ${goodKey}x`, `Basic ${goodKey}`]) {
        const res = await call(guarded, route, authorization);
        const label = `${route.method} ${route.path} (${authorization.slice(0, 6)}…)`;
        if (EXEMPT.has(route.path)) expect(res.status, label).not.toBe(401);
        else expect(res.status, label).toBe(401);
      }
    }
  });

  it('good key (keys file or HEARTH_API_KEYS): never 401 or 403', async () => {
    for (const route of routes) {
      for (const key of [goodKey, ENV_KEY]) {
        const res = await call(guarded, route, `Bearer ${key}`);
        expect([401, 403], `${route.method} ${route.path}`).not.toContain(res.status);
      }
    }
  });

  it('HEARTH_LOOPBACK_NO_AUTH: a loopback client without a key is never 401 or 403', async () => {
    for (const route of routes) {
      const res = await call(loopbackOpen, route);
      expect([401, 403], `${route.method} ${route.path}`).not.toContain(res.status);
    }
  });

  it('HEARTH_LOOPBACK_NO_AUTH does not let a request a local proxy forwarded through', async () => {
    const res = await raw(`${loopbackOpen.url}/v1/models`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(res.status).toBe(401);
  });

  it('the access log names the key, and no log line of any server holds a key', async () => {
    await fetch(`${guarded.url}/v1/models`, { headers: { authorization: `Bearer ${goodKey}` } });
    await new Promise((r) => setTimeout(r, 100));
    expect(guarded.logs.some((l) => l.msg === 'request' && l.key === 'matrix-app' && l.endpoint === '/v1/models')).toBe(true);
    expect(guarded.logs.some((l) => l.msg === 'request' && l.key === 'env-1')).toBe(true);
  });

  it('reloads the keys file: a key added by the CLI works within about a second, a removed one stops', async () => {
    const late = addKey(keysFile, 'late-app');
    const status = () => fetch(`${guarded.url}/v1/models`, { headers: { authorization: `Bearer ${late}` } }).then((r) => r.status);
    const waitFor = async (expected: number) => {
      const deadline = Date.now() + 5000;
      let last = await status();
      while (last !== expected && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        last = await status();
      }
      return last;
    };
    expect(await waitFor(200)).toBe(200);
    const listing = cli(keysFile, 'keys', 'ls');
    expect(listing).toContain('matrix-app');
    expect(listing).toContain('late-app');
    expect(listing).not.toMatch(/[0-9a-f]{16}/);
    cli(keysFile, 'keys', 'rm', 'late-app');
    expect(await waitFor(401)).toBe(401);
    expect(guarded.logs.some((l) => l.msg === 'keys reloaded')).toBe(true);
  });
});

describe('rate limits on the real server', () => {
  let server: RunningServer;
  let limitedKey: string;
  let tokenKey: string;

  beforeAll(async () => {
    const keysFile = join(dir, 'limit-keys.yaml');
    limitedKey = addKey(keysFile, 'limited', '--rpm', '2');
    tokenKey = addKey(keysFile, 'tokens', '--tpm', '5');
    server = await serve({ HF_HOME: inject('hfHome'), HEARTH_KEYS_FILE: keysFile });
  });

  const embed = (key: string, path = '/v1/embeddings') =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'all-minilm', input: 'hello there, rate limits' }) });

  it('the request over a key\'s rpm gets 429 with Retry-After and the OpenAI headers', async () => {
    const first = await embed(limitedKey);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    expect((await embed(limitedKey)).status).toBe(200);
    const refused = await embed(limitedKey);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(refused.headers.get('x-should-retry')).toBe('true');
    expect(refused.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(refused.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(\.\d+)?m?s$|^\d+m\d+(\.\d+)?s$/);
    const body = (await refused.json()) as { error: { code: string; type: string } };
    expect(body.error).toMatchObject({ code: 'rate_limited', type: 'rate_limit_error' });
    // Exempt routes are never limited.
    expect((await fetch(`${server.url}/health`, { headers: { authorization: `Bearer ${limitedKey}` } })).status).toBe(200);
  });

  it('model tokens are charged after the response; the next request is refused while the bucket is in debt', async () => {
    const first = await embed(tokenKey);
    expect(first.status).toBe(200);
    const usage = ((await first.json()) as { usage: { prompt_tokens: number } }).usage;
    expect(usage.prompt_tokens).toBeGreaterThan(5);
    expect(first.headers.get('x-ratelimit-limit-tokens')).toBe('5');
    expect(first.headers.get('x-ratelimit-remaining-tokens')).toBe('0');
    // In debt by prompt_tokens - 5; room for one token again after (debt + 1) / 5 minutes.
    const expectedWaitS = ((usage.prompt_tokens - 5 + 1) * 60) / 5;
    for (const path of ['/v1/embeddings', '/api/embed']) {
      const refused = await embed(tokenKey, path);
      expect(refused.status, path).toBe(429);
      expect(Math.abs(Number(refused.headers.get('retry-after')) - expectedWaitS)).toBeLessThanOrEqual(2);
      expect(refused.headers.get('x-should-retry')).toBe('true');
    }
  });

  it('requests without a key are limited per client IP', async () => {
    const open = await serve({ HF_HOME: emptyHfHome, HEARTH_RATE_LIMIT_RPM: '2' });
    const get = (localAddress: string) => raw(`${open.url}/v1/models`, { localAddress });
    expect((await get('127.0.0.1')).status).toBe(200);
    expect((await get('127.0.0.1')).status).toBe(200);
    const refused = await get('127.0.0.1');
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBeDefined();
    expect((await get('127.0.0.2')).status).toBe(200);
  });
});

describe('IP allowlist, trusted proxies and the Host guard', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serve({
      HF_HOME: emptyHfHome,
      HEARTH_IP_ALLOWLIST: '127.0.0.1/32, 10.0.0.0/8',
      HEARTH_TRUSTED_PROXIES: '127.0.0.3/32',
      HEARTH_ALLOWED_HOSTS: 'hearth.test',
    });
  });

  it.each([
    { from: '127.0.0.1', xff: undefined, status: 200 },
    { from: '127.0.0.2', xff: undefined, status: 403 },
    { from: '127.0.0.2', xff: '10.1.2.3', status: 403 },
    { from: '127.0.0.3', xff: undefined, status: 403 },
    { from: '127.0.0.3', xff: '10.1.2.3', status: 200 },
    { from: '127.0.0.3', xff: '10.1.2.3, 127.0.0.3', status: 200 },
    { from: '127.0.0.3', xff: '10.1.2.3, 192.168.7.7', status: 403 },
    { from: '127.0.0.3', xff: '192.168.7.7', status: 403 },
  ])('client $from with X-Forwarded-For $xff → $status', async ({ from, xff, status }) => {
    for (const path of ['/v1/models', '/health']) {
      const res = await raw(`${server.url}${path}`, { localAddress: from, headers: xff ? { 'x-forwarded-for': xff } : {} });
      expect(res.status, path).toBe(status);
      if (status === 403) expect(errorCode(res)).toBe('forbidden');
    }
  });

  it('logs the client behind a trusted proxy as the client', async () => {
    await raw(`${server.url}/v1/models`, { localAddress: '127.0.0.3', headers: { 'x-forwarded-for': '10.77.0.1' } });
    await new Promise((r) => setTimeout(r, 100));
    expect(server.logs.some((l) => l.msg === 'request' && l.client_ip === '10.77.0.1')).toBe(true);
  });

  it('refuses a DNS-rebinding Host on a loopback bind with 403, accepts localhost and HEARTH_ALLOWED_HOSTS', async () => {
    for (const host of ['evil.example', `evil.example:${server.port}`, 'localhost.evil.example']) {
      for (const path of ['/v1/models', '/health']) {
        const res = await raw(`${server.url}${path}`, { headers: { host } });
        expect(res.status, `${host} ${path}`).toBe(403);
        expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'forbidden', type: 'permission_error' } });
      }
    }
    for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, `hearth.test:${server.port}`, 'HEARTH.TEST']) {
      expect((await raw(`${server.url}/v1/models`, { headers: { host } })).status, host).toBe(200);
    }
  });
});

describe('start-up safety', () => {
  function run(env: Record<string, string>): Promise<{ code: number | null; out: string; listened: boolean }> {
    return new Promise((resolve) => {
      const proc = spawn(process.execPath, [MAIN], {
        cwd: ROOT,
        env: { ...process.env, HEARTH_PORT: '0', HF_HOME: emptyHfHome, HEARTH_API_KEYS: '', HF_ENDPOINT: 'http://127.0.0.1:9', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      proc.stdout.on('data', (d) => (out += d));
      proc.stderr.on('data', (d) => (out += d));
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      proc.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, out, listened: out.includes('hearth listening') });
      });
    });
  }

  it('refuses to listen on a non-loopback address without a key, before listening, saying what to set', async () => {
    const result = await run({ HEARTH_HOST: '0.0.0.0', HEARTH_KEYS_FILE: join(dir, 'absent.json') });
    expect(result.code).toBe(1);
    expect(result.listened).toBe(false);
    expect(result.out).toContain('refusing to listen on 0.0.0.0');
    expect(result.out).toContain('HEARTH_ALLOW_UNAUTHENTICATED=true');
    expect(result.out).toContain('hearth keys add');
  });

  it('starts without a key on another loopback address (127.0.0.2)', async () => {
    const server = await serve({ HF_HOME: emptyHfHome, HEARTH_HOST: '127.0.0.2', HEARTH_KEYS_FILE: join(dir, 'absent.json') });
    const res = await raw(`http://127.0.0.2:${server.port}/health`, { localAddress: '127.0.0.2' });
    expect(res.status).toBe(200);
  });

  it('refuses to start from a keys file that does not parse, naming it', async () => {
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{"keys": [{"name": "x", "sha256": "hk-plaintext"}]}');
    const result = await run({ HEARTH_HOST: '127.0.0.1', HEARTH_KEYS_FILE: broken });
    expect(result.code).toBe(1);
    expect(result.listened).toBe(false);
    expect(result.out).toContain(broken);
  });
});

describe('secrets', () => {
  it('no server printed any key, in any log line', () => {
    expect(servers.length).toBeGreaterThan(4);
    for (const server of servers) {
      const everything = JSON.stringify(server.logs) + server.stray.join('\n');
      for (const secret of secrets) expect(everything.includes(secret), `a key appeared in the logs of ${server.url}`).toBe(false);
    }
  });
});
