// The broker's state (identities, fleet, campaigns, manifests, enrolments, site keys, the
// marketplace) behind one small async interface, so a node keeps it in SQLite (embedded) or in
// the PostgreSQL every node of a cluster shares (deploy/cloud). Impressions have their own
// interface (store/impression-store.ts).
//
// SQL written against it is the common dialect of both: `?` placeholders, ON CONFLICT and
// RETURNING, no engine-only functions (no scalar max()/min(), no COLLATE NOCASE), integers for
// booleans, JSON kept as TEXT and parsed in code.

export interface StateQueries {
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  get<T>(sql: string, params?: readonly unknown[]): Promise<T | undefined>;
  /** `changes`: rows inserted, updated or deleted. */
  run(sql: string, params?: readonly unknown[]): Promise<{ changes: number }>;
}

export interface StateDb extends StateQueries {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * Runs `f` in one transaction and commits, or rolls back when it throws. SQLite takes the
   * write lock first (BEGIN IMMEDIATE); PostgreSQL runs READ COMMITTED, so code that must not
   * race writes conditional statements (UPDATE … WHERE <still true>) and locks rows in a fixed
   * order. A deadlock or serialisation failure runs `f` again: it must touch only the database.
   */
  tx<T>(f: (q: StateQueries) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export class StateDbError extends Error {
  override readonly name = 'StateDbError';
  constructor(
    readonly code: 'migration' | 'closed',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A constraint the database refused the statement for, whichever engine it is. */
export function violatedConstraint(err: unknown): 'unique' | 'check' | 'foreign-key' | null {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'SQLITE_CONSTRAINT_PRIMARYKEY':
    case 'SQLITE_CONSTRAINT_UNIQUE':
    case '23505':
      return 'unique';
    case 'SQLITE_CONSTRAINT_CHECK':
    case '23514':
      return 'check';
    case 'SQLITE_CONSTRAINT_FOREIGNKEY':
    case '23503':
      return 'foreign-key';
    default:
      return null;
  }
}
