import { describe, expect, it } from 'vitest';
import { HearthError } from '../../../src/lib/errors.js';
import { assertRepoId, isValidRepoId, repoFolderName } from '../../../src/models/model-id.js';

const hostile: Array<[label: string, id: string]> = [
  ['parent traversal', '../x'],
  ['absolute path', '/etc/passwd'],
  ['traversal in the middle', 'org/../../x'],
  ['traversal as the name', 'org/..'],
  ['cache separator in org', 'a--b/c'],
  ['cache separator in name', 'org/a--b'],
  ['dot dot', '..'],
  ['dot', '.'],
  ['dot slash dot', './.'],
  ['no name', 'org/'],
  ['no org', '/name'],
  ['double slash', 'org//name'],
  ['three parts', 'org/name/extra'],
  ['no slash at all', 'name'],
  ['url-encoded dots', '%2e%2e/x'],
  ['url-encoded slash', 'org%2Fname'],
  ['url-encoded traversal', '..%2f..%2fetc'],
  ['fullwidth dots', '．．/x'],
  ['fullwidth slash', 'org／name'],
  ['division slash', 'org\u2215name'],
  ['fraction slash', 'org\u2044name'],
  ['NUL byte', 'org/na\u0000me'],
  ['backslash separator', 'org\\name'],
  ['backslash traversal', '..\\x'],
  ['mixed separators', 'org/..\\..\\x'],
  ['1 kB name', `org/${'a'.repeat(1024)}`],
  ['1 kB org', `${'a'.repeat(1024)}/name`],
  ['leading space', ' org/name'],
  ['trailing space', 'org/name '],
  ['trailing newline', 'org/name\n'],
  ['tab inside', 'org/na\tme'],
  ['empty', ''],
  ['only a slash', '/'],
  ['drive letter', 'C:/x'],
  ['home dir', '~/x'],
  ['org starts with dot', '.org/name'],
  ['name starts with dot', 'org/.name'],
  ['org ends with dot', 'org./name'],
  ['name ends with dot', 'org/name.'],
  ['org starts with dash', '-org/name'],
  ['name starts with dash', 'org/-name'],
  ['name ends with dash', 'org/name-'],
  ['org starts with underscore', '_org/name'],
  ['name ends with underscore', 'org/name_'],
  ['dots inside name', 'org/a..b'],
  ['colon (alias tag)', 'org/name:latest'],
  ['query string', 'org/name?x=1'],
  ['fragment', 'org/name#x'],
  ['space inside', 'org/my model'],
  ['non-ascii letter', 'org/modèle'],
  ['cyrillic lookalike', 'оrg/name'],
  ['zero-width space', 'org/na\u200bme'],
  ['right-to-left override', 'org/\u202eeman'],
  ['shell metacharacters', 'org/$(rm -rf ~)'],
  ['glob', 'org/*'],
];

const valid = [
  'sentence-transformers/all-MiniLM-L6-v2',
  'Xenova/all-MiniLM-L6-v2',
  'BAAI/bge-small-en-v1.5',
  'openai/clip-vit-base-patch32',
  'a/b',
  'org.x/name_y-z',
  'intfloat/multilingual-e5-small',
  'nomic-ai/nomic-embed-text-v1.5',
  'mixedbread-ai/mxbai-embed-large-v1',
  'onnx-community/Qwen3-Embedding-0.6B-ONNX',
  '1/2',
  `${'o'.repeat(96)}/${'n'.repeat(96)}`,
];

describe('isValidRepoId / assertRepoId', () => {
  it('has a big enough hostile table', () => {
    expect(hostile.length).toBeGreaterThanOrEqual(30);
    expect(new Set(hostile.map(([, id]) => id)).size).toBe(hostile.length);
  });

  it.each(hostile)('rejects %s', (_label, id) => {
    expect(isValidRepoId(id)).toBe(false);
    let thrown: unknown;
    try {
      assertRepoId(id);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(HearthError);
    expect((thrown as HearthError).code).toBe('invalid_request');
    expect((thrown as HearthError).param).toBe('model');
  });

  it.each(valid)('accepts %s', (id) => {
    expect(isValidRepoId(id)).toBe(true);
    expect(assertRepoId(id)).toBe(id);
  });

  it('rejects a part longer than 96 characters', () => {
    expect(isValidRepoId(`org/${'n'.repeat(97)}`)).toBe(false);
    expect(isValidRepoId(`${'o'.repeat(97)}/name`)).toBe(false);
  });

  it('names the given param in the error', () => {
    expect(() => assertRepoId('../x', 'name')).toThrowError(expect.objectContaining({ code: 'invalid_request', param: 'name' }));
  });

  it('keeps control characters and long input out of the error message', () => {
    let message = '';
    try {
      assertRepoId(`org/\u0000\n${'x'.repeat(500)}`);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toMatch(/[\u0000-\u001f]/);
    expect(message.length).toBeLessThan(300);
  });
});

describe('repoFolderName', () => {
  it.each([
    ['sentence-transformers/all-MiniLM-L6-v2', 'models--sentence-transformers--all-MiniLM-L6-v2'],
    ['BAAI/bge-small-en-v1.5', 'models--BAAI--bge-small-en-v1.5'],
    ['a/b', 'models--a--b'],
  ])('%s → %s', (id, folder) => {
    expect(repoFolderName(id)).toBe(folder);
  });
});
