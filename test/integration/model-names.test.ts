import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningServer, startServer } from '../helpers/server.js';

/** Names that must never reach the filesystem: traversal, absolute paths, the cache's own separator, encodings, NUL, size. */
const HOSTILE = [
  '../x',
  '../../etc/passwd',
  '/etc/passwd',
  'org/../../x',
  'org/..',
  '../org/name',
  'a--b/c',
  'org/a--b',
  'org//name',
  'org/name/extra',
  '/org/name',
  'org/',
  '%2e%2e/x',
  '..%2f..%2fetc%2fpasswd',
  'org%2fname',
  '%2e%2e%2f%2e%2e',
  '．．/x',
  'org／name',
  'org\u2215name',
  '\u2025/x',
  'org/na\u0000me',
  'org\\name',
  '..\\..\\windows',
  'C:/x',
  '~/x',
  'org /name',
  ' org/name',
  'org/name\n',
  '.hidden/name',
  'org/name.',
  '-org/name',
  'x'.repeat(1024),
  `org/${'y'.repeat(1024)}`,
  'org/name\u200b',
];

const ollamaRoutes: Array<[string, string, (name: string) => unknown]> = [
  ['POST', '/api/embed', (model) => ({ model, input: 'x' })],
  ['POST', '/api/embeddings', (model) => ({ model, prompt: 'x' })],
  ['POST', '/api/show', (model) => ({ model })],
  ['POST', '/api/pull', (model) => ({ model, stream: false })],
  ['DELETE', '/api/delete', (name) => ({ name })],
];
const hearthRoutes: Array<[string, string, (name: string) => unknown]> = [
  ['POST', '/v1/embeddings', (model) => ({ model, input: 'x' })],
  ['POST', '/api/models/pull', (model) => ({ model, stream: false })],
];

/** Raw HTTP so the client does not normalise "..", "%2e" or backslashes in paths. */
function raw(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  // Node sends a DELETE body neither chunked nor sized unless told the length.
  const headers = { 'content-type': 'application/json', ...(payload ? { 'content-length': String(payload.length) } : {}) };
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

describe('hostile model names on every route', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ HF_HOME: inject('hfHome') });
  });
  afterAll(async () => {
    await server.stop();
  });

  it(`has at least 30 cases`, () => expect(HOSTILE.length).toBeGreaterThanOrEqual(30));

  it.each(ollamaRoutes)('%s %s → 400 {"error"} for every hostile name', async (method, path, body) => {
    for (const name of HOSTILE) {
      const res = await raw(server.port, method, path, body(name));
      expect(res.status, `${JSON.stringify(name)} → ${res.body}`).toBe(400);
      expect(typeof JSON.parse(res.body).error).toBe('string');
    }
  });

  it.each(hearthRoutes)('%s %s → 400 invalid_request for every hostile name', async (method, path, body) => {
    for (const name of HOSTILE) {
      const res = await raw(server.port, method, path, body(name));
      expect(res.status, `${JSON.stringify(name)} → ${res.body}`).toBe(400);
      expect(JSON.parse(res.body).error.code).toBe('invalid_request');
    }
  });

  it('DELETE /api/models/{id} and GET /v1/models/{id} refuse hostile ids in the path', async () => {
    for (const name of HOSTILE.filter((n) => !/[\s\u0000]/.test(n))) {
      const path = encodeURI(name).replace(/%25/g, '%');
      // URL parsing resolves "../" before routing, so some never reach the route at all: a JSON 404, no model touched.
      const del = await raw(server.port, 'DELETE', `/api/models/${path}`);
      expect([400, 404], `${JSON.stringify(name)} → ${del.body}`).toContain(del.status);
      expect(JSON.parse(del.body).error).toBeTruthy();
      const get = await raw(server.port, 'GET', `/v1/models/${path}`);
      expect([400, 404], `${JSON.stringify(name)} → ${get.body}`).toContain(get.status);
    }
  });

  it('left the cache untouched and the server healthy', async () => {
    expect(server.alive()).toBe(true);
    const res = await raw(server.port, 'POST', '/v1/embeddings', { model: 'all-minilm', input: 'still here' });
    expect(res.status).toBe(200);
  });
});
