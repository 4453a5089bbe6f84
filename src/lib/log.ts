import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON lines on stdout; one logger per process, children carry context. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'hearth' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: ['authorization', 'headers.authorization', 'req.headers.authorization', 'request.headers.authorization', '*.headers.authorization', 'api_key'], censor: '[redacted]' },
  });
}

/** For tests and tools that want silence. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
