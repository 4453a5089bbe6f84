import { Tiktoken } from 'js-tiktoken/lite';
import cl100k from 'js-tiktoken/ranks/cl100k_base';
import { describe, expect, it } from 'vitest';
import { HearthError } from '../../../src/lib/errors.js';
import { inputsToTexts } from '../../../src/tasks/embed/inputs.js';
import { decodeTokenIds, encodingForModel } from '../../../src/tasks/embed/token-ids.js';

const MODEL = 'text-embedding-3-small';
const MAX = 2048;
const cl = new Tiktoken(cl100k);

const SENTENCE = 'The quick brown fox jumps over the lazy dog. Ünïcödé, emoji 🦊 and 数字 123!';
const OTHER = 'Hearth serves embeddings.';

async function invalid(input: unknown, maxInputs = MAX): Promise<HearthError> {
  const error = await inputsToTexts(input, MODEL, maxInputs).then(
    () => {
      throw new Error(`accepted ${JSON.stringify(input)?.slice(0, 60)}`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HearthError);
  expect((error as HearthError).code).toBe('invalid_request');
  expect((error as HearthError).param).toBe('input');
  return error as HearthError;
}

describe('inputsToTexts', () => {
  it('a string becomes one text', async () => {
    expect(await inputsToTexts('hello', MODEL, MAX)).toEqual(['hello']);
  });

  it('an empty string is one empty text', async () => {
    expect(await inputsToTexts('', MODEL, MAX)).toEqual(['']);
  });

  it('an array of strings is kept as is, in order', async () => {
    expect(await inputsToTexts(['a', '', 'c'], MODEL, MAX)).toEqual(['a', '', 'c']);
  });

  it('accepts exactly maxInputs strings', async () => {
    expect(await inputsToTexts(new Array(MAX).fill('x'), MODEL, MAX)).toHaveLength(MAX);
  });

  it('an array of cl100k token ids decodes back to the text', async () => {
    const ids = cl.encode(SENTENCE);
    expect(ids.length).toBeGreaterThan(5);
    expect(await inputsToTexts(ids, MODEL, MAX)).toEqual([SENTENCE]);
  });

  it('an array of token-id arrays decodes to one text each', async () => {
    const texts = await inputsToTexts([cl.encode(SENTENCE), cl.encode(OTHER)], MODEL, MAX);
    expect(texts).toEqual([SENTENCE, OTHER]);
  });

  it('[[]] is one empty text', async () => {
    expect(await inputsToTexts([[]], MODEL, MAX)).toEqual(['']);
  });

  it.each<[string, unknown]>([
    ['an empty array', []],
    ['an object', {}],
    ['a number', 5],
    ['null', null],
    ['undefined', undefined],
    ['a boolean', true],
    ['a fractional id', [1.5]],
    ['a negative id', [-1]],
    ['NaN as an id', [Number.NaN]],
    ['a string id inside a nested array', [[1, 'a']]],
    ['a negative id inside a nested array', [[1], [2, -3]]],
    ['strings mixed with ids', ['a', 1]],
    ['ids mixed with arrays', [1, [2]]],
    ['strings mixed with arrays', ['a', [1]]],
    ['null inside an array', ['a', null]],
    ['objects inside an array', [{ text: 'a' }]],
    ['a token id beyond the vocabulary', [10_000_000]],
    ['a token id beyond the vocabulary in a nested array', [[1, 2], [10_000_000]]],
    ['an unassigned cl100k id inside the range (would decode to nothing)', [15339, 100265]],
  ])('rejects %s', async (_label, input) => {
    await invalid(input);
  });

  it('rejects more strings than maxInputs, naming the limit', async () => {
    const error = await invalid(new Array(MAX + 1).fill('x'));
    expect(error.message).toContain(String(MAX));
  });

  it('rejects more token-id arrays than maxInputs', async () => {
    await invalid([[1], [2], [3]], 2);
  });

  it('names the offending position', async () => {
    expect((await invalid([1, 2, -7])).message).toContain('input[2]');
    expect((await invalid([[1], [2, 'x']])).message).toContain('input[1][1]');
  });
});

describe('token ids', () => {
  it.each([
    ['gpt-4o', 'o200k_base'],
    ['gpt-4o-mini', 'o200k_base'],
    ['text-embedding-3-small', 'cl100k_base'],
    ['text-embedding-3-large', 'cl100k_base'],
    ['text-embedding-ada-002', 'cl100k_base'],
    ['sentence-transformers/all-MiniLM-L6-v2', 'cl100k_base'],
    ['all-minilm:latest', 'cl100k_base'],
    ['no-such-model', 'cl100k_base'],
    ['', 'cl100k_base'],
  ])('encodingForModel(%j) is %s', (model, encoding) => {
    expect(encodingForModel(model)).toBe(encoding);
  });

  it('decodeTokenIds accepts the highest id of the vocabulary and rejects the next one', async () => {
    const top = Math.max(...Object.values(cl100k.special_tokens as Record<string, number>));
    expect(await decodeTokenIds([[top]], MODEL)).toEqual(['<|endofprompt|>']);
    await expect(decodeTokenIds([[top + 1]], MODEL)).rejects.toMatchObject({ code: 'invalid_request', param: 'input' });
  });
});
