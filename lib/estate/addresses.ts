/**
 * Syntax checks for the addresses the estate holds (address spaces, subnet prefixes, NIC IPs).
 * The engine owns address-set arithmetic; the estate only refuses what is not an address.
 */
import { boundedText } from '../nsg/describe-value.js';
import ipaddr from 'ipaddr.js';

/** Why `text` is not an IPv4/IPv6 address, or undefined when it is one. */
export function addressProblem(text: string): string | undefined {
  const value = text.trim();
  if (value === '') return 'is empty';
  if (ipaddr.IPv4.isValidFourPartDecimal(value)) return undefined;
  // Zone ids (fe80::1%eth0) never appear in Azure addresses; ipaddr.js would accept them.
  if (!value.includes('%') && value.includes(':') && ipaddr.IPv6.isValid(value)) return undefined;
  return `'${boundedText(text)}' is not an IPv4 or IPv6 address`;
}

/** Why `text` is not a CIDR prefix (`10.0.0.0/16`, `2001:db8::/64`), or undefined when it is one. */
export function prefixProblem(text: string): string | undefined {
  const value = text.trim();
  const slash = value.lastIndexOf('/');
  if (slash < 0) return `'${boundedText(text)}' is not a CIDR prefix (address/length)`;
  const address = value.slice(0, slash);
  const lengthText = value.slice(slash + 1);
  if (addressProblem(address) !== undefined) return `'${boundedText(text)}' is not a CIDR prefix: bad address`;
  if (!/^(0|[1-9]\d{0,2})$/.test(lengthText)) return `'${boundedText(text)}' is not a CIDR prefix: bad length (a decimal number without leading zeros)`;
  const max = address.includes(':') ? 128 : 32;
  if (Number(lengthText) > max) return `'${boundedText(text)}' has a prefix length above ${max}`;
  return undefined;
}

/** `10.0.0.4` → `10.0.0.4/32`; prefixes pass through. */
export function asPrefix(address: string): string {
  const value = address.trim();
  if (value.includes('/')) return value;
  return `${value}/${value.includes(':') ? 128 : 32}`;
}
