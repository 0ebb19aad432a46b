// Live MQTT connections and the identity each authenticated as, so revocation can close them
// and a superseded connection's last will can be suppressed.
import type { Client } from 'aedes';
import type { Identity } from './usernames.js';

interface Session {
  identity: Identity;
  generation: number;
}

export class Sessions {
  readonly #byClient = new WeakMap<Client, Session>();
  readonly #byUsername = new Map<string, Set<Client>>();
  /** The latest authenticated connection per client id. */
  readonly #latest = new Map<string, Client>();

  /** At authentication: from now on this connection is the latest for its client id. */
  authenticated(client: Client, identity: Identity, generation: number): void {
    this.#byClient.set(client, { identity, generation });
    this.#latest.set(client.id, client);
  }

  /** At aedes 'clientReady': the connection is live (and will be reported by 'clientDisconnect'). */
  ready(client: Client): Session | null {
    const s = this.#byClient.get(client);
    if (!s) return null;
    const set = this.#byUsername.get(s.identity.username) ?? new Set<Client>();
    this.#byUsername.set(s.identity.username, set);
    set.add(client);
    return s;
  }

  /** Returns the session it removed, once (aedes may report a disconnect twice). */
  detach(client: Client): Session | null {
    if (this.#latest.get(client.id) === client) this.#latest.delete(client.id);
    const s = this.#byClient.get(client);
    const set = s && this.#byUsername.get(s.identity.username);
    if (!s || !set?.delete(client)) return null;
    if (set.size === 0) this.#byUsername.delete(s.identity.username);
    return s;
  }

  identityOf(client: Client | null): Identity | undefined {
    return client ? this.#byClient.get(client)?.identity : undefined;
  }

  /** A newer connection with the same client id has authenticated: this one is being taken over. */
  isSuperseded(client: Client): boolean {
    const latest = this.#latest.get(client.id);
    return latest !== undefined && latest !== client;
  }

  connectionsOf(username: string): number {
    return this.#byUsername.get(username)?.size ?? 0;
  }

  /** Every live connection with the generation of the credential it used. */
  *live(): Generator<{ client: Client; identity: Identity; generation: number }> {
    for (const set of this.#byUsername.values()) {
      for (const client of set) {
        const s = this.#byClient.get(client);
        if (s) yield { client, ...s };
      }
    }
  }
}
