import cliProgress from 'cli-progress';

export interface Progress {
  status: string;
  digest?: string;
  total?: number;
  completed?: number;
}

/**
 * Renders a pull: on a TTY one bar per file with bytes, rate and ETA (cli-progress);
 * otherwise plain lines, one per status change and at most one per file every 5 s.
 */
export function progressRenderer(tty: boolean): { update(p: Progress): void; stop(): void } {
  if (tty) {
    const bars = new cliProgress.MultiBar(
      {
        format: '{status} [{bar}] {percentage}% | {done}/{size} | {rate}/s | ETA {eta_formatted}',
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 50,
        formatValue: (v, options, type) => (type === 'value' || type === 'total' ? String(v) : cliProgress.Format.ValueFormat(v, options, type)),
      },
      cliProgress.Presets.shades_classic,
    );
    const byDigest = new Map<string, { bar: cliProgress.SingleBar; started: number }>();
    return {
      update(p) {
        if (!p.digest || p.total === undefined) {
          bars.log(`${p.status}\n`);
          return;
        }
        let entry = byDigest.get(p.digest);
        if (!entry) {
          entry = { bar: bars.create(p.total, 0, {}), started: Date.now() };
          byDigest.set(p.digest, entry);
        }
        const done = p.completed ?? 0;
        const seconds = Math.max((Date.now() - entry.started) / 1000, 0.001);
        entry.bar.update(done, { status: p.status.padEnd(20), done: human(done), size: human(p.total), rate: human(done / seconds) });
      },
      stop: () => bars.stop(),
    };
  }
  let last = '';
  const lastAt = new Map<string, number>();
  return {
    update(p) {
      const key = p.digest ?? p.status;
      const now = Date.now();
      const finished = p.total !== undefined && p.completed === p.total;
      if (p.status === last && !finished && now - (lastAt.get(key) ?? 0) < 5000) return;
      last = p.status;
      lastAt.set(key, now);
      console.log(p.total ? `${p.status} ${human(p.completed ?? 0)}/${human(p.total)}` : p.status);
    },
    stop: () => undefined,
  };
}

export function human(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${Math.round(bytes)} B`;
}
