/** The egress guard: every server-side fetch of a client-named URL goes through here. */
export { type Allowlist, EMPTY_ALLOWLIST, parseAllowlist } from './allowlist.js';
export { type SafeFetchOptions, type SafeFetchResult, safeFetch } from './fetch.js';
export { type HostsMap, configuredResolver, parseHostsMap } from './hosts.js';
export { type DispatcherFactory, type PinOptions, pinnedAgent, pinnedLookup } from './pin.js';
export { EGRESS_HEADER, EgressProxy, type EgressProxyOptions, type EgressVerdict } from './proxy.js';
export { type AddressClass, type Classification, type Embedding, classify, isAllowedAddress } from './policy.js';
export { type PinnedHost, type ResolveOptions, type ResolvedAddress, type Resolver, resolveAllowed, systemResolver } from './resolve.js';
export { type UrlRules, checkUrl, notAllowed } from './url.js';
