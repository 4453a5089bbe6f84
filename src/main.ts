import { loadConfig } from './config.js';
import { startServer } from './server.js';

/** `node dist/src/main.js`: serve with settings from the environment. */
export async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const { stop } = await startServer(config);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void stop().then(() => process.exit(0), () => process.exit(1));
    });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
