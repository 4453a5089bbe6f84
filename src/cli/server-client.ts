/** The CLI's view of a running Hearth: found by asking /api/version on the configured address. */
export class ServerClient {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string | undefined,
  ) {}

  static async detect(host: string, port: number, apiKey: string | undefined): Promise<ServerClient | undefined> {
    const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    const client = new ServerClient(`http://${h}:${port}`, apiKey);
    try {
      const res = await fetch(`${client.baseUrl}/api/version`, { headers: client.headers(), signal: AbortSignal.timeout(800) });
      // A server that refuses our key is still the server: say so rather than silently using the cache.
      if (res.status === 401 || res.status === 403) throw new Error(`the Hearth server at ${client.baseUrl} refused the request (${res.status}): set HEARTH_API_KEY to one of its keys`);
      return res.ok ? client : undefined;
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('the Hearth server')) throw error;
      return undefined;
    }
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}), ...extra };
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: this.headers(body === undefined ? {} : { 'content-type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const parsed = text ? (JSON.parse(text) as Record<string, any>) : {};
    if (!res.ok) throw new Error(typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? `HTTP ${res.status}`));
    return parsed as T;
  }

  /** Streams NDJSON events; throws on an {"error"} line. */
  async *ndjson(path: string, body: unknown, signal: AbortSignal): AsyncGenerator<Record<string, any>> {
    const res = await fetch(`${this.baseUrl}${path}`, { method: 'POST', headers: this.headers({ 'content-type': 'application/json' }), body: JSON.stringify(body), signal });
    if (!res.ok || !res.body) {
      const parsed = (await res.json().catch(() => ({}))) as Record<string, any>;
      throw new Error(parsed.error?.message ?? parsed.error ?? `HTTP ${res.status}`);
    }
    let buffered = '';
    for await (const chunk of res.body.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (!line) continue;
        const event = JSON.parse(line) as Record<string, any>;
        if (event.error) throw new Error(event.error);
        yield event;
      }
    }
  }
}
