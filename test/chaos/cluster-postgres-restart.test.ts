// PostgreSQL, the impression store every node shares, restarted under a two-node cluster while
// an agent on each node syncs: commits fail while it is away, so nothing is acked (DESIGN.md
// rule 2); the agents resend and every impression ends in PostgreSQL exactly once. Clean is
// pg_ctl -m fast; hard is -m immediate, a crash as far as the data is concerned.
import { describeServiceRestart } from './service-restart.js';

describeServiceRestart('PostgreSQL', ['gate-p1', 'gate-p2'], (c) => c.pg);
