// The topic tree: doorcast/v1/{site}/{device}/{kind}. CLOUD-LINK.md §3.
import { type DeviceRef, isId } from './ids.js';

export const TOPIC_ROOT = 'doorcast/v1';

/** Device → cloud. CLOUD-LINK.md §3.1 */
export const UP_KINDS = ['impressions', 'door-counts', 'state'] as const;
/** Cloud → device. CLOUD-LINK.md §3.1 */
export const DOWN_KINDS = ['ack', 'manifest', 'cmd'] as const;
export const TOPIC_KINDS = [...UP_KINDS, ...DOWN_KINDS] as const;

export type UpKind = (typeof UP_KINDS)[number];
export type DownKind = (typeof DOWN_KINDS)[number];
export type TopicKind = (typeof TOPIC_KINDS)[number];

export interface TopicSpec {
  direction: 'up' | 'down';
  qos: 0 | 1;
  retained: boolean;
}

/** QoS and retain flag per kind. CLOUD-LINK.md §3.2 */
export const TOPIC_SPECS: Readonly<Record<TopicKind, TopicSpec>> = {
  impressions: { direction: 'up', qos: 1, retained: false },
  'door-counts': { direction: 'up', qos: 1, retained: false },
  state: { direction: 'up', qos: 1, retained: true },
  ack: { direction: 'down', qos: 1, retained: false },
  manifest: { direction: 'down', qos: 1, retained: true },
  cmd: { direction: 'down', qos: 1, retained: false },
};

export function isTopicKind(s: string): s is TopicKind {
  return (TOPIC_KINDS as readonly string[]).includes(s);
}

export function isUpKind(k: TopicKind): k is UpKind {
  return TOPIC_SPECS[k].direction === 'up';
}

export class TopicError extends Error {
  override readonly name = 'TopicError';
  constructor(
    readonly field: 'site' | 'device' | 'kind',
    readonly value: string,
  ) {
    super(`invalid ${field} in topic: ${JSON.stringify(value.slice(0, 80))}`);
  }
}

/** The topic for one device and kind; throws TopicError on an invalid id. */
export function topicFor(kind: TopicKind, ref: DeviceRef): string {
  if (!isId(ref.site)) throw new TopicError('site', ref.site);
  if (!isId(ref.device)) throw new TopicError('device', ref.device);
  if (!isTopicKind(kind)) throw new TopicError('kind', kind);
  return `${TOPIC_ROOT}/${ref.site}/${ref.device}/${kind}`;
}

export interface ParsedTopic extends DeviceRef {
  kind: TopicKind;
}

/** Parses a concrete topic (no wildcards); null if it is not a doorcast v1 device topic. */
export function parseTopic(topic: string): ParsedTopic | null {
  const parts = topic.split('/');
  if (parts.length !== 5 || parts[0] !== 'doorcast' || parts[1] !== 'v1') return null;
  const [, , site, device, kind] = parts as [string, string, string, string, string];
  if (!isId(site) || !isId(device) || !isTopicKind(kind)) return null;
  return { site, device, kind };
}

/** What a device subscribes to: its own down topics, exactly these. CLOUD-LINK.md §3.3 */
export function deviceSubscriptions(ref: DeviceRef): string[] {
  return DOWN_KINDS.map((k) => topicFor(k, ref));
}

/** Filter for one kind across the fleet, for operators and services. */
export function fleetFilter(kind: TopicKind | '#'): string {
  return kind === '#' ? `${TOPIC_ROOT}/#` : `${TOPIC_ROOT}/+/+/${kind}`;
}
