import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { isValidRepoId } from './model-id.js';

export const TASKS = ['text-embedding', 'image-embedding', 'multivector-embedding', 'image-caption', 'ocr'] as const;
export type Task = (typeof TASKS)[number];

/** An image-caption (VisionEncoderDecoder) repo's graphs, in transformers.js' layout. */
export const CAPTION_GRAPHS = { encoder: 'onnx/encoder_model.onnx', decoder: 'onnx/decoder_model_merged.onnx' } as const;

const ManifestModel = z
  .object({
    id: z.string().refine(isValidRepoId, 'must be a Hugging Face repo id "org/name"'),
    task: z.enum(TASKS),
    name: z.string().optional(),
    revision: z.string().default('main'),
    files: z.array(z.string().min(1)).min(1),
    /** The ONNX graph inside the repo the runtime loads (one of `files`). */
    onnx: z.string(),
    /** image-embedding (CLIP) and multivector-embedding (ColPali) only: the text/query graph; `onnx` is then the vision/image graph. */
    onnx_text: z.string().optional(),
    /** Overrides for what the sentence-transformers config says. */
    pooling: z.enum(['mean', 'cls', 'last']).optional(),
    normalize: z.boolean().optional(),
    max_tokens: z.number().int().positive().optional(),
    /** Embedding tasks: the vector size (OCR models have none). */
    dimensions: z.number().int().positive().optional(),
    /** Files ship inside this npm package (its folder stands in for the snapshot): an embedded default, no download. */
    package: z.string().optional(),
    /** OCR only: PP-OCR's three graphs and the recogniser's dictionary (each one of `files`; `onnx` is the detector). */
    ocr: z.object({ det: z.string(), cls: z.string(), rec: z.string(), keys: z.string() }).optional(),
    size_bytes: z.number().int().nonnegative().optional(),
    license: z.string().optional(),
    aliases: z.array(z.string()).default([]),
    default: z.boolean().default(false),
    description: z.string().optional(),
  })
  .refine((m) => m.files.includes(m.onnx), { message: '"onnx" must be one of "files"', path: ['onnx'] })
  .refine((m) => (m.task === 'ocr') === (m.ocr !== undefined) && (!m.ocr || Object.values(m.ocr).every((f) => m.files.includes(f))), {
    message: 'ocr models need "ocr" {det, cls, rec, keys}, each one of "files" (and only they have it)',
    path: ['ocr'],
  })
  .refine((m) => m.onnx_text === undefined || m.files.includes(m.onnx_text), { message: '"onnx_text" must be one of "files"', path: ['onnx_text'] })
  .refine((m) => (m.task === 'image-embedding' || m.task === 'multivector-embedding') === (m.onnx_text !== undefined), {
    message: 'image-embedding and multivector-embedding models need "onnx_text" (and only they have it)',
    path: ['onnx_text'],
  })
  // transformers.js loads a captioner's graphs by these names (it has no option for others).
  .refine((m) => m.task !== 'image-caption' || (m.onnx === CAPTION_GRAPHS.encoder && m.files.includes(CAPTION_GRAPHS.decoder)), {
    message: `image-caption models need "onnx": "${CAPTION_GRAPHS.encoder}" and "${CAPTION_GRAPHS.decoder}" in "files"`,
    path: ['onnx'],
  });

export const ManifestSchema = z.object({ models: z.array(ManifestModel) });

export type ManifestEntry = z.output<typeof ManifestModel>;

/** The models Hearth knows by name, with alias resolution and per-task defaults. */
export class Manifest {
  private readonly byName = new Map<string, ManifestEntry>();

  constructor(readonly entries: readonly ManifestEntry[]) {
    for (const entry of entries) {
      for (const name of [entry.id, ...entry.aliases]) {
        const key = name.toLowerCase();
        const clash = this.byName.get(key);
        if (clash && clash !== entry) throw new Error(`models.json: name "${name}" is used by ${clash.id} and ${entry.id}`);
        this.byName.set(key, entry);
      }
    }
    for (const task of TASKS) {
      const defaults = entries.filter((e) => e.task === task && e.default);
      if (defaults.length > 1) throw new Error(`models.json: more than one default for ${task}`);
    }
  }

  static async load(path: string): Promise<Manifest> {
    const parsed = ManifestSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    if (!parsed.success) {
      throw new Error(`invalid ${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    return new Manifest(parsed.data.models);
  }

  /** Looks up an id or alias; "name:latest" is the same as "name" (Ollama clients add it). */
  find(name: string): ManifestEntry | undefined {
    const key = name.toLowerCase();
    return this.byName.get(key) ?? (key.endsWith(':latest') ? this.byName.get(key.slice(0, -7)) : undefined);
  }

  defaultFor(task: Task): ManifestEntry | undefined {
    return this.entries.find((e) => e.task === task && e.default) ?? this.entries.find((e) => e.task === task);
  }

  /** Every name a client may send for a task: ids first, then aliases. */
  namesFor(task: Task): string[] {
    const forTask = this.entries.filter((e) => e.task === task);
    return [...forTask.map((e) => e.id), ...forTask.flatMap((e) => e.aliases)];
  }
}
