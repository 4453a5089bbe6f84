import { describe, expect, it } from 'vitest';
import { CrashCircuit } from '../../../src/runtime/workers/crash-circuit.js';

const settings = { crashLimit: 3, crashWindowMs: 60_000, circuitOpenMs: 5_000, maxCircuitOpenMs: 12_000, backoff: { initialMs: 100, maxMs: 1_000 } };

describe('CrashCircuit', () => {
  it('backs off respawns and opens at the crash limit; crashes outside the window do not count', () => {
    const c = new CrashCircuit(settings);
    expect(c.recordCrash(0, false, false)).toEqual({ respawnDelayMs: 100 });
    expect(c.recordCrash(70_000, false, false)).toEqual({ respawnDelayMs: 100 });
    expect(c.recordCrash(71_000, false, false)).toEqual({ respawnDelayMs: 200 });
    expect(c.recordCrash(72_000, false, false)).toEqual({ respawnDelayMs: 400, openedForS: 5 });
    expect(c.crashes).toBe(4);
    expect(c.view(73_000)).toEqual({ circuit: 'open', retryAfterS: 4 });
    expect(c.admit(73_000)).toEqual({ retryAfterS: 4 });
  });

  it('lets one probe through after the wait; a failed probe reopens for twice as long (capped), a completed one closes it', () => {
    const c = new CrashCircuit({ ...settings, crashLimit: 1 });
    c.recordCrash(0, false, false);
    expect(c.view(5_000)).toEqual({ circuit: 'half_open' });
    expect(c.admit(5_000)).toBe('probe');
    expect(c.admit(5_001)).toEqual({ retryAfterS: 1 });
    expect(c.recordCrash(6_000, false, true).openedForS).toBe(10);
    expect(c.admit(16_000)).toBe('probe');
    expect(c.recordCrash(17_000, true, false).openedForS).toBe(12);
    expect(c.admit(29_000)).toBe('probe');
    expect(c.close()).toBe(true);
    expect(c.close()).toBe(false);
    expect(c.admit(29_001)).toBe('pass');
    expect(c.recent(29_001)).toBe(0);
  });

  it('a probe released before it proved anything lets the next job probe', () => {
    const c = new CrashCircuit({ ...settings, crashLimit: 1 });
    c.recordCrash(0, false, false);
    expect(c.admit(6_000)).toBe('probe');
    expect(c.probeRunning).toBe(true);
    c.releaseProbe();
    expect(c.admit(6_001)).toBe('probe');
  });
});
