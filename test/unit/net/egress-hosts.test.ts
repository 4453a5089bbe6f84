import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { configuredResolver, parseHostsMap, resolveAllowed } from '../../../src/net/egress/index.js';

describe('HEARTH_EGRESS_HOSTS and HEARTH_EGRESS_DNS', () => {
  it('parses name=address entries, several addresses joined by "|", names case-insensitive', () => {
    const map = parseHostsMap(['NAS.lan=192.168.1.10', 'dual.test=10.0.0.1|fd00::1']);
    expect(map.get('nas.lan')).toEqual([{ address: '192.168.1.10', family: 4 }]);
    expect(map.get('dual.test')).toEqual([
      { address: '10.0.0.1', family: 4 },
      { address: 'fd00::1', family: 6 },
    ]);
  });

  it.each([['nas.lan'], ['nas.lan=not-an-ip'], ['bad_name=10.0.0.1'], ['=10.0.0.1']])('refuses %s', (entry) => {
    expect(() => parseHostsMap([entry])).toThrow(/expected name=address|not an IP address|not a host name/);
    expect(() => loadConfig({ HEARTH_EGRESS_HOSTS: entry })).toThrow('HEARTH_EGRESS_HOSTS');
  });

  it('with DNS off a name outside the map fails without any lookup, and the policy refuses it as any other', async () => {
    const resolver = configuredResolver({ hosts: parseHostsMap(['site.test=8.8.8.8']), dns: false });
    await expect(resolver('example.org')).rejects.toThrow(/DNS is off/);
    await expect(resolveAllowed('example.org', { resolver })).rejects.toMatchObject({ code: 'url_not_allowed' });
    await expect(resolveAllowed('SITE.test', { resolver })).resolves.toEqual({ hostname: 'SITE.test', addresses: [{ address: '8.8.8.8', family: 4 }] });
  });

  it('a mapped name that points inside is vetted like a DNS answer (the rebinding case)', async () => {
    const resolver = configuredResolver({ hosts: parseHostsMap(['evil.test=93.184.216.34|169.254.169.254']), dns: false });
    await expect(resolveAllowed('evil.test', { resolver })).rejects.toMatchObject({ code: 'url_not_allowed' });
  });

  it('config wires the resolver: DNS on by default, off with HEARTH_EGRESS_DNS=false', async () => {
    const off = loadConfig({ HEARTH_EGRESS_DNS: 'false', HEARTH_EGRESS_HOSTS: 'a.test=1.2.3.4' });
    await expect(off.egress.resolver('a.test')).resolves.toEqual([{ address: '1.2.3.4', family: 4 }]);
    await expect(off.egress.resolver('b.test')).rejects.toThrow(/DNS is off/);
    expect(typeof loadConfig({}).egress.resolver).toBe('function');
  });
});
