import { loadConfig } from './config.js';
import { startServer } from './server.js';

/** `node dist/src/main.js`: serve with settings from the environment. */
export async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const { stop } = await startServer(config);
  // First SIGTERM/SIGINT: graceful stop (drain, dispose, exit 0). A second one cuts the drain short
  // (Ctrl-C twice); the shutdown hooks still run, so no child process is left behind.
  let signals = 0;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      signals += 1;
      if (signals === 1) {
        // Whatever happens, the process is gone a little after the drain budget: a hung hook cannot keep it alive.
        setTimeout(() => process.exit(1), config.drainTimeoutMs + 15_000).unref();
        void stop().then(() => process.exit(0), () => process.exit(1));
      } else {
        void stop({ force: true });
      }
    });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
