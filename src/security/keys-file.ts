import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';
import { withLockFile, writeFileAtomic } from '../lib/atomic-file.js';

/** Key names: what the access log shows. `env-N` is taken by the keys from HEARTH_API_KEYS. */
export const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ENV_NAME = /^env-\d+$/;

const perMinute = z.number().int().min(0);
const KeyRecordSchema = z.looseObject({
  name: z.string().regex(KEY_NAME, 'names are 1-64 letters, digits, ".", "_" or "-"').refine((n) => !ENV_NAME.test(n), 'env-N names are reserved for HEARTH_API_KEYS'),
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be the 64 hex digits of the key\'s sha256'),
  created_at: z.string().optional(),
  rate_limit: z.strictObject({ requests_per_minute: perMinute.optional(), tokens_per_minute: perMinute.optional() }).optional(),
});
const KeysFileSchema = z
  .looseObject({ keys: z.array(KeyRecordSchema).default([]) })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.keys.forEach((k, i) => {
      if (seen.has(k.name)) ctx.addIssue({ code: 'custom', path: ['keys', i, 'name'], message: `duplicate key name "${k.name}"` });
      seen.add(k.name);
    });
  });

export type KeyRecord = z.output<typeof KeyRecordSchema>;

const isYaml = (path: string) => /\.ya?ml$/i.test(path);

/** The keys file's records; an empty file means no keys. Throws a message naming the file and the bad field. */
export function parseKeysFile(text: string, path: string): KeyRecord[] {
  let raw: unknown;
  try {
    raw = text.trim() === '' ? {} : isYaml(path) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: not valid ${isYaml(path) ? 'YAML' : 'JSON'}: ${(error as Error).message}`);
  }
  const parsed = KeysFileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`);
    throw new Error(`${path}: ${issues.join('; ')}`);
  }
  return parsed.data.keys;
}

/** Records from the file, or none when it does not exist. */
export async function readKeysFile(path: string): Promise<KeyRecord[]> {
  try {
    return parseKeysFile(await readFile(path, 'utf8'), path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export function serializeKeysFile(keys: readonly KeyRecord[], path: string): string {
  return isYaml(path) ? stringifyYaml({ keys }) : `${JSON.stringify({ keys }, null, 2)}\n`;
}

/** Read-modify-write under a lock; the new file replaces the old atomically with mode 0600. */
export async function updateKeysFile(path: string, change: (keys: KeyRecord[]) => KeyRecord[]): Promise<KeyRecord[]> {
  return withLockFile(path, async () => {
    const next = change(await readKeysFile(path));
    parseKeysFile(serializeKeysFile(next, path), path);
    await writeFileAtomic(path, serializeKeysFile(next, path), 0o600);
    return next;
  });
}

export const sha256Hex = (key: string): string => createHash('sha256').update(key).digest('hex');

/** A new key: "hk-" and 32 random bytes in base64url (256 bits). */
export function newApiKey(): { key: string; sha256: string } {
  const key = `hk-${randomBytes(32).toString('base64url')}`;
  return { key, sha256: sha256Hex(key) };
}
