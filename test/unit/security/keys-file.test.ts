import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newApiKey, parseKeysFile, readKeysFile, sha256Hex, updateKeysFile } from '../../../src/security/keys-file.js';

const HASH = 'a'.repeat(64);
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hearth-keys-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('parseKeysFile', () => {
  it('reads JSON with optional limits and keeps unknown fields', () => {
    const keys = parseKeysFile(
      JSON.stringify({ keys: [{ name: 'my-app', sha256: HASH, created_at: '2024-01-01T00:00:00Z', rate_limit: { requests_per_minute: 60 }, note: 'ci' }] }),
      'keys.json',
    );
    expect(keys).toEqual([{ name: 'my-app', sha256: HASH, created_at: '2024-01-01T00:00:00Z', rate_limit: { requests_per_minute: 60 }, note: 'ci' }]);
  });

  it('reads YAML when the path ends in .yaml or .yml', () => {
    const yaml = `keys:\n  - name: one\n    sha256: "${HASH}"\n    rate_limit:\n      tokens_per_minute: 1000\n`;
    expect(parseKeysFile(yaml, '/x/keys.yaml')[0]).toMatchObject({ name: 'one', rate_limit: { tokens_per_minute: 1000 } });
    expect(parseKeysFile(yaml, '/x/keys.YML')).toHaveLength(1);
  });

  it('treats an empty file as no keys', () => {
    expect(parseKeysFile('', 'k.json')).toEqual([]);
    expect(parseKeysFile('   \n', 'k.yaml')).toEqual([]);
    expect(parseKeysFile('{}', 'k.json')).toEqual([]);
  });

  it.each([
    ['not JSON', '{keys: nope', /not valid JSON/],
    ['a bad hash', JSON.stringify({ keys: [{ name: 'a', sha256: 'xyz' }] }), /keys\.0\.sha256/],
    ['a plain key where the hash goes', JSON.stringify({ keys: [{ name: 'a', sha256: 'hk-secret' }] }), /sha256/],
    ['a bad name', JSON.stringify({ keys: [{ name: 'has space', sha256: HASH }] }), /keys\.0\.name/],
    ['a reserved env-N name', JSON.stringify({ keys: [{ name: 'env-1', sha256: HASH }] }), /reserved/],
    ['duplicate names', JSON.stringify({ keys: [{ name: 'a', sha256: HASH }, { name: 'a', sha256: 'b'.repeat(64) }] }), /duplicate key name "a"/],
    ['a negative limit', JSON.stringify({ keys: [{ name: 'a', sha256: HASH, rate_limit: { requests_per_minute: -1 } }] }), /requests_per_minute/],
    ['an unknown limit', JSON.stringify({ keys: [{ name: 'a', sha256: HASH, rate_limit: { rpm: 5 } }] }), /rate_limit/],
    ['keys that are not a list', JSON.stringify({ keys: 'a' }), /keys/],
  ])('refuses %s with a message naming the file', (_name, text, message) => {
    expect(() => parseKeysFile(text, '/etc/hearth/keys.json')).toThrow(message);
    expect(() => parseKeysFile(text, '/etc/hearth/keys.json')).toThrow('/etc/hearth/keys.json');
  });
});

describe('keys file writes', () => {
  it('a missing file has no keys', async () => {
    expect(await readKeysFile(join(dir, 'nope.json'))).toEqual([]);
  });

  it('writes atomically with mode 0600, creating the directory, and reads back', async () => {
    const path = join(dir, 'sub', 'keys.json');
    await updateKeysFile(path, (keys) => [...keys, { name: 'a', sha256: HASH, created_at: 'now' }]);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readKeysFile(path)).toEqual([{ name: 'a', sha256: HASH, created_at: 'now' }]);
    expect(await readdir(join(dir, 'sub'))).toEqual(['keys.json']);
  });

  it('replaces the file by rename (a reader never sees half of it)', async () => {
    const path = join(dir, 'keys.json');
    await updateKeysFile(path, () => [{ name: 'a', sha256: HASH }]);
    const before = (await stat(path)).ino;
    await updateKeysFile(path, (keys) => [...keys, { name: 'b', sha256: HASH }]);
    expect((await stat(path)).ino).not.toBe(before);
  });

  it('writes YAML to a .yaml path', async () => {
    const path = join(dir, 'keys.yaml');
    await updateKeysFile(path, () => [{ name: 'a', sha256: HASH }]);
    expect(await readFile(path, 'utf8')).toMatch(/^keys:\n {2}- name: a\n/);
    expect(await readKeysFile(path)).toHaveLength(1);
  });

  it('concurrent updates do not lose each other (lock file)', async () => {
    const path = join(dir, 'keys.json');
    await Promise.all(Array.from({ length: 8 }, (_, i) => updateKeysFile(path, (keys) => [...keys, { name: `k${i}`, sha256: HASH }])));
    expect((await readKeysFile(path)).map((k) => k.name).sort()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7']);
    expect(await readdir(dir)).toEqual(['keys.json']);
  });

  it('a change that throws leaves the file untouched and releases the lock', async () => {
    const path = join(dir, 'keys.json');
    await updateKeysFile(path, () => [{ name: 'a', sha256: HASH }]);
    await expect(updateKeysFile(path, () => { throw new Error('no'); })).rejects.toThrow('no');
    expect(await readKeysFile(path)).toHaveLength(1);
    expect(await readdir(dir)).toEqual(['keys.json']);
  });

  it('refuses to write an invalid result', async () => {
    const path = join(dir, 'keys.json');
    await expect(updateKeysFile(path, () => [{ name: 'bad name', sha256: HASH }])).rejects.toThrow(/name/);
    await expect(stat(path)).rejects.toThrow();
  });

  it('takes over a stale lock', async () => {
    const path = join(dir, 'keys.json');
    await writeFile(`${path}.lock`, '');
    const old = new Date(Date.now() - 60_000);
    const { utimes } = await import('node:fs/promises');
    await utimes(`${path}.lock`, old, old);
    await updateKeysFile(path, () => [{ name: 'a', sha256: HASH }]);
    expect(await readKeysFile(path)).toHaveLength(1);
  });
});

describe('newApiKey', () => {
  it('is hk- plus 32 random bytes in base64url, with its sha256', () => {
    const a = newApiKey();
    const b = newApiKey();
    expect(a.key).toMatch(/^hk-[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.key.slice(3), 'base64url')).toHaveLength(32);
    expect(a.sha256).toBe(sha256Hex(a.key));
    expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(a.key).not.toBe(b.key);
  });
});
