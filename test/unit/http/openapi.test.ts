import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isOllamaPath } from '../../../src/http/errors.js';
import { mountedRoutes } from '../../../src/http/route.js';
import { TEST_KEY, inProcessApp } from '../../helpers/app.js';

type Operation = { responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>; security?: unknown[] };
type Document = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { securitySchemes?: Record<string, unknown> } };

let app: Awaited<ReturnType<typeof inProcessApp>>['app'];
let close: () => Promise<void>;
let doc: Document;

beforeAll(async () => {
  ({ app, close } = await inProcessApp());
  const res = await app.request('/openapi.json', { headers: { authorization: `Bearer ${TEST_KEY}` } });
  expect(res.status).toBe(200);
  doc = (await res.json()) as Document;
});
afterAll(async () => {
  await close();
});

const operations = () => Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ key: `${method} ${path}`, path, op })));

describe('/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('documents exactly the routes the app answers', () => {
    const mounted = mountedRoutes(app).map((r) => `${r.method} ${r.path}`);
    expect(new Set(mounted).size).toBe(mounted.length);
    expect(operations().map((o) => o.key).sort()).toEqual([...mounted].sort());
    for (const route of ['get /metrics', 'get /api/status', 'get /openapi.json', 'get /docs', 'get /docs/assets/{file}']) expect(mounted).toContain(route);
  });

  it('declares at least one 4xx on every route, and what the middleware answers everywhere', () => {
    for (const { key, op } of operations()) {
      expect(Object.keys(op.responses).filter((s) => /^4\d\d$/.test(s)).length, key).toBeGreaterThan(0);
      for (const status of ['403', '503']) expect(op.responses, `${key} ${status}`).toHaveProperty(status);
    }
  });

  it('shapes every documented error as the route answers it (Ollama routes as Ollama, the rest as OpenAI)', () => {
    for (const { key, path, op } of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        // /ready's own 503 is its readiness body.
        if (Number(status) < 400 || (key === 'get /ready' && status === '503')) continue;
        const ref = response.content?.['application/json']?.schema?.$ref;
        expect(ref, `${key} ${status}`).toBe(isOllamaPath(path) ? '#/components/schemas/OllamaError' : '#/components/schemas/Error');
      }
    }
  });

  it('documents bearer auth, and every route answers 401 without a key exactly when it says so', async () => {
    expect(doc.components.securitySchemes).toHaveProperty('bearer');
    for (const route of mountedRoutes(app)) {
      const op = doc.paths[route.path]![route.method]!;
      const open = Array.isArray(op.security) && op.security.length === 0;
      const res = await app.request(route.path.replace(/\{\w+\}/g, 'org/name'), { method: route.method.toUpperCase() });
      expect(res.status === 401, `${route.method} ${route.path} answered ${res.status}`).toBe(!open);
      expect('401' in op.responses, `${route.method} ${route.path} documents 401`).toBe(!open);
    }
  });
});
