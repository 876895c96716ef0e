import type { WireCode } from '@helios/core';

/** Why local storage is not IndexedDB, when it is not. */
export type StorageProblem =
  | 'unavailable'
  | 'blocked'
  | 'quota-exceeded'
  | 'version-change'
  | 'connection-lost';

export interface StorageStatus {
  /** Where writes are made durable now. */
  readonly kind: 'indexeddb' | 'memory';
  /** Set when IndexedDB was wanted but failed; writes then last only as long as the tab. */
  readonly problem?: StorageProblem;
  readonly message?: string;
}

/** The client's state as `client.status$` reports it. */
export interface ClientStatus {
  readonly connection: 'online' | 'offline' | 'connecting';
  /** URL and region of the relay in use (the last one, while offline). */
  readonly relay: string | null;
  readonly region: string | null;
  /** Own writes per document not yet acknowledged by a relay. */
  readonly pending: Readonly<Record<string, number>>;
  readonly pendingTotal: number;
  /** When a relay last acknowledged a write (ms since epoch). */
  readonly lastAckAt: number | null;
  readonly storage: StorageStatus;
  /**
   * The last error a relay reported, if any: a refused write (with `doc`), or a refused
   * connection (with `relay`, e.g. `unauthenticated`, `protocol-version`, or `token-failed`
   * when the `auth.token` function threw), which is cleared when that relay admits the client.
   */
  readonly lastError: {
    readonly code: WireCode | 'token-failed';
    readonly message: string;
    readonly doc?: string;
    /** The relay that refused the connection. */
    readonly relay?: string;
  } | null;
}

/** The status of a client that has just been created. */
export function initialStatus(offline: boolean): ClientStatus {
  return {
    connection: offline ? 'offline' : 'connecting',
    relay: null,
    region: null,
    pending: {},
    pendingTotal: 0,
    lastAckAt: null,
    storage: { kind: 'memory' },
    lastError: null,
  };
}
