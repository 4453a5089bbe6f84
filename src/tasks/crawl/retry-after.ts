/** Retry-After (delta-seconds or an HTTP-date) → ms from now; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The wait before retry `attempt` (0-based): the server's Retry-After if it gave one, else 1 s, 2 s, 4 s…; capped. */
export function backoffMs(attempt: number, retryAfter: string | undefined, capMs: number): number {
  return Math.min(retryAfterMs(retryAfter) ?? 1000 * 2 ** attempt, capMs);
}
