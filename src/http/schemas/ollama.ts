import { z } from '@hono/zod-openapi';

const keepAlive = z.union([z.number(), z.string()]).optional().openapi({ description: 'seconds or a duration ("10m"); 0 unloads after the request; negative keeps forever' });
/** ollama-js sends `name` where the API documents `model` (pull, delete, show): accept either. */
const modelOrName = { model: z.string().min(1).optional(), name: z.string().min(1).optional() };
const requireModel = (b: { model?: string; name?: string }) => b.model !== undefined || b.name !== undefined;
const modelMissing = { message: "'model' is required", path: ['model'] };

export const OllamaEmbedRequest = z
  .object({
    model: z.string({ error: "'model' is required" }).min(1),
    input: z.union([z.string(), z.array(z.string())], { error: "'input' must be a string or an array of strings" }).optional(),
    truncate: z.boolean().optional(),
    dimensions: z.number().int().positive().optional(),
    keep_alive: keepAlive,
    options: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi('OllamaEmbedRequest');

export const OllamaEmbedResponse = z
  .object({
    model: z.string(),
    embeddings: z.array(z.array(z.number())),
    total_duration: z.number().int(),
    load_duration: z.number().int(),
    prompt_eval_count: z.number().int(),
  })
  .openapi('OllamaEmbedResponse');

export const OllamaEmbeddingsRequest = z
  .object({
    model: z.string({ error: "'model' is required" }).min(1),
    prompt: z.string({ error: "'prompt' must be a string" }).optional(),
    keep_alive: keepAlive,
    options: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi('OllamaEmbeddingsRequest');

export const OllamaEmbeddingsResponse = z.object({ embedding: z.array(z.number()) }).openapi('OllamaEmbeddingsResponse');

export const OllamaModelRequest = z.object({ ...modelOrName, verbose: z.boolean().optional() }).refine(requireModel, modelMissing).openapi('OllamaModelRequest');

export const OllamaPullRequest = z
  .object({ ...modelOrName, insecure: z.boolean().optional(), stream: z.boolean().optional() })
  .refine(requireModel, modelMissing)
  .openapi('OllamaPullRequest');

export const OllamaProgress = z
  .object({ status: z.string(), digest: z.string().optional(), total: z.number().optional(), completed: z.number().optional(), error: z.string().optional() })
  .openapi('OllamaProgress');

const Details = z.object({
  parent_model: z.string(),
  format: z.string(),
  family: z.string(),
  families: z.array(z.string()),
  parameter_size: z.string(),
  quantization_level: z.string(),
});

export const OllamaTags = z
  .object({ models: z.array(z.object({ name: z.string(), model: z.string(), modified_at: z.string(), size: z.number(), digest: z.string(), details: Details })) })
  .openapi('OllamaTags');

export const OllamaPs = z
  .object({
    models: z.array(
      z.object({ name: z.string(), model: z.string(), size: z.number(), digest: z.string(), details: Details, expires_at: z.string(), size_vram: z.number() }),
    ),
  })
  .openapi('OllamaPs');

export const OllamaShow = z
  .object({
    modelfile: z.string(),
    parameters: z.string(),
    template: z.string(),
    details: Details,
    model_info: z.record(z.string(), z.unknown()),
    capabilities: z.array(z.string()),
    modified_at: z.string(),
    license: z.string().optional(),
  })
  .openapi('OllamaShow');

export const OllamaError = z.object({ error: z.string() }).openapi('OllamaError');
