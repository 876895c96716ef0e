import { HeliosError } from '@helios/core';

/** Why a {@link RelayStore} call was refused. */
export type StoreErrorCode =
  | 'closed'
  | 'invalid-argument'
  | 'region-mismatch'
  | 'schema-version'
  | 'already-applied'
  | 'fenced';

/**
 * A store refused a call on purpose (as opposed to an I/O or driver error, which is passed
 * through unchanged): the `code` says why, so the relay can tell a bug from an outage.
 */
export class StoreError extends HeliosError<StoreErrorCode> {}

/** The store was closed: its connections are gone, so nothing can be read or written. */
export class StoreClosedError extends StoreError {
  constructor(store: string) {
    super('closed', `${store} is closed; open a new store to keep using this storage`);
  }
}
