/**
 * Ollama-style keep_alive / duration values: a number is seconds, a string is a
 * Go duration ("10m", "1h30m", "500ms", "-1m") or a bare number of seconds.
 * Returns milliseconds; negative means "forever". Throws on garbage.
 */
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const GO_DURATION = /^([+-])?((?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+)$/;
const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;

export function parseDurationMs(value: number | string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('duration must be a finite number');
    return Math.round(value * 1000);
  }
  const text = value.trim();
  if (/^[+-]?\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const match = GO_DURATION.exec(text);
  if (!match) throw new Error(`invalid duration "${value.slice(0, 40)}"`);
  let ms = 0;
  for (const [, amount, unit] of match[2]!.matchAll(PART)) ms += Number(amount) * UNIT_MS[unit!]!;
  return Math.round(match[1] === '-' ? -ms : ms);
}
