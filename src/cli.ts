#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { loadConfig } from './config.js';
import { main as serve } from './main.js';
import { assertRepoId } from './models/model-id.js';
import { ModelStore } from './models/store.js';

const USAGE = `hearth — self-hosted embeddings

  hearth serve                         start the server (settings from HEARTH_* env vars)
  hearth import <dir> --as <org/name>  copy a local model folder into the HF hub cache
        [--revision <40-hex commit>]
  hearth ls                            list models in the cache
  hearth has <org/name>                exit 0 when the model has a snapshot in the cache
`;

async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const config = loadConfig(process.env);
  const store = new ModelStore(config.hubCacheDir);
  switch (command) {
    case 'serve':
      await serve();
      return -1;
    case 'import': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { as: { type: 'string' }, revision: { type: 'string' } } });
      const dir = positionals[0];
      if (!dir || !values.as) throw new Error('usage: hearth import <dir> --as <org/name>');
      const model = await store.importDir(dir, assertRepoId(values.as), values.revision);
      console.log(`imported ${model.id} @ ${model.revision} (${model.files.length} files, ${formatBytes(model.sizeBytes)}) into ${config.hubCacheDir}`);
      return 0;
    }
    case 'has': {
      const id = rest[0];
      if (!id) throw new Error('usage: hearth has <org/name>');
      const model = await store.describe(assertRepoId(id));
      if (model) console.log(`${model.id} @ ${model.revision}`);
      return model ? 0 : 1;
    }
    case 'ls': {
      const models = await store.list();
      if (models.length === 0) console.log(`no models in ${config.hubCacheDir}`);
      for (const m of models) console.log(`${m.id.padEnd(48)} ${m.revision.slice(0, 12)}  ${formatBytes(m.sizeBytes).padStart(9)}  ${m.modifiedAt.toISOString()}`);
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      console.error(`unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

const formatBytes = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(1)} kB`);

run(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error) => {
    console.error(`hearth: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
