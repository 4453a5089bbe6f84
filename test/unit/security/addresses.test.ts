import { describe, expect, it } from 'vitest';
import { CidrSet, isLoopbackAddress, isLoopbackHost, normalizeAddress, parseCidr } from '../../../src/security/addresses.js';
import { resolveClientAddress } from '../../../src/security/client-address.js';

describe('CidrSet.contains', () => {
  const cases: Array<[ranges: string, address: string | undefined, expected: boolean]> = [
    ['10.0.0.0/8', '10.1.2.3', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['192.168.1.0/24', '192.168.1.255', true],
    ['192.168.1.0/24', '192.168.2.1', false],
    ['127.0.0.1', '127.0.0.1', true],
    ['127.0.0.1/32', '127.0.0.2', false],
    ['0.0.0.0/0', '203.0.113.9', true],
    ['10.0.0.0/8', '::ffff:10.9.8.7', true],
    ['127.0.0.1/32', '::ffff:127.0.0.1', true],
    ['127.0.0.1/32', '[::ffff:127.0.0.1]', true],
    ['::ffff:10.0.0.0/104', '10.200.0.1', true],
    ['::ffff:10.0.0.0/104', '11.0.0.1', false],
    ['::ffff:0:0/96', '8.8.8.8', true],
    ['::/0', '8.8.8.8', true],
    ['::1', '::1', true],
    ['::1/128', '0:0:0:0:0:0:0:1', true],
    ['::1', '127.0.0.1', false],
    ['2001:db8::/32', '2001:db8:1234::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['fd00::/8', 'fdab:cdef::42', true],
    ['fe80::/10', 'fe80::1%eth0', true],
    ['10.0.0.0/8, 2001:db8::/32', '2001:db8::7', true],
    ['10.0.0.0/8, 2001:db8::/32', '10.0.0.7', true],
    ['10.0.0.0/8, 2001:db8::/32', '172.16.0.1', false],
    ['10.0.0.0/8', '0x0a.1', false],
    ['127.0.0.0/8', '127.1', false],
    ['10.0.0.0/8', '010.1.2.3', false],
    ['10.0.0.0/8', 'not-an-ip', false],
    ['10.0.0.0/8', '', false],
    ['10.0.0.0/8', undefined, false],
    ['', '10.0.0.1', false],
  ];
  it.each(cases)('[%s] contains %s → %s', (ranges, address, expected) => {
    const set = new CidrSet(ranges.split(',').map((s) => s.trim()).filter(Boolean));
    expect(set.contains(address)).toBe(expected);
  });
});

describe('parseCidr', () => {
  it.each(['10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/8/8', 'example.com', '10.0.0', '::ffff:10.0.0.0/64', '1.2.3.4/abc'])('refuses %s', (text) => {
    expect(() => parseCidr(text)).toThrow(/CIDR|prefix/);
  });
  it('takes a bare address as a single host', () => {
    expect(parseCidr('10.0.0.1')[1]).toBe(32);
    expect(parseCidr('::1')[1]).toBe(128);
  });
});

describe('address helpers', () => {
  it.each([
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['127.1', undefined],
  ])('normalizeAddress(%s) = %s', (input, output) => expect(normalizeAddress(input)).toBe(output));

  it.each([
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.1', false],
    ['0.0.0.0', false],
  ])('isLoopbackAddress(%s) = %s', (input, output) => expect(isLoopbackAddress(input)).toBe(output));

  it.each([
    ['127.0.0.1', true],
    ['127.0.0.2', true],
    ['localhost', true],
    ['LOCALHOST', true],
    ['::1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.10', false],
    ['my-host.lan', false],
  ])('isLoopbackHost(%s) = %s', (input, output) => expect(isLoopbackHost(input)).toBe(output));
});

describe('resolveClientAddress (X-Forwarded-For only from trusted proxies)', () => {
  const trusted = new CidrSet(['10.0.0.1/32', '10.0.0.2/32', 'fd00::1/128']);
  const none = new CidrSet([]);
  const cases: Array<{ name: string; peer: string | undefined; xff?: string; trusted?: CidrSet; address: string | undefined; loopback?: boolean; viaProxy?: boolean }> = [
    { name: 'direct client, no header', peer: '203.0.113.5', address: '203.0.113.5', viaProxy: false },
    { name: 'untrusted peer: X-Forwarded-For ignored', peer: '203.0.113.5', xff: '10.9.9.9', address: '203.0.113.5', viaProxy: false },
    { name: 'no trusted proxies configured: header ignored', peer: '10.0.0.1', xff: '1.2.3.4', trusted: none, address: '10.0.0.1' },
    { name: 'trusted proxy: its appended hop is the client', peer: '10.0.0.1', xff: '198.51.100.7', address: '198.51.100.7', viaProxy: true },
    { name: 'right-most untrusted hop wins over a forged left one', peer: '10.0.0.1', xff: '6.6.6.6, 198.51.100.7', address: '198.51.100.7' },
    { name: 'trusted hops are skipped from the right', peer: '10.0.0.1', xff: '198.51.100.7, 10.0.0.2', address: '198.51.100.7' },
    { name: 'every hop trusted: the left-most', peer: '10.0.0.1', xff: '10.0.0.2, 10.0.0.1', address: '10.0.0.2' },
    { name: 'trusted proxy without the header: the proxy itself', peer: '10.0.0.1', address: '10.0.0.1', viaProxy: false },
    { name: 'garbled hop: unknown client', peer: '10.0.0.1', xff: '1.2.3.4, garbage', address: undefined },
    { name: 'shorthand IPv4 hop refused', peer: '10.0.0.1', xff: '127.1', address: undefined },
    { name: 'hop with a port', peer: '10.0.0.1', xff: '198.51.100.7:4711', address: '198.51.100.7' },
    { name: 'bracketed IPv6 hop with a port', peer: '10.0.0.1', xff: '[2001:db8::5]:443', address: '2001:db8::5' },
    { name: 'IPv6 hop', peer: '10.0.0.1', xff: '2001:db8::5', address: '2001:db8::5' },
    { name: 'mapped IPv4 peer matches a v4 trusted proxy', peer: '::ffff:10.0.0.1', xff: '198.51.100.7', address: '198.51.100.7' },
    { name: 'IPv6 trusted proxy', peer: 'fd00::1', xff: '198.51.100.7', address: '198.51.100.7' },
    { name: 'empty hops are skipped', peer: '10.0.0.1', xff: ' , 198.51.100.7 ,', address: '198.51.100.7' },
    { name: 'mapped peer is reported as IPv4', peer: '::ffff:203.0.113.5', address: '203.0.113.5' },
    { name: 'no peer (no socket)', peer: undefined, address: undefined },
    { name: 'loopback peer, no forwarding: loopback', peer: '127.0.0.1', address: '127.0.0.1', loopback: true },
    { name: 'loopback IPv6 peer: loopback', peer: '::1', address: '::1', loopback: true },
    { name: 'mapped loopback peer: loopback', peer: '::ffff:127.0.0.1', address: '127.0.0.1', loopback: true },
    { name: 'loopback peer with an untrusted X-Forwarded-For: not loopback (a local proxy)', peer: '127.0.0.1', xff: '203.0.113.5', address: '127.0.0.1', loopback: false },
    { name: 'trusted proxy forwarding a loopback client: loopback', peer: '10.0.0.1', xff: '127.0.0.1', address: '127.0.0.1', loopback: true },
    { name: 'trusted proxy forwarding a remote client: not loopback', peer: '10.0.0.1', xff: '203.0.113.5', address: '203.0.113.5', loopback: false },
  ];
  it.each(cases)('$name', (c) => {
    const result = resolveClientAddress(c.peer, c.xff, c.trusted ?? trusted, c.xff !== undefined);
    expect(result.address).toBe(c.address);
    if (c.loopback !== undefined) expect(result.loopback).toBe(c.loopback);
    if (c.viaProxy !== undefined) expect(result.viaProxy).toBe(c.viaProxy);
  });

  it('a loopback peer is not loopback when only a Forwarded or X-Real-IP header shows a proxy', () => {
    expect(resolveClientAddress('127.0.0.1', undefined, none, true).loopback).toBe(false);
  });
});
