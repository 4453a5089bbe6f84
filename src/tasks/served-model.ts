import type { CaptionModel } from './caption/caption-model.js';
import type { TextEmbeddingModel } from './embed/text-model.js';
import type { ClipEmbeddingModel } from './image/clip-model.js';
import type { ColPaliModel } from './multivector/colpali-model.js';

/** Whatever the pool can hold; grows a member per task family. */
export type ServedModel = TextEmbeddingModel | ClipEmbeddingModel | ColPaliModel | CaptionModel;
