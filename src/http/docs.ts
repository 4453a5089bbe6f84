import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { HearthError } from '../lib/errors.js';
import type { AppEnv } from './env.js';
import { openAIErrors } from './responses.js';
import { mount } from './route.js';

/** swagger-ui-dist files the page uses; nothing else under node_modules is reachable. */
const SWAGGER_FILES: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

// Relative URLs, so the page also works behind a proxy that mounts Hearth under a prefix.
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Hearth API</title>
<link rel="icon" type="image/png" href="docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script src="docs/assets/init.js"></script>
</body>
</html>
`;

// validatorUrl null: Swagger UI would otherwise load a badge from validator.swagger.io.
const INIT = `window.ui = SwaggerUIBundle({
  url: new URL('openapi.json', document.baseURI).href,
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
});
`;

/** The browser may load nothing from anywhere but this server. */
export const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

const OpenAPIDocument = z.record(z.string(), z.unknown()).openapi('OpenAPIDocument');

/** /openapi.json (this document), /docs (Swagger UI served from the swagger-ui-dist package, no CDN) and its assets. */
export function mountDocs(app: OpenAPIHono<AppEnv>, version: string): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'Needed when the server has API keys configured; /health and /ready are always open.',
  });
  let document: unknown;
  mount(
    app,
    createRoute({ method: 'get', path: '/openapi.json', tags: ['Operations'], summary: 'This OpenAPI 3.1 document', responses: { 200: { description: 'OpenAPI document', content: { 'application/json': { schema: OpenAPIDocument } } } } }),
    (c) => {
      // Every route is mounted before the first request, so the document is built once.
      document ??= app.getOpenAPI31Document({
        openapi: '3.1.0',
        info: { title: 'Hearth', version, description: 'Self-hosted embeddings behind the OpenAI and Ollama contracts.' },
        security: [{ bearer: [] }],
      });
      return c.json(document as Record<string, unknown>);
    },
  );
  mount(
    app,
    createRoute({ method: 'get', path: '/docs', tags: ['Operations'], summary: 'API reference page (Swagger UI)', responses: { 200: { description: 'HTML page', content: { 'text/html': { schema: z.string() } } } } }),
    (c) => c.html(PAGE, 200, { 'content-security-policy': CSP }),
  );
  const assets = swaggerAssets();
  mount(
    app,
    createRoute({
      method: 'get',
      path: '/docs/assets/{file}',
      tags: ['Operations'],
      summary: 'Static files of the API reference page',
      request: { params: z.object({ file: z.string() }) },
      responses: { 200: { description: 'File', content: { 'application/octet-stream': { schema: z.string() } } }, ...openAIErrors([404]) },
    }),
    async (c) => {
      const asset = await assets(c.req.path.slice('/docs/assets/'.length));
      if (!asset) throw new HearthError('not_found', `no asset ${c.req.path.slice(0, 120)}`);
      return c.body(asset.body, 200, { 'content-type': asset.type, 'cache-control': 'public, max-age=3600', 'content-security-policy': CSP });
    },
  );
}

/** Reads whitelisted files once and keeps them; the init script is ours. */
function swaggerAssets(): (name: string) => Promise<{ body: Uint8Array<ArrayBuffer>; type: string } | undefined> {
  const dir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const cache = new Map<string, { body: Uint8Array<ArrayBuffer>; type: string }>([['init.js', { body: new TextEncoder().encode(INIT), type: 'text/javascript; charset=utf-8' }]]);
  return async (name) => {
    const cached = cache.get(name);
    if (cached) return cached;
    const type = Object.hasOwn(SWAGGER_FILES, name) ? SWAGGER_FILES[name] : undefined;
    if (!type) return undefined;
    const asset = { body: new Uint8Array(await readFile(join(dir, name))), type };
    cache.set(name, asset);
    return asset;
  };
}
