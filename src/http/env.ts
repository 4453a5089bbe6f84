import type { Logger } from '../lib/log.js';

/** Per-request variables the middlewares set and the routes read. */
export interface AppEnv {
  Variables: {
    requestId: string;
    log: Logger;
    /** The model a route resolved, for the access log. */
    model?: string;
    /** Name of the API key used, for the access log (never the key). */
    keyName?: string;
  };
}
