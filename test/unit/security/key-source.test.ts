import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/lib/log.js';
import { KeySource } from '../../../src/security/key-source.js';
import { sha256Hex, updateKeysFile } from '../../../src/security/keys-file.js';

let dir: string;
let file: string;
let now: number;
const source = () => new KeySource({ file, envKeys: ['sk-env'], now: () => now, checkIntervalMs: 1000, log: silentLogger() });
const add = (name: string, key: string) => updateKeysFile(file, (keys) => [...keys, { name, sha256: sha256Hex(key) }]);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hearth-keysrc-'));
  file = join(dir, 'keys.json');
  now = 1_000_000;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('KeySource', () => {
  it('loads env keys alone when the file is absent', async () => {
    const ring = await source().load();
    expect(ring.names).toEqual(['env-1']);
  });

  it('refuses to start from a file that does not parse', async () => {
    await writeFile(file, '{"keys": [{"name": "x"}]}');
    await expect(source().load()).rejects.toThrow(file);
  });

  it('picks up a new key after the check interval, not before', async () => {
    const keys = source();
    await keys.load();
    await add('late', 'hk-late');
    now += 500;
    expect((await keys.current()).match('hk-late')).toBeUndefined();
    now += 500;
    expect((await keys.current()).match('hk-late')?.name).toBe('late');
  });

  it('stats the file at most once per interval', async () => {
    const keys = source();
    await keys.load();
    await add('a', 'hk-a');
    now += 1000;
    expect((await keys.current()).size).toBe(2);
    await add('b', 'hk-b');
    now += 999;
    expect((await keys.current()).size).toBe(2);
    now += 1;
    expect((await keys.current()).size).toBe(3);
  });

  it('concurrent requests share one check', async () => {
    const keys = source();
    await keys.load();
    await add('a', 'hk-a');
    now += 1000;
    const rings = await Promise.all(Array.from({ length: 20 }, () => keys.current()));
    expect(new Set(rings).size).toBe(1);
    expect(rings[0]!.size).toBe(2);
  });

  it('revokes a removed key and all file keys when the file is deleted', async () => {
    await add('a', 'hk-a');
    await add('b', 'hk-b');
    const keys = source();
    expect((await keys.load()).size).toBe(3);
    await updateKeysFile(file, (k) => k.filter((x) => x.name !== 'a'));
    now += 1000;
    expect((await keys.current()).match('hk-a')).toBeUndefined();
    expect((await keys.current()).match('hk-b')?.name).toBe('b');
    await rm(file);
    now += 1000;
    expect((await keys.current()).names).toEqual(['env-1']);
  });

  it('keeps the previous keys when the file becomes invalid, and recovers when it is fixed', async () => {
    await add('a', 'hk-a');
    const keys = source();
    await keys.load();
    await writeFile(file, '{"keys": [ broken');
    now += 1000;
    expect((await keys.current()).match('hk-a')?.name).toBe('a');
    await writeFile(file, JSON.stringify({ keys: [{ name: 'fixed', sha256: sha256Hex('hk-fixed') }] }));
    now += 1000;
    const ring = await keys.current();
    expect(ring.match('hk-fixed')?.name).toBe('fixed');
    expect(ring.match('hk-a')).toBeUndefined();
  });

  it('current() without load() reads the file on first use', async () => {
    await add('a', 'hk-a');
    expect((await source().current()).match('hk-a')?.name).toBe('a');
  });
});
