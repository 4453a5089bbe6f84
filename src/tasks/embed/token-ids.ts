import { type Tiktoken, getEncodingNameForModel } from 'js-tiktoken/lite';
import { invalidRequest } from '../../lib/errors.js';

type EncodingName = ReturnType<typeof getEncodingNameForModel>;

interface Encoder {
  tiktoken: Tiktoken;
  vocabSize: number;
  isValid(id: number): boolean;
}

const encoders = new Map<EncodingName, Promise<Encoder>>();

/**
 * OpenAI clients (LangChain's OpenAIEmbeddings by default) send tiktoken ids
 * rather than text. They are ids of the requested OpenAI model's encoding, not
 * of the served model, so they are decoded back to text here and re-tokenised
 * by the served model's own tokenizer.
 */
export async function decodeTokenIds(batches: number[][], requestedModel: string): Promise<string[]> {
  const { tiktoken, vocabSize, isValid } = await encoderFor(encodingForModel(requestedModel));
  return batches.map((ids, i) => {
    for (const id of ids) {
      // Unassigned ids inside the range would decode to nothing: a silent wrong answer, so refuse them too.
      if (!isValid(id)) throw invalidRequest(`input[${i}] holds token id ${id}, which is not a token of the encoding (ids 0..${vocabSize - 1})`, 'input');
    }
    return tiktoken.decode(ids);
  });
}

export function encodingForModel(model: string): EncodingName {
  try {
    return getEncodingNameForModel(model as Parameters<typeof getEncodingNameForModel>[0]);
  } catch {
    return /(^|\/)(gpt-4o|gpt-4\.1|gpt-5|o1|o3|o4)/.test(model) ? 'o200k_base' : 'cl100k_base';
  }
}

function encoderFor(name: EncodingName): Promise<Encoder> {
  let loading = encoders.get(name);
  if (!loading) {
    loading = (async () => {
      const [{ Tiktoken }, ranks] = await Promise.all([import('js-tiktoken/lite'), loadRanks(name)]);
      const tiktoken = new Tiktoken(ranks);
      const specials = new Set(Object.values(ranks.special_tokens as Record<string, number>));
      const vocabSize = Math.max(...specials) + 1;
      // js-tiktoken keeps rank → bytes in `textMap`; when present it tells assigned ids exactly.
      const textMap = (tiktoken as unknown as { textMap?: Map<number, unknown> }).textMap;
      const isValid = (id: number) => id < vocabSize && (textMap ? textMap.has(id) || specials.has(id) : true);
      return { tiktoken, vocabSize, isValid };
    })();
    encoders.set(name, loading);
    loading.catch(() => encoders.delete(name));
  }
  return loading;
}

async function loadRanks(name: EncodingName) {
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
