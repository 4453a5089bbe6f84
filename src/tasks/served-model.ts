import type { TextEmbeddingModel } from './embed/text-model.js';
import type { ClipEmbeddingModel } from './image/clip-model.js';

/** Whatever the pool can hold; grows a member per task family. */
export type ServedModel = TextEmbeddingModel | ClipEmbeddingModel;
