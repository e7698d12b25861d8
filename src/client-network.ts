// The network a request came from, coarser than its address: what per-client limits key on, so a
// stranger's failures count against the stranger's network and not against everyone's.

/** IPv4: the /24 (one home, office or carrier NAT pool shares it). */
const IPV4_PREFIX_OCTETS = 3
/** IPv6: the /48, the most an ISP hands one site; one subscriber cannot step out of it. */
const IPV6_PREFIX_GROUPS = 3

/**
 * `CF-Connecting-IP` reduced to its network (`203.0.113.0/24`, `2001:db8:1::/48`), or
 * `unknown` for anything that is not an address (local tests without the header).
 */
export function clientNetwork(ip: string): string {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip)
  if (v4) {
    const octets = v4.slice(1).map(Number)
    if (octets.some((o) => o > 255)) return 'unknown'
    return `${octets.slice(0, IPV4_PREFIX_OCTETS).join('.')}.0/24`
  }
  const groups = ipv6Groups(ip)
  if (!groups) return 'unknown'
  // An IPv4-mapped address (::ffff:a.b.c.d) is an IPv4 client.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi, lo] = [groups[6]!, groups[7]!]
    return clientNetwork(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`)
  }
  return `${groups
    .slice(0, IPV6_PREFIX_GROUPS)
    .map((g) => g.toString(16))
    .join(':')}::/48`
}

/** The eight 16-bit groups of an IPv6 address, or null if it is not one. */
function ipv6Groups(ip: string): number[] | null {
  if (ip.length > 45 || !/^[0-9a-fA-F:.]+$/.test(ip)) return null
  let text = ip
  // A trailing dotted IPv4 part stands for the last two groups.
  const tail = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text)
  if (tail) {
    const o = tail.slice(1).map(Number)
    if (o.some((n) => n > 255)) return null
    text =
      text.slice(0, tail.index) +
      `${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`
  }
  const halves = text.split('::')
  if (halves.length > 2) return null
  const parse = (part: string) => (part === '' ? [] : part.split(':'))
  const head = parse(halves[0]!)
  const rest = halves.length === 2 ? parse(halves[1]!) : []
  const missing = 8 - head.length - rest.length
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest]
  if (all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return null
  return all.map((g) => parseInt(g, 16))
}
