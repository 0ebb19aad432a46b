import { describe, expect, it } from 'vitest';
import type { Identity } from '../auth/usernames.js';
import { decidePublish, decideSubscribe } from './policy.js';

const dev: Identity = { kind: 'device', username: 'maple/gate-1', site: 'maple', device: 'gate-1' };
const op: Identity = { kind: 'operator', username: 'op.ops', name: 'ops' };
const T = (rest: string) => `doorcast/v1/${rest}`;

describe('ACL policy (CLOUD-LINK.md §3.3)', () => {
  it.each([
    [dev, T('maple/gate-1/impressions'), true],
    [dev, T('maple/gate-1/door-counts'), true],
    [dev, T('maple/gate-1/state'), true],
    [dev, T('maple/gate-2/impressions'), false],
    [dev, T('oak/gate-1/impressions'), false],
    [dev, T('maple/gate-1/ack'), false],
    [dev, T('maple/gate-1/manifest'), false],
    [dev, T('maple/gate-1/cmd'), false],
    [dev, '$SYS/x/heartbeat', false],
    [dev, 'anything', false],
    [op, T('maple/gate-1/cmd'), true],
    [op, T('maple/gate-1/manifest'), false],
    [op, T('maple/gate-1/ack'), false],
    [op, T('maple/gate-1/impressions'), false],
  ])('%o publishes %s → %s', (who, topic, allowed) => {
    expect(decidePublish(who, topic).allow).toBe(allowed);
  });

  it.each([
    [dev, T('maple/gate-1/ack'), true],
    [dev, T('maple/gate-1/manifest'), true],
    [dev, T('maple/gate-1/cmd'), true],
    [dev, T('maple/gate-2/manifest'), false],
    [dev, T('maple/+/manifest'), false],
    [dev, T('maple/gate-1/#'), false],
    [dev, T('#'), false],
    [dev, '#', false],
    [dev, T('maple/gate-1/impressions'), false],
    [op, T('#'), true],
    [op, T('+/+/state'), true],
    [op, '#', false],
    [op, '$SYS/#', false],
  ])('%o subscribes %s → %s', (who, filter, allowed) => {
    expect(decideSubscribe(who, filter).allow).toBe(allowed);
  });
});
