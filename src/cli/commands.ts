import type { Config } from '../config.js';
import { silentLogger } from '../lib/log.js';
import { Manifest } from '../models/manifest.js';
import { createTasks, type Tasks } from '../tasks/index.js';
import { human, progressRenderer } from './progress.js';
import type { ServerClient } from './server-client.js';

/** Each command works through the running server when there is one, else on the cache directly. */
export interface CommandContext {
  config: Config;
  server: ServerClient | undefined;
}

let offlineTasks: Tasks | undefined;
async function offline(config: Config): Promise<Tasks> {
  offlineTasks ??= createTasks(config, await Manifest.load(config.modelsFile), silentLogger());
  return offlineTasks;
}

export async function pull({ config, server }: CommandContext, name: string): Promise<number> {
  const render = progressRenderer(process.stdout.isTTY === true);
  const abort = new AbortController();
  // Ctrl-C stops the download; the puller writes a snapshot only when every file is verified, so none is left half-done.
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    if (server) {
      for await (const event of server.ndjson('/api/pull', { model: name }, abort.signal)) render.update(event as never);
    } else {
      const tasks = await offline(config);
      await tasks.models.pull(name, { signal: abort.signal, onProgress: (p) => render.update(p) });
      render.update({ status: 'success' });
    }
    return 0;
  } catch (error) {
    if (abort.signal.aborted) {
      console.error('\npull interrupted; run the same command again to resume');
      return 130;
    }
    throw error;
  } finally {
    render.stop();
    process.removeListener('SIGINT', onSigint);
  }
}

export async function list({ config, server }: CommandContext): Promise<number> {
  type Row = { id: string; task: string | null; downloaded: boolean; loaded: boolean; size_bytes: number; aliases: string[] };
  const rows: Row[] = server
    ? (await server.json<{ models: Row[] }>('GET', '/api/models')).models
    : (await (await offline(config)).models.list()).map((m) => ({ id: m.id, task: m.task, downloaded: m.downloaded, loaded: m.loaded, size_bytes: m.sizeBytes, aliases: m.aliases }));
  console.log(`${'MODEL'.padEnd(44)} ${'TASK'.padEnd(16)} ${'STATE'.padEnd(14)} ${'SIZE'.padStart(9)}  ALIASES`);
  for (const r of rows) {
    const state = r.loaded ? 'loaded' : r.downloaded ? 'downloaded' : 'not on disk';
    console.log(`${r.id.padEnd(44)} ${(r.task ?? '').padEnd(16)} ${state.padEnd(14)} ${human(r.size_bytes).padStart(9)}  ${r.aliases.join(', ')}`);
  }
  return 0;
}

export async function ps({ server }: CommandContext): Promise<number> {
  if (!server) {
    console.log('no Hearth server is running, so no model is loaded');
    return 0;
  }
  const { models } = await server.json<{ models: Array<{ name: string; size: number; expires_at: string; status?: string }> }>('GET', '/api/ps');
  console.log(`${'MODEL'.padEnd(52)} ${'SIZE'.padStart(9)}  UNTIL`);
  for (const m of models) console.log(`${m.name.padEnd(52)} ${human(m.size).padStart(9)}  ${m.status ?? (m.expires_at.startsWith('9999') ? 'forever' : m.expires_at)}`);
  return 0;
}

/** Unloads a model from the running server, the way `ollama stop` does: an empty request with keep_alive 0. */
export async function stop({ server }: CommandContext, name: string): Promise<number> {
  if (!server) {
    console.log('no Hearth server is running, so no model is loaded');
    return 0;
  }
  await server.json('POST', '/api/embed', { model: name, input: [], keep_alive: 0 });
  console.log(`unloaded ${name}`);
  return 0;
}

export async function remove({ config, server }: CommandContext, name: string, force: boolean): Promise<number> {
  if (server) await server.json('DELETE', `/api/models/${name}${force ? '?force=true' : ''}`);
  else await (await offline(config)).models.delete(name, force);
  console.log(`deleted ${name}`);
  return 0;
}

export async function show({ config, server }: CommandContext, name: string): Promise<number> {
  if (server) {
    console.log(JSON.stringify(await server.json('POST', '/api/show', { model: name }), null, 2));
    return 0;
  }
  const { summary, details, files } = await (await offline(config)).models.show(name);
  console.log(JSON.stringify({ ...summary, details, files }, null, 2));
  return 0;
}
