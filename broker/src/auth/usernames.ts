// MQTT usernames and client ids. CLOUD-LINK.md §3.4
import { isId } from '../contract.js';

export type Identity = { kind: 'device'; username: string; site: string; device: string } | { kind: 'operator'; username: string; name: string };

/** A device's username is `<site>/<device>`. */
export function deviceUsername(site: string, device: string): string {
  if (!isId(site) || !isId(device)) throw new TypeError('site and device ids: 1–64 of a–z 0–9 -');
  return `${site}/${device}`;
}

/**
 * An operator's username is `op.<name>`: without a '/', never mistaken for a device, and
 * without a ':', usable in HTTP Basic (RFC 7617 §2).
 */
export function operatorUsername(name: string): string {
  if (!isId(name)) throw new TypeError('operator name: 1–64 of a–z 0–9 -');
  return `op.${name}`;
}

/**
 * A client id must be the username, optionally followed by `/` and a suffix of 1–23 of
 * [A-Za-z0-9-_] (a second connection, e.g. a diagnostic tool). Then one identity can never take
 * over another's session [MQTT-3.1.4-2].
 */
export function clientIdAllowed(username: string, clientId: string): boolean {
  if (clientId === username) return true;
  return clientId.startsWith(`${username}/`) && /^[A-Za-z0-9_-]{1,23}$/.test(clientId.slice(username.length + 1));
}
