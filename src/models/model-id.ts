import { invalidRequest } from '../lib/errors.js';

/**
 * A Hugging Face repo id ("org/name") becomes a path in the hub cache, so it is
 * checked before any filesystem call: ASCII word characters, dot and dash only,
 * exactly one slash, no "--" (the cache's own separator), no "..", bounded length.
 * This rejects traversal, absolute paths, encoded separators, NUL and unicode tricks
 * because none of their characters are allowed at all.
 */
const REPO_ID = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?\/[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$/;

export function isValidRepoId(id: string): boolean {
  return id.length <= 193 && REPO_ID.test(id) && !id.includes('--') && !id.includes('..');
}

export function assertRepoId(id: string, param = 'model'): string {
  if (!isValidRepoId(id)) {
    throw invalidRequest(`invalid model id "${printable(id)}": expected "org/name" with letters, digits, ".", "-" or "_"`, param);
  }
  return id;
}

/** Names may be aliases ("all-minilm:latest") rather than repo ids: same alphabet plus ":" and no path tricks. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$/;

export function isPlausibleModelName(name: string): boolean {
  return NAME.test(name) && !name.includes('..') && !name.includes('//') && !name.endsWith('/');
}

export function printable(s: string): string {
  const cut = s.length > 80 ? `${s.slice(0, 80)}…` : s;
  return cut.replace(/[^\x20-\x7e]/g, '?');
}

/** "org/name" → "models--org--name", the hub cache folder name. */
export const repoFolderName = (id: string): string => `models--${id.replace('/', '--')}`;
