import { type OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { CSP } from '../docs.js';
import type { AppEnv } from '../env.js';
import { mount } from '../route.js';
import { PLAYGROUND_PAGE } from './page.js';
import { PLAYGROUND_SCRIPT } from './script.js';

/** GET /playground: a page to try every task from a browser, calling the same public routes a client would. */
export function mountPlayground(app: OpenAPIHono<AppEnv>): void {
  const html = { 200: { description: 'HTML page', content: { 'text/html': { schema: z.string() } } } };
  mount(app, createRoute({ method: 'get', path: '/playground', tags: ['Operations'], summary: 'Try every task from a browser', responses: html }), (c) =>
    c.html(PLAYGROUND_PAGE, 200, { 'content-security-policy': CSP }),
  );
  mount(
    app,
    createRoute({ method: 'get', path: '/playground/app.js', tags: ['Operations'], summary: "The playground page's script", responses: { 200: { description: 'Script', content: { 'text/javascript': { schema: z.string() } } } } }),
    (c) => c.body(PLAYGROUND_SCRIPT, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache', 'content-security-policy': CSP }),
  );
}
