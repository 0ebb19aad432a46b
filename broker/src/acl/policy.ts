// Who may publish and subscribe where. Pure: the aedes hooks (acl/hooks.ts) apply it.
// CLOUD-LINK.md §3.3
import type { Identity } from '../auth/usernames.js';
import { isUpKind, parseTopic, TOPIC_ROOT, TOPIC_SPECS, type UpKind } from '../contract.js';

export type DenyReason = 'not-a-device-topic' | 'other-device' | 'wrong-direction' | 'operator-may-not-publish-here' | 'outside-doorcast';

export type PublishDecision = { allow: true; kind: UpKind | 'cmd'; ownDevice: boolean } | { allow: false; reason: DenyReason };

export function decidePublish(who: Identity, topic: string): PublishDecision {
  const t = parseTopic(topic);
  if (!t) return { allow: false, reason: 'not-a-device-topic' };
  if (who.kind === 'operator') {
    // Operators send commands; they never forge device data, acks or manifests.
    return t.kind === 'cmd' ? { allow: true, kind: 'cmd', ownDevice: false } : { allow: false, reason: 'operator-may-not-publish-here' };
  }
  if (t.site !== who.site || t.device !== who.device) return { allow: false, reason: 'other-device' };
  if (!isUpKind(t.kind)) return { allow: false, reason: 'wrong-direction' };
  return { allow: true, kind: t.kind, ownDevice: true };
}

export type SubscribeDecision = { allow: true } | { allow: false; reason: DenyReason };

/** Devices: exactly their own down topics, no wildcards. Operators: anything under doorcast/v1/. */
export function decideSubscribe(who: Identity, filter: string): SubscribeDecision {
  if (who.kind === 'operator') {
    return filter === `${TOPIC_ROOT}/#` || filter.startsWith(`${TOPIC_ROOT}/`) ? { allow: true } : { allow: false, reason: 'outside-doorcast' };
  }
  const t = parseTopic(filter);
  if (!t) return { allow: false, reason: 'not-a-device-topic' };
  if (t.site !== who.site || t.device !== who.device) return { allow: false, reason: 'other-device' };
  if (TOPIC_SPECS[t.kind].direction !== 'down') return { allow: false, reason: 'wrong-direction' };
  return { allow: true };
}
