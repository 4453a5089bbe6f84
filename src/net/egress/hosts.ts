import { classify } from './policy.js';
import { type ResolvedAddress, type Resolver, systemResolver } from './resolve.js';

/** name → addresses, from HEARTH_EGRESS_HOSTS entries "name=address" (several addresses joined by "|"). */
export type HostsMap = ReadonlyMap<string, ResolvedAddress[]>;

export function parseHostsMap(entries: readonly string[]): HostsMap {
  const map = new Map<string, ResolvedAddress[]>();
  for (const entry of entries) {
    const [name = '', addresses = ''] = entry.split('=', 2).map((s) => s.trim());
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(name)) throw new Error(`"${entry}": expected name=address, and "${name}" is not a host name`);
    const resolved = addresses.split('|').map((a) => {
      const c = classify(a.trim());
      if (c.class === 'invalid') throw new Error(`"${entry}": "${a}" is not an IP address`);
      return { address: c.address, family: c.family === 6 ? (6 as const) : (4 as const) };
    });
    map.set(name.toLowerCase(), resolved);
  }
  return map;
}

/**
 * How egress resolves names: the static map first (as /etc/hosts or curl --resolve would), then the
 * system resolver unless DNS is off. With DNS off a name outside the map fails to resolve, which the
 * policy answers like any refusal; air-gapped installs and the test suite run that way, so no lookup
 * ever leaves the machine.
 */
export function configuredResolver(options: { hosts: HostsMap; dns: boolean }): Resolver {
  return async (hostname) => {
    const pinned = options.hosts.get(hostname.toLowerCase());
    if (pinned) return pinned;
    if (!options.dns) throw new Error(`${hostname} is not in HEARTH_EGRESS_HOSTS and DNS is off`);
    return systemResolver(hostname);
  };
}
