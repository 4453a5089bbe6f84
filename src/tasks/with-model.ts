import { HearthError } from '../lib/errors.js';
import type { ModelPool } from '../runtime/pool.js';
import type { ServedModel } from './served-model.js';

/**
 * Runs `use` on the loaded model `id` (loading it if need be), which must be a `kind` — the class
 * the task serves with — and releases it afterwards with the request's keep_alive. `loadMs` is how
 * long the model took to become available (0-ish when it was warm).
 */
export async function withModel<M extends ServedModel, R>(
  pool: ModelPool<ServedModel>,
  id: string,
  kind: { prototype: M; name: string },
  keepAliveMs: number | undefined,
  use: (model: M, loadMs: number) => Promise<R>,
): Promise<R> {
  const loadStarted = performance.now();
  const lease = await pool.acquire(id);
  const loadMs = performance.now() - loadStarted;
  try {
    const model = lease.value;
    if (!(model instanceof (kind as unknown as new () => M))) throw new HearthError('internal_error', `model ${id} is not a ${kind.name}`);
    return await use(model, loadMs);
  } finally {
    lease.release(keepAliveMs);
  }
}
