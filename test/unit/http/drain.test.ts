import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { drainGuard } from '../../../src/http/drain.js';
import type { AppEnv } from '../../../src/http/env.js';
import { errorResponse } from '../../../src/http/errors.js';

function app(lifecycle: { draining: boolean }) {
  const a = new Hono<AppEnv>();
  a.use('*', drainGuard(lifecycle));
  a.post('/v1/embeddings', (c) => c.json({ ok: true }));
  a.post('/api/embed', (c) => c.json({ ok: true }));
  a.get('/slow', async (c) => {
    lifecycle.draining = true; // the drain starts while this request runs
    return c.json({ ok: true });
  });
  a.onError((e, c) => errorResponse(c, e));
  return a;
}

describe('drainGuard', () => {
  it('passes requests through while serving, without touching the connection', async () => {
    const res = await app({ draining: false }).request('/v1/embeddings', { method: 'POST' });
    expect(res.status).toBe(200);
    expect(res.headers.get('connection')).toBeNull();
  });

  it('while draining: 503 overloaded with Retry-After, x-should-retry and Connection: close, in each contract shape', async () => {
    const a = app({ draining: true });
    const openai = await a.request('/v1/embeddings', { method: 'POST' });
    expect(openai.status).toBe(503);
    expect(openai.headers.get('retry-after')).toBe('5');
    expect(openai.headers.get('x-should-retry')).toBe('true');
    expect(openai.headers.get('connection')).toBe('close');
    expect((await openai.json()).error.code).toBe('overloaded');
    const ollama = await a.request('/api/embed', { method: 'POST' });
    expect(ollama.status).toBe(503);
    expect(typeof (await ollama.json()).error).toBe('string');
  });

  it('a request already running when the drain starts completes, and closes its connection', async () => {
    const res = await app({ draining: false }).request('/slow');
    expect(res.status).toBe(200);
    expect(res.headers.get('connection')).toBe('close');
  });
});
