import type { Context } from 'hono';
import type { z } from 'zod';
import { HearthError, invalidRequest } from '../lib/errors.js';
import type { AppEnv } from './env.js';

/**
 * Reads and validates a JSON body. Like Ollama and OpenAI, a body is parsed as
 * JSON whatever the Content-Type says (curl -d sends form-urlencoded), except
 * multipart, which is a different request altogether.
 */
export async function readJson<S extends z.ZodType>(c: Context<AppEnv>, schema: S): Promise<z.output<S>> {
  const type = c.req.header('content-type') ?? '';
  if (type.toLowerCase().startsWith('multipart/')) {
    throw new HearthError('unsupported_media_type', `this endpoint takes a JSON body, not ${type.split(';')[0]}`);
  }
  const text = await c.req.text();
  if (text.trim() === '') throw invalidRequest('request body is empty; expected a JSON object');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw invalidRequest('request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidRequest('request body must be a JSON object');
  return validateBody(schema, body);
}

/** Validates an already-parsed body, with the same 400s as readJson (for routes that look at the body before choosing a schema). */
export function validateBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const param = issue.path.map(String).join('.') || null;
    throw invalidRequest(param ? `invalid '${param}': ${issue.message}` : issue.message, param);
  }
  return parsed.data;
}
