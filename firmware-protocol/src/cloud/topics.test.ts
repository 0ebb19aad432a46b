import { describe, expect, it } from 'vitest';
import { deviceSubscriptions, fleetFilter, parseTopic, TOPIC_KINDS, TopicError, topicFor } from './topics.js';

const ref = { site: 'maple-court', device: 'gate-1' };

describe('topics (CLOUD-LINK.md §3)', () => {
  it('builds and parses every kind round trip', () => {
    for (const kind of TOPIC_KINDS) {
      const t = topicFor(kind, ref);
      expect(t).toBe(`doorcast/v1/maple-court/gate-1/${kind}`);
      expect(parseTopic(t)).toEqual({ ...ref, kind });
    }
  });

  it.each([
    [{ site: 'Maple', device: 'gate-1' }, 'site'],
    [{ site: 'maple', device: 'gate/1' }, 'device'],
    [{ site: '', device: 'gate-1' }, 'site'],
    [{ site: 'maple', device: 'x'.repeat(65) }, 'device'],
    [{ site: 'maple', device: '+' }, 'device'],
  ])('refuses to build a topic for %j', (bad, field) => {
    expect(() => topicFor('state', bad)).toThrow(TopicError);
    try {
      topicFor('state', bad);
    } catch (err) {
      expect((err as TopicError).field).toBe(field);
    }
  });

  it.each([
    'doorcast/v1/maple/gate-1',
    'doorcast/v1/maple/gate-1/state/x',
    'doorcast/v2/maple/gate-1/state',
    'doorcast/v1/maple/gate-1/telemetry',
    'doorcast/v1/+/gate-1/state',
    'doorcast/v1/maple/#',
    'doorcast/v1/MAPLE/gate-1/state',
    '/doorcast/v1/maple/gate-1/state',
  ])('parseTopic(%s) is null', (t) => {
    expect(parseTopic(t)).toBeNull();
  });

  it('a device subscribes to exactly its three down topics', () => {
    expect(deviceSubscriptions(ref)).toEqual([
      'doorcast/v1/maple-court/gate-1/ack',
      'doorcast/v1/maple-court/gate-1/manifest',
      'doorcast/v1/maple-court/gate-1/cmd',
    ]);
    expect(fleetFilter('state')).toBe('doorcast/v1/+/+/state');
    expect(fleetFilter('#')).toBe('doorcast/v1/#');
  });
});
