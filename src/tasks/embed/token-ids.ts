import { getEncodingNameForModel } from 'js-tiktoken/lite';
import { invalidRequest } from '../../lib/errors.js';

type EncodingName = ReturnType<typeof getEncodingNameForModel>;

interface Ranks {
  bpe_ranks: string;
  special_tokens: Record<string, number>;
}

/**
 * Decode-only view of a tiktoken encoding: all token bytes in one buffer,
 * indexed by rank. js-tiktoken's Tiktoken also builds the encode maps, which
 * cost about 65 MB of heap for cl100k; decoding needs only this (~2 MB).
 */
class DecodeTable {
  private readonly bytes: Buffer;
  private readonly starts: Uint32Array;
  private readonly lengths: Uint16Array;
  readonly vocabSize: number;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(ranks: Ranks) {
    // js-tiktoken's compact format: lines of "<prefix> <first rank> <base64 token> <base64 token> …"
    const tokens: Array<[number, Buffer]> = [];
    for (const line of ranks.bpe_ranks.split('\n')) {
      if (!line) continue;
      const [, offset, ...encoded] = line.split(' ');
      const first = Number.parseInt(offset!, 10);
      encoded.forEach((b64, i) => tokens.push([first + i, Buffer.from(b64, 'base64')]));
    }
    for (const [text, rank] of Object.entries(ranks.special_tokens)) tokens.push([rank, Buffer.from(text, 'utf8')]);
    this.vocabSize = Math.max(...tokens.map(([rank]) => rank)) + 1;
    this.starts = new Uint32Array(this.vocabSize);
    this.lengths = new Uint16Array(this.vocabSize);
    this.bytes = Buffer.alloc(tokens.reduce((sum, [, b]) => sum + b.length, 0));
    let at = 0;
    for (const [rank, b] of tokens) {
      b.copy(this.bytes, at);
      this.starts[rank] = at;
      this.lengths[rank] = b.length;
      at += b.length;
    }
  }

  /** Unassigned ids inside the range (cl100k has a few) would decode to nothing: not valid. */
  isValid(id: number): boolean {
    return id < this.vocabSize && this.lengths[id]! > 0;
  }

  decode(ids: number[]): string {
    const parts = ids.map((id) => this.bytes.subarray(this.starts[id]!, this.starts[id]! + this.lengths[id]!));
    return this.decoder.decode(Buffer.concat(parts));
  }
}

const tables = new Map<EncodingName, Promise<DecodeTable>>();

/**
 * OpenAI clients (LangChain's OpenAIEmbeddings by default) send tiktoken ids
 * rather than text. They are ids of the requested OpenAI model's encoding, not
 * of the served model, so they are decoded back to text here and re-tokenised
 * by the served model's own tokenizer.
 */
export async function decodeTokenIds(batches: number[][], requestedModel: string): Promise<string[]> {
  const table = await tableFor(encodingForModel(requestedModel));
  return batches.map((ids, i) => {
    for (const id of ids) {
      if (!table.isValid(id)) throw invalidRequest(`input[${i}] holds token id ${id}, which is not a token of the encoding (ids 0..${table.vocabSize - 1})`, 'input');
    }
    return table.decode(ids);
  });
}

export function encodingForModel(model: string): EncodingName {
  try {
    return getEncodingNameForModel(model as Parameters<typeof getEncodingNameForModel>[0]);
  } catch {
    return /(^|\/)(gpt-4o|gpt-4\.1|gpt-5|o1|o3|o4)/.test(model) ? 'o200k_base' : 'cl100k_base';
  }
}

function tableFor(name: EncodingName): Promise<DecodeTable> {
  let loading = tables.get(name);
  if (!loading) {
    loading = loadRanks(name).then((ranks) => new DecodeTable(ranks));
    tables.set(name, loading);
    loading.catch(() => tables.delete(name));
  }
  return loading;
}

async function loadRanks(name: EncodingName): Promise<Ranks> {
  switch (name) {
    case 'o200k_base':
      return (await import('js-tiktoken/ranks/o200k_base')).default;
    case 'p50k_base':
    case 'p50k_edit':
      return (await import('js-tiktoken/ranks/p50k_base')).default;
    case 'r50k_base':
    case 'gpt2':
      return (await import('js-tiktoken/ranks/r50k_base')).default;
    default:
      return (await import('js-tiktoken/ranks/cl100k_base')).default;
  }
}
