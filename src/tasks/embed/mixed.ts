import { HearthError, invalidRequest } from '../../lib/errors.js';
import type { ModelCatalog } from '../catalog.js';
import type { EmbeddingService } from './service.js';

export interface MixedItem {
  id?: string;
  type: 'text' | 'image';
  content: string;
}

export interface MixedResult {
  vectors: Float32Array[];
  /** The model each item went to, in item order. */
  models: string[];
  counts: { text: number; image: number };
}

/**
 * The seed model-worker's mixed batch: text and images in one request. With a
 * model named, every item goes to it (an image-embedding model puts both in one
 * space); without one, text goes to the default text model and images to the
 * default image model, as the seed worker did. The two groups run concurrently.
 */
export async function embedMixed(
  service: EmbeddingService,
  catalog: ModelCatalog,
  items: readonly MixedItem[],
  options: { model?: string; signal?: AbortSignal } = {},
): Promise<MixedResult> {
  if (items.length === 0) throw invalidRequest("'items' must not be empty", 'items');
  const vectors = new Array<Float32Array>(items.length);
  const models = new Array<string>(items.length);
  const groups = (['text', 'image'] as const).map((type) => ({ type, indexes: items.flatMap((item, i) => (item.type === type ? [i] : [])) }));
  await Promise.all(
    groups
      .filter((g) => g.indexes.length > 0)
      .map(async ({ type, indexes }) => {
        const model = options.model ?? defaultModelName(catalog, type);
        const result = await service.embed({ model, input: indexes.map((i) => items[i]!.content), modality: type, signal: options.signal });
        indexes.forEach((itemIndex, k) => {
          vectors[itemIndex] = result.vectors[k]!;
          models[itemIndex] = result.modelId;
        });
      }),
  );
  return { vectors, models, counts: { text: groups[0]!.indexes.length, image: groups[1]!.indexes.length } };
}

/** The manifest's default for text ('text-embedding') or images ('image-embedding'). */
export function defaultModelName(catalog: ModelCatalog, type: 'text' | 'image'): string {
  const task = type === 'text' ? 'text-embedding' : 'image-embedding';
  const entry = catalog.defaultModel(task);
  if (!entry) throw new HearthError('model_not_found', `no ${task} model in the manifest; name one with 'model'`, { param: 'model' });
  return entry.id;
}
