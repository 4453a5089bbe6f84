import { type OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Tasks } from '../tasks/index.js';
import type { AppEnv } from './env.js';
import { mount } from './route.js';

const Health = z.object({ status: z.string() }).openapi('Health');
const Ready = z.object({ status: z.string(), model: z.string().nullable(), reason: z.string().optional() }).openapi('Ready');

/** Liveness, readiness. Liveness answers from the event loop alone, so it stays fast under load. */
export function mountAdmin(app: OpenAPIHono<AppEnv>, tasks: Tasks): void {
  mount(
    app,
    createRoute({ method: 'get', path: '/health', tags: ['Operations'], summary: 'Liveness', responses: { 200: { description: 'Alive', content: { 'application/json': { schema: Health } } } } }),
    (c) => c.json({ status: 'ok' }),
  );
  mount(
    app,
    createRoute({
      method: 'get',
      path: '/ready',
      tags: ['Operations'],
      summary: 'Readiness: the default text model is on disk and loadable',
      responses: {
        200: { description: 'Ready', content: { 'application/json': { schema: Ready } } },
        503: { description: 'Not ready', content: { 'application/json': { schema: Ready } } },
      },
    }),
    async (c) => {
      const state = await tasks.readiness();
      return c.json({ status: state.ready ? 'ready' : 'not_ready', model: state.model, ...(state.reason ? { reason: state.reason } : {}) }, state.ready ? 200 : 503);
    },
  );
}
