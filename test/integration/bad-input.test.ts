import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningServer, startServer } from '../helpers/server.js';

const MAX_BODY = 64 * 1024;
const long = 'word '.repeat(600);

interface Case {
  name: string;
  body: string | object;
  contentType?: string;
  status: number;
  code: string;
  param?: string | null;
}

const ok = { model: 'all-minilm', input: 'fine' };
const cases: Case[] = [
  { name: 'non-JSON body', body: '{"model": "all-minilm", input: nope', status: 400, code: 'invalid_request' },
  { name: 'empty body', body: '', status: 400, code: 'invalid_request' },
  { name: 'JSON that is not an object', body: '[1,2,3]', status: 400, code: 'invalid_request' },
  { name: 'XML under an XML content type', body: '<input>hi</input>', contentType: 'application/xml', status: 400, code: 'invalid_request' },
  { name: 'multipart content type', body: '--x\r\n\r\n--x--', contentType: 'multipart/form-data; boundary=x', status: 415, code: 'unsupported_media_type' },
  { name: 'missing model', body: { input: 'hi' }, status: 400, code: 'invalid_request', param: 'model' },
  { name: 'model of the wrong type', body: { model: 42, input: 'hi' }, status: 400, code: 'invalid_request', param: 'model' },
  { name: 'unknown model', body: { model: 'no-such/model', input: 'hi' }, status: 404, code: 'model_not_found', param: 'model' },
  { name: 'hostile model name', body: { model: '../../etc/passwd', input: 'hi' }, status: 400, code: 'invalid_request', param: 'model' },
  { name: 'missing input', body: { model: 'all-minilm' }, status: 400, code: 'invalid_request', param: 'input' },
  { name: 'input is a number', body: { model: 'all-minilm', input: 5 }, status: 400, code: 'invalid_request', param: 'input' },
  { name: 'input is an object', body: { model: 'all-minilm', input: { text: 'hi' } }, status: 400, code: 'invalid_request', param: 'input' },
  { name: 'input is null', body: { model: 'all-minilm', input: null }, status: 400, code: 'invalid_request', param: 'input' },
  { name: 'input nested too deep', body: { model: 'all-minilm', input: [[['a']]] }, status: 400, code: 'invalid_request', param: 'input' },
  { name: 'input mixes strings and ids', body: { model: 'all-minilm', input: ['a', 1] }, status: 400, code: 'invalid_request', param: 'input' },
  { name: 'empty input array', body: { model: 'all-minilm', input: [] }, status: 400, code: 'invalid_request', param: 'input' },
  { name: '2049 inputs', body: { model: 'all-minilm', input: Array(2049).fill('a') }, status: 400, code: 'invalid_request', param: 'input' },
  { name: 'token id out of range', body: { model: 'all-minilm', input: [15339, 99999999] }, status: 400, code: 'invalid_request', param: 'input' },
  { name: 'negative token id', body: { model: 'all-minilm', input: [[15339, -1]] }, status: 400, code: 'invalid_request', param: 'input' },
  { name: 'fractional token id', body: { model: 'all-minilm', input: [1.5] }, status: 400, code: 'invalid_request', param: 'input' },
  { name: 'negative dimensions', body: { ...ok, dimensions: -3 }, status: 400, code: 'invalid_request', param: 'dimensions' },
  { name: 'zero dimensions', body: { ...ok, dimensions: 0 }, status: 400, code: 'invalid_request', param: 'dimensions' },
  { name: 'dimensions above the model', body: { ...ok, dimensions: 385 }, status: 400, code: 'invalid_request', param: 'dimensions' },
  { name: 'unknown encoding_format', body: { ...ok, encoding_format: 'int8' }, status: 400, code: 'invalid_request', param: 'encoding_format' },
  { name: 'over-long input with truncate:false', body: { ...ok, input: long, truncate: false }, status: 400, code: 'invalid_request', param: 'input' },
  { name: 'keep_alive garbage', body: { ...ok, keep_alive: 'forever-ish' }, status: 400, code: 'invalid_request', param: 'keep_alive' },
];

describe('bad input on /v1/embeddings', () => {
  let server: RunningServer;
  beforeAll(async () => {
    // /v1/embeddings takes images, so it has the media limit; other routes the (here smaller) default.
    server = await startServer({ HF_HOME: inject('hfHome'), HEARTH_MAX_MEDIA_BODY_BYTES: String(MAX_BODY), HEARTH_MAX_BODY_BYTES: String(MAX_BODY / 2) });
  });
  afterAll(async () => {
    await server.stop();
  });

  it.each(cases)('$name → $status $code', async (c) => {
    const res = await fetch(`${server.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': c.contentType ?? 'application/json' },
      body: typeof c.body === 'string' ? c.body : JSON.stringify(c.body),
    });
    expect(res.status).toBe(c.status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as { error: { message: string; type: string; param: string | null; code: string }; request_id: string };
    expect(body.error.code).toBe(c.code);
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message.length).toBeGreaterThan(5);
    expect(body.error.message).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
    if (c.param !== undefined) expect(body.error.param).toBe(c.param);
    expect(body.request_id).toBe(res.headers.get('x-request-id'));
    expect(res.headers.get('x-should-retry')).toBe('false');
  });

  it('lists the available models when the model is unknown', async () => {
    const res = await fetch(`${server.url}/v1/embeddings`, { method: 'POST', body: JSON.stringify({ model: 'gpt-9', input: 'x' }) });
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toContain('sentence-transformers/all-MiniLM-L6-v2');
  });

  it('accepts valid JSON whatever the content type says (curl -d sends form-urlencoded)', async () => {
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', '']) {
      const res = await fetch(`${server.url}/v1/embeddings`, { method: 'POST', headers: type ? { 'content-type': type } : {}, body: JSON.stringify(ok) });
      expect(res.status, type).toBe(200);
    }
  });

  it('enforces the body limit at the exact byte, with Content-Length', async () => {
    const exact = (size: number) => {
      const base = JSON.stringify({ model: 'all-minilm', input: '' });
      return base.replace('"input":""', `"input":"${'a'.repeat(size - base.length)}"`);
    };
    expect(exact(MAX_BODY).length).toBe(MAX_BODY);
    const atLimit = await fetch(`${server.url}/v1/embeddings`, { method: 'POST', body: exact(MAX_BODY) });
    expect(atLimit.status).toBe(200);
    const over = await fetch(`${server.url}/v1/embeddings`, { method: 'POST', body: exact(MAX_BODY + 1) });
    expect(over.status).toBe(413);
    expect(((await over.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
  });

  it('routes without images keep the default limit: a body /v1/embeddings takes is 413 on /api/embed', async () => {
    const body = JSON.stringify({ model: 'all-minilm', input: 'a'.repeat(MAX_BODY / 2) });
    expect((await fetch(`${server.url}/v1/embeddings`, { method: 'POST', body })).status).toBe(200);
    const res = await fetch(`${server.url}/api/embed`, { method: 'POST', body });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toMatch(/limit of 32768 bytes/);
  });

  it('enforces the body limit on a chunked body with no Content-Length', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('{"model":"all-minilm","input":"');
      for (let i = 0; i < 20; i++) req.write('a'.repeat(8 * 1024));
      req.end('"}');
    });
    expect(status).toBe(413);
  });

  it('answers unknown routes and methods with JSON 404', async () => {
    for (const [method, path] of [['GET', '/v1/nope'], ['GET', '/v1/embeddings'], ['DELETE', '/health']] as const) {
      const res = await fetch(`${server.url}${path}`, { method });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }
  });

  it('echoes a client X-Request-Id and makes one when absent', async () => {
    const mine = await fetch(`${server.url}/health`, { headers: { 'x-request-id': 'trace-abc-123' } });
    expect(mine.headers.get('x-request-id')).toBe('trace-abc-123');
    const made = await fetch(`${server.url}/health`);
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('is still alive and correct after all of the above, with no stack trace printed', async () => {
    expect(server.alive()).toBe(true);
    const res = await fetch(`${server.url}/v1/embeddings`, { method: 'POST', body: JSON.stringify(ok) });
    expect(res.status).toBe(200);
    expect(server.stray.filter((l) => /\bat\s/.test(l))).toEqual([]);
    expect(server.logs.filter((l) => l.level === 'error')).toEqual([]);
  });
});

describe('bearer keys', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ HF_HOME: inject('hfHome'), HEARTH_API_KEYS: 'sk-first,sk-second' });
  });
  afterAll(async () => {
    await server.stop();
  });

  const call = (auth?: string) =>
    fetch(`${server.url}/v1/embeddings`, { method: 'POST', headers: auth ? { authorization: auth } : {}, body: JSON.stringify(ok) });

  it('refuses a missing or wrong key with a JSON 401 and accepts every configured key', async () => {
    for (const auth of [undefined, 'Bearer nope', 'Bearer sk-first-but-longer', 'Basic sk-first', 'sk-first']) {
      const res = await call(auth);
      expect(res.status, String(auth)).toBe(401);
      expect(((await res.json()) as { error: { code: string; type: string } }).error).toMatchObject({ code: 'unauthorized', type: 'authentication_error' });
    }
    expect((await call('Bearer sk-first')).status).toBe(200);
    expect((await call('Bearer sk-second')).status).toBe(200);
  });

  it('leaves /health and /ready open and never logs the key', async () => {
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
    const lines = JSON.stringify(server.logs);
    expect(lines).not.toContain('sk-first');
    expect(server.logs.some((l) => l.msg === 'request' && l.key === 'env-1')).toBe(true);
  });
});
