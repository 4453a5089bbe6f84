#!/usr/bin/env node
import { parseArgs } from 'node:util';
import * as commands from './cli/commands.js';
import { keys } from './cli/keys.js';
import { human } from './cli/progress.js';
import { ServerClient } from './cli/server-client.js';
import { loadConfigFromEnv } from './config.js';
import { main as serve } from './main.js';
import { assertRepoId } from './models/model-id.js';
import { ModelStore } from './models/store.js';

const USAGE = `hearth — self-hosted embeddings

  hearth serve                          start the server (settings from HEARTH_* env vars)
  hearth pull <model>                   download a model (manifest name, alias or hub id) with progress
  hearth ls                             models in the manifest and the cache, with their state
  hearth ps                             models loaded in the running server
  hearth show <model>                   details of a downloaded model
  hearth stop <model>                   unload a model from the running server
  hearth rm <model> [--force]           delete a model from the cache (--force unloads it first)
  hearth import <dir> --as <org/name>   copy a local model folder into the HF hub cache
        [--revision <40-hex commit>]
  hearth has <org/name>                 exit 0 when the model has a snapshot in the cache
  hearth keys add <name> [--rpm N] [--tpm N]
                                        create an API key (printed once; only its sha256 is kept in HEARTH_KEYS_FILE)
  hearth keys ls                        list keys: names, creation times, rate limits
  hearth keys rm <name>                 revoke a key (a running server notices within a second)

Commands talk to the running server (HEARTH_HOST/HEARTH_PORT, key from HEARTH_API_KEY)
when one answers, else work on the cache ($HF_HOME/hub) directly.
`;

async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const config = loadConfigFromEnv();
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { as: { type: 'string' }, revision: { type: 'string' }, force: { type: 'boolean', default: false }, rpm: { type: 'string' }, tpm: { type: 'string' } },
  });
  const needName = () => {
    if (!positionals[0]) throw new Error(`usage: hearth ${command} <model>`);
    return positionals[0];
  };
  const context = async () => ({ config, server: await ServerClient.detect(config.host, config.port, config.cliApiKey) });
  const store = new ModelStore(config.hubCacheDir);
  switch (command) {
    case 'serve':
      await serve();
      return -1;
    case 'pull':
      return commands.pull(await context(), needName());
    case 'ls':
    case 'list':
      return commands.list(await context());
    case 'ps':
      return commands.ps(await context());
    case 'rm':
    case 'delete':
      return commands.remove(await context(), needName(), values.force === true);
    case 'show':
      return commands.show(await context(), needName());
    case 'stop':
      return commands.stop(await context(), needName());
    case 'import': {
      const dir = positionals[0];
      if (!dir || !values.as) throw new Error('usage: hearth import <dir> --as <org/name>');
      const model = await store.importDir(dir, assertRepoId(values.as), values.revision);
      console.log(`imported ${model.id} @ ${model.revision} (${model.files.length} files, ${human(model.sizeBytes)}) into ${config.hubCacheDir}`);
      return 0;
    }
    case 'keys':
      return keys(config, positionals, values);
    case 'has': {
      const model = await store.describe(assertRepoId(needName()));
      if (model) console.log(`${model.id} @ ${model.revision}`);
      return model ? 0 : 1;
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

run(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error) => {
    console.error(`hearth: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
