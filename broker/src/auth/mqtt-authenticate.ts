// The aedes authenticate hook: no anonymous clients, per-identity credentials, client ids
// bound to the identity. CONNACK return codes are MQTT 3.1.1 Table 3.1 [MQTT-3.2.2-5].
import type { AuthenticateError, Client } from 'aedes';
import type { Logger } from '../obs/log.js';
import type { BrokerMetrics } from '../obs/metrics.js';
import type { IdentityStore } from './identities.js';
import type { Sessions } from './sessions.js';
import { clientIdAllowed } from './usernames.js';

/** CONNACK return codes, MQTT 3.1.1 §3.2.2.3. */
export const CONNACK = { IDENTIFIER_REJECTED: 2, BAD_USERNAME_OR_PASSWORD: 4, NOT_AUTHORIZED: 5 } as const;

function refuse(returnCode: number, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

export interface AuthenticateDeps {
  identities: IdentityStore;
  sessions: Sessions;
  metrics: BrokerMetrics;
  log: Logger;
}

export function mqttAuthenticate(d: AuthenticateDeps) {
  return (client: Client, username: Readonly<string | undefined>, password: Readonly<Buffer | undefined>, done: (error: AuthenticateError | null, success: boolean | null) => void) => {
    const fail = (result: string, code: number, message: string) => {
      d.metrics.authTotal.inc({ result });
      // The username is logged, never the password.
      d.log.warn({ clientId: client.id, username, result }, 'mqtt connection refused');
      done(refuse(code, message), null);
    };
    // No anonymous clients. 5 = not authorized (MQTT 3.1.1 Table 3.1).
    if (!username || !password) return fail('anonymous', CONNACK.NOT_AUTHORIZED, 'credentials required');
    d.identities.verify(username, password.toString('utf8')).then(
      (v) => {
        if (!v.ok) {
          return v.reason === 'revoked'
            ? fail('revoked', CONNACK.NOT_AUTHORIZED, 'credential revoked')
            : fail('bad-credentials', CONNACK.BAD_USERNAME_OR_PASSWORD, 'bad user name or password');
        }
        // 2 = identifier rejected: the id is valid UTF-8 but not allowed for this identity.
        if (!clientIdAllowed(v.identity.username, client.id)) return fail('client-id', CONNACK.IDENTIFIER_REJECTED, 'client id must be the username');
        d.sessions.authenticated(client, v.identity, v.generation);
        d.metrics.authTotal.inc({ result: 'ok' });
        done(null, true);
      },
      (err: Error) => {
        d.log.error({ err, clientId: client.id }, 'authentication failed with an error');
        d.metrics.authTotal.inc({ result: 'error' });
        done(refuse(3, 'server unavailable'), null);
      },
    );
  };
}
