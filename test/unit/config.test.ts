import { totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, packageRoot } from '../../src/config.js';

const DATA = resolve('/tmp/hearth-config-test/data');

function errorOf(env: Record<string, string | undefined>): Error {
  try {
    loadConfig(env);
  } catch (error) {
    return error as Error;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig defaults', () => {
  it('uses documented defaults with an empty environment', () => {
    const config = loadConfig({});
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(8000);
    expect(config.keepAliveMs).toBe(300_000);
    expect(config.apiKeys).toEqual([]);
    expect(config.logLevel).toBe('info');
    expect(config.dataDir).toBe(join(packageRoot, 'data'));
    expect(config.hfHome).toBe(join(packageRoot, 'data', 'models'));
    expect(config.hubCacheDir).toBe(join(packageRoot, 'data', 'models', 'hub'));
    expect(config.maxModelMemoryBytes).toBe(Math.floor(totalmem() / 2));
    expect(config.batching).toMatchObject({ maxBatchSize: 32, maxBatchTokens: 16384, windowMs: 0, maxQueue: 8192 });
    expect(config.limits).toMatchObject({ maxInputs: 2048, maxRequestTokens: 300_000 });
  });

  it('puts HF_HOME under HEARTH_DATA_DIR when HF_HOME is unset', () => {
    const config = loadConfig({ HEARTH_DATA_DIR: DATA });
    expect(config.dataDir).toBe(DATA);
    expect(config.hfHome).toBe(join(DATA, 'models'));
    expect(config.hubCacheDir).toBe(join(DATA, 'models', 'hub'));
  });

  it('honours HF_HOME, with the hub cache under it', () => {
    const config = loadConfig({ HEARTH_DATA_DIR: DATA, HF_HOME: '/srv/hf' });
    expect(config.dataDir).toBe(DATA);
    expect(config.hfHome).toBe(resolve('/srv/hf'));
    expect(config.hubCacheDir).toBe(join(resolve('/srv/hf'), 'hub'));
  });

  it('resolves a relative HEARTH_DATA_DIR to an absolute path', () => {
    expect(loadConfig({ HEARTH_DATA_DIR: 'rel/data' }).dataDir).toBe(resolve('rel/data'));
  });

  it('treats empty variables as unset', () => {
    const config = loadConfig({ HEARTH_PORT: '', PORT: '', HEARTH_KEEP_ALIVE: '', HF_HOME: '' , HEARTH_DATA_DIR: DATA });
    expect(config.port).toBe(8000);
    expect(config.keepAliveMs).toBe(300_000);
    expect(config.hfHome).toBe(join(DATA, 'models'));
  });

  it('ignores variables it does not know', () => {
    expect(() => loadConfig({ PATH: '/usr/bin', HEARTH_SOMETHING_NEW: 'x' })).not.toThrow();
  });
});

describe('loadConfig overrides', () => {
  it('reads PORT, and HEARTH_PORT wins over PORT', () => {
    expect(loadConfig({ PORT: '9000' }).port).toBe(9000);
    expect(loadConfig({ HEARTH_PORT: '9100' }).port).toBe(9100);
    expect(loadConfig({ PORT: '9000', HEARTH_PORT: '9100' }).port).toBe(9100);
    expect(loadConfig({ HEARTH_PORT: '0' }).port).toBe(0);
  });

  it('splits HEARTH_API_KEYS on commas, trimming and dropping empties', () => {
    expect(loadConfig({ HEARTH_API_KEYS: 'sk-one' }).apiKeys).toEqual(['sk-one']);
    expect(loadConfig({ HEARTH_API_KEYS: 'sk-one, sk-two,,sk-three ,' }).apiKeys).toEqual(['sk-one', 'sk-two', 'sk-three']);
  });

  it('parses byte sizes and durations', () => {
    const config = loadConfig({ HEARTH_MAX_MODEL_MEMORY: '2GiB', HEARTH_MAX_BODY_BYTES: '1MB', HEARTH_KEEP_ALIVE: '10m', HEARTH_LOAD_TIMEOUT: '30s' });
    expect(config.maxModelMemoryBytes).toBe(2 * 1024 ** 3);
    expect(config.maxBodyBytes).toBe(1_000_000);
    expect(config.keepAliveMs).toBe(600_000);
    expect(config.loadTimeoutMs).toBe(30_000);
    expect(loadConfig({ HEARTH_KEEP_ALIVE: '-1' }).keepAliveMs).toBeLessThan(0);
    expect(loadConfig({ HEARTH_KEEP_ALIVE: '3600' }).keepAliveMs).toBe(3_600_000);
  });

  it('reads host, threads and batching settings', () => {
    const config = loadConfig({ HEARTH_HOST: '0.0.0.0', HEARTH_THREADS: '3', HEARTH_MAX_BATCH_SIZE: '8', HEARTH_BATCH_WINDOW_MS: '5', HEARTH_DEVICE: 'cpu' });
    expect(config.host).toBe('0.0.0.0');
    expect(config.runtime).toMatchObject({ device: 'cpu', intraOpThreads: 3, interOpThreads: 1 });
    expect(config.batching.maxBatchSize).toBe(8);
    expect(config.batching.windowMs).toBe(5);
  });
});

describe('loadConfig errors', () => {
  it.each([
    ['HEARTH_PORT', 'abc'],
    ['HEARTH_PORT', '70000'],
    ['PORT', '-1'],
    ['HEARTH_KEEP_ALIVE', 'garbage'],
    ['HEARTH_MAX_MODEL_MEMORY', 'lots'],
    ['HEARTH_MAX_BODY_BYTES', '-5'],
    ['HEARTH_LOG_LEVEL', 'verbose'],
    ['HEARTH_DEVICE', 'tpu'],
    ['HEARTH_THREADS', '0'],
    ['HEARTH_MAX_BATCH_SIZE', '2.5'],
    ['HEARTH_BATCH_WINDOW_MS', '5000'],
  ])('%s=%s throws an error naming the variable', (name, value) => {
    const error = errorOf({ [name]: value });
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toContain(name);
  });

  it('lists every bad variable in one message', () => {
    const error = errorOf({ HEARTH_PORT: 'abc', HEARTH_KEEP_ALIVE: 'garbage' });
    expect(error.message).toContain('HEARTH_PORT');
    expect(error.message).toContain('HEARTH_KEEP_ALIVE');
  });
});
