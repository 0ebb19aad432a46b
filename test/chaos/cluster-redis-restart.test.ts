// Redis restarted under a two-node cluster while an agent on each node syncs. Redis carries
// the routing (mqemitter-redis) and the sessions (aedes-persistence-redis), so acks stop while
// it is away; the agents resend and every impression ends in PostgreSQL exactly once.
import { describeServiceRestart } from './service-restart.js';

describeServiceRestart('Redis', ['gate-r1', 'gate-r2'], (c) => c.redis);
