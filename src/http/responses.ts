import type { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Tasks } from '../tasks/index.js';
import type { PullProgress } from '../tasks/models/service.js';
import type { AppEnv } from './env.js';
import { toHearthError } from './errors.js';
import { ndjson } from './ndjson.js';
import { OpenAIError } from './schemas/embeddings.js';
import { OllamaError } from './schemas/ollama.js';

/** OpenAPI response entries shared by the route files. */
export const jsonContent = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });
export const openAIErrors = (codes: number[]) => Object.fromEntries(codes.map((code) => [code, jsonContent(OpenAIError, 'Error')]));
export const ollamaErrors = (codes: number[]) => Object.fromEntries(codes.map((code) => [code, jsonContent(OllamaError, 'Error')]));

/**
 * A pull answered as Ollama does: an NDJSON progress stream ending in
 * {"status":"success"} (or an {"error"} line), or one JSON object when the
 * client asked for stream: false. Used by /api/pull and /api/models/pull.
 */
export async function pullResponse(c: Context<AppEnv>, tasks: Tasks, name: string, stream: boolean | undefined): Promise<Response> {
  if (stream === false) {
    const model = await tasks.models.pull(name, { signal: c.req.raw.signal });
    return c.json({ status: 'success', model: model.id, revision: model.revision, size_bytes: model.sizeBytes });
  }
  return ndjson<PullProgress>(
    c,
    async (emit, signal) => {
      await tasks.models.pull(name, { signal, onProgress: (p) => void emit(p) });
      return { status: 'success' };
    },
    (error) => toHearthError(error).message,
  );
}
