import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

describe('image and egress settings', () => {
  it('has documented defaults', () => {
    const config = loadConfig({});
    expect(config.images).toEqual({ maxBytes: 20 * 1024 * 1024, maxPixels: 50_000_000, maxRequestPixels: 100_000_000 });
    expect(config.egress).toMatchObject({ timeoutMs: 15_000, maxRedirects: 5, ports: [] });
    expect(config.egress.allowlist.entries).toEqual([]);
  });

  it('parses the allowlist, ports and limits', () => {
    const config = loadConfig({
      HEARTH_EGRESS_ALLOWLIST: '192.168.1.0/24, nas.local ,*.lan',
      HEARTH_EGRESS_PORTS: '80,443,8080',
      HEARTH_EGRESS_TIMEOUT: '2s',
      HEARTH_MAX_IMAGE_BYTES: '5MB',
      HEARTH_MAX_IMAGE_PIXELS: '1000000',
      HEARTH_MAX_REQUEST_PIXELS: '3000000',
    });
    expect(config.egress.allowlist.entries).toEqual(['192.168.1.0/24', 'nas.local', '*.lan']);
    expect(config.egress.allowlist.cidrs).toHaveLength(1);
    expect(config.egress.ports).toEqual([80, 443, 8080]);
    expect(config.egress.timeoutMs).toBe(2000);
    expect(config.images).toEqual({ maxBytes: 5_000_000, maxPixels: 1_000_000, maxRequestPixels: 3_000_000 });
  });

  it.each([
    ['HEARTH_EGRESS_ALLOWLIST', '10.0.0.0/40'],
    ['HEARTH_EGRESS_ALLOWLIST', 'http://nas.local/'],
    ['HEARTH_EGRESS_PORTS', '70000'],
    ['HEARTH_EGRESS_MAX_REDIRECTS', '-1'],
    ['HEARTH_MAX_IMAGE_PIXELS', '0'],
    ['HEARTH_MAX_IMAGE_BYTES', 'lots'],
  ])('names %s when it is bad (%s)', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});
