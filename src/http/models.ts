import { type OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { HearthError } from '../lib/errors.js';
import type { Tasks } from '../tasks/index.js';
import type { ModelSummary } from '../tasks/models/service.js';
import type { AppEnv } from './env.js';
import { readJson } from './json-body.js';
import { jsonContent, openAIErrors, pullResponse } from './responses.js';
import { mount } from './route.js';
import { OllamaProgress } from './schemas/ollama.js';

const json = jsonContent;
const errors = openAIErrors;

const OpenAIModel = z.object({ id: z.string(), object: z.literal('model'), created: z.number().int(), owned_by: z.string() }).openapi('Model');
const HearthModel = z
  .object({
    id: z.string(),
    task: z.string().nullable(),
    aliases: z.array(z.string()),
    description: z.string().nullable(),
    license: z.string().nullable(),
    dimensions: z.number().nullable(),
    default: z.boolean(),
    in_manifest: z.boolean(),
    downloaded: z.boolean(),
    revision: z.string().nullable(),
    size_bytes: z.number(),
    loaded: z.boolean(),
    expires_at: z.string().nullable(),
  })
  .openapi('HearthModel');
const TaskQuery = z.object({ task: z.enum(['text-embedding', 'image-embedding', 'multivector-embedding', 'image-caption', 'ocr']).optional() });
const PullBody = z.object({ model: z.string().min(1), stream: z.boolean().optional() }).openapi('PullRequest');

const openAIModel = (id: string, m: ModelSummary) => ({ id, object: 'model' as const, created: Math.floor((m.modifiedAt?.getTime() ?? 0) / 1000), owned_by: id.includes('/') ? id.split('/')[0]! : m.id.split('/')[0]! });
const hearthModel = (m: ModelSummary) => ({
  id: m.id,
  task: m.task,
  aliases: m.aliases,
  description: m.description,
  license: m.license,
  dimensions: m.dimensions,
  default: m.isDefault,
  in_manifest: m.inManifest,
  downloaded: m.downloaded,
  revision: m.revision,
  size_bytes: m.sizeBytes,
  loaded: m.loaded,
  expires_at: m.expiresAt?.toISOString() ?? null,
});

/** OpenAI's /v1/models (ids and aliases a client may send) and Hearth's own model management. */
export function mountModels(app: OpenAPIHono<AppEnv>, tasks: Tasks): void {
  const servable = async () => (await tasks.models.list()).filter((m) => m.downloaded);

  mount(app, createRoute({ method: 'get', path: '/v1/models', tags: ['OpenAI'], summary: 'Models ready to serve, with their aliases', responses: { 200: json(z.object({ object: z.literal('list'), data: z.array(OpenAIModel) }), 'Models'), ...errors([401]) } }), async (c) => {
    const data = (await servable()).flatMap((m) => [m.id, ...m.aliases].map((id) => openAIModel(id, m)));
    return c.json({ object: 'list' as const, data });
  });

  mount(
    app,
    createRoute({ method: 'get', path: '/v1/models/{model}', tags: ['OpenAI'], summary: 'One model (id or alias; ids contain a slash)', request: { params: z.object({ model: z.string() }) }, responses: { 200: json(OpenAIModel, 'Model'), ...errors([401, 404]) } }),
    async (c) => {
      const name = decodeURIComponent(c.req.path.slice('/v1/models/'.length));
      const found = (await servable()).find((m) => [m.id, ...m.aliases].some((n) => n.toLowerCase() === name.toLowerCase()));
      if (!found) throw new HearthError('model_not_found', `model "${name.slice(0, 80)}" not found`, { param: 'model' });
      return c.json(openAIModel(name, found));
    },
  );

  mount(
    app,
    createRoute({ method: 'get', path: '/api/models', tags: ['Hearth'], summary: 'Manifest and cached models with download and load state', request: { query: TaskQuery }, responses: { 200: json(z.object({ models: z.array(HearthModel) }), 'Models'), ...errors([400, 401]) } }),
    async (c) => {
      const query = TaskQuery.safeParse({ task: c.req.query('task') });
      if (!query.success) throw new HearthError('invalid_request', `unknown task "${c.req.query('task')}"`, { param: 'task' });
      return c.json({ models: (await tasks.models.list(query.data.task)).map(hearthModel) });
    },
  );

  mount(
    app,
    createRoute({
      method: 'post',
      path: '/api/models/pull',
      tags: ['Hearth'],
      summary: 'Download a model (NDJSON progress, as /api/pull)',
      request: { body: { required: true, content: { 'application/json': { schema: PullBody } } } },
      responses: { 200: { description: 'Progress', content: { 'application/x-ndjson': { schema: OllamaProgress } } }, ...errors([400, 401, 404, 502, 507]) },
    }),
    async (c) => {
      const body = await readJson(c, PullBody);
      c.set('model', body.model);
      return pullResponse(c, tasks, body.model, body.stream);
    },
  );

  mount(
    app,
    createRoute({
      method: 'delete',
      path: '/api/models/{model}',
      tags: ['Hearth'],
      summary: 'Delete a model from the cache (?force=true unloads a loaded one first)',
      request: { params: z.object({ model: z.string() }), query: z.object({ force: z.enum(['true', 'false']).optional() }) },
      responses: { 200: json(z.object({ deleted: z.string() }), 'Deleted'), ...errors([400, 401, 404, 409]) },
    }),
    async (c) => {
      const name = decodeURIComponent(c.req.path.slice('/api/models/'.length));
      c.set('model', name);
      await tasks.models.delete(name, c.req.query('force') === 'true');
      return c.json({ deleted: name });
    },
  );
}
