import { describe, expect, it } from 'vitest'
import { clientNetwork } from '../src/client-network'

describe('clientNetwork', () => {
  it('reduces IPv4 to its /24', () => {
    expect(clientNetwork('203.0.113.77')).toBe('203.0.113.0/24')
    expect(clientNetwork('203.0.113.1')).toBe(clientNetwork('203.0.113.254'))
    expect(clientNetwork('203.0.114.1')).not.toBe(clientNetwork('203.0.113.1'))
  })

  it('reduces IPv6 to its /48, whatever the spelling', () => {
    expect(clientNetwork('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1::/48')
    expect(clientNetwork('2001:0DB8:0001::9')).toBe('2001:db8:1::/48')
    expect(clientNetwork('2001:db8:1:ffff::1')).toBe(clientNetwork('2001:db8:1::'))
    expect(clientNetwork('2001:db8:2::1')).not.toBe(clientNetwork('2001:db8:1::1'))
    expect(clientNetwork('::1')).toBe('0:0:0::/48')
  })

  it('treats an IPv4-mapped IPv6 address as the IPv4 client it is', () => {
    expect(clientNetwork('::ffff:203.0.113.9')).toBe('203.0.113.0/24')
    expect(clientNetwork('::ffff:cb00:7109')).toBe('203.0.113.0/24')
  })

  it('calls anything that is not an address unknown', () => {
    for (const bad of [
      '',
      'unknown',
      '256.1.1.1',
      '1.2.3',
      '1:2:3',
      '1::2::3',
      'x'.repeat(60),
      '1.2.3.4:80',
      '1:2:3:4:5:6:7:8:9',
      'g::1',
    ]) {
      expect(clientNetwork(bad)).toBe('unknown')
    }
  })
})
