import type { Context } from 'hono';
import { stream } from 'hono/streaming';
import type { AppEnv } from './env.js';

/**
 * Streams progress as newline-delimited JSON (Ollama's pull protocol). A failure
 * after the stream started can no longer change the status code, so it becomes
 * a final {"error": …} line, as Ollama does.
 */
export function ndjson<T>(c: Context<AppEnv>, produce: (emit: (event: T) => Promise<void>, signal: AbortSignal) => Promise<T>, describe: (error: unknown) => string): Response {
  c.header('content-type', 'application/x-ndjson');
  return stream(c, async (out) => {
    const aborted = new AbortController();
    out.onAbort(() => aborted.abort());
    const emit = async (event: T) => {
      if (!aborted.signal.aborted) await out.write(`${JSON.stringify(event)}\n`);
    };
    try {
      await emit(await produce(emit, aborted.signal));
    } catch (error) {
      if (!aborted.signal.aborted) await out.write(`${JSON.stringify({ error: describe(error) })}\n`);
    }
  });
}
