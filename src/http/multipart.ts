import type { Context } from 'hono';
import { HearthError, invalidRequest } from '../lib/errors.js';
import type { AppEnv } from './env.js';

/** A multipart/form-data body: each field's values in order, files as bytes. */
export type FormFields = Map<string, Array<string | { kind: 'bytes'; data: Uint8Array; name: string; type: string }>>;

export const isMultipart = (c: Context<AppEnv>) => (c.req.header('content-type') ?? '').toLowerCase().startsWith('multipart/form-data');

/**
 * Reads a multipart/form-data body (its size is already capped by the body limit). A malformed
 * form is a 400, not a crash; files come back as bytes, never as paths.
 */
export async function readForm(c: Context<AppEnv>): Promise<FormFields> {
  let parsed: Record<string, unknown>;
  try {
    parsed = await c.req.parseBody({ all: true });
  } catch (error) {
    if (error instanceof HearthError) throw error;
    throw invalidRequest('the multipart/form-data body could not be parsed');
  }
  const fields: FormFields = new Map();
  for (const [name, value] of Object.entries(parsed)) {
    const values = Array.isArray(value) ? value : [value];
    const out = [];
    for (const v of values) {
      if (typeof v === 'string') out.push(v);
      else if (v instanceof Blob) out.push({ kind: 'bytes' as const, data: new Uint8Array(await v.arrayBuffer()), name: v instanceof File ? v.name : '', type: v.type });
    }
    fields.set(name, out);
  }
  return fields;
}

/** A field that may appear at most once, as text. */
export function formText(fields: FormFields, name: string): string | undefined {
  const values = fields.get(name);
  if (!values || values.length === 0) return undefined;
  if (values.length > 1 || typeof values[0] !== 'string') throw invalidRequest(`form field '${name}' must be a single text value`, name);
  return values[0];
}
