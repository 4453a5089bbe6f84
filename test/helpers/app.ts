import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/lib/log.js';
import { Manifest } from '../../src/models/manifest.js';
import { createTasks } from '../../src/tasks/index.js';

export const TEST_KEY = 'test-key';

/** The real app in-process (no listening socket, no weights), with one API key and an empty data dir. */
export async function inProcessApp(): Promise<{ app: ReturnType<typeof createApp>; close(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hearth-app-'));
  const config = loadConfig({
    HEARTH_DATA_DIR: dataDir,
    HEARTH_API_KEYS: TEST_KEY,
    HF_ENDPOINT: 'http://127.0.0.1:9',
    HEARTH_AUTO_PULL: 'false',
  });
  const log = silentLogger();
  const tasks = createTasks(config, await Manifest.load(config.modelsFile), log);
  const app = createApp({ config, tasks, log, version: '0.0.0-test' });
  return {
    app,
    close: async () => {
      await tasks.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** GET /openapi.json from the in-process app. */
export async function openApiDocument(): Promise<any> {
  const { app, close } = await inProcessApp();
  try {
    const res = await app.request('/openapi.json', { headers: { authorization: `Bearer ${TEST_KEY}` } });
    if (res.status !== 200) throw new Error(`/openapi.json answered ${res.status}`);
    return await res.json();
  } finally {
    await close();
  }
}
