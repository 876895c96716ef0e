import type { TransportEvents } from '@helios/transport';

/** Why a QUIC attempt failed: {@link TransportEvents.refused}'s error, and whether UDP was silent. */
export interface QuicRefusal {
  readonly code?: string;
  readonly message: string;
  /** Nothing answered the QUIC handshake: UDP may be blocked on the way. */
  readonly unanswered: boolean;
}

/** {@link TransportEvents}, with the refusals told apart (see {@link QuicRefusal}). */
export interface QuicDialEvents extends Omit<TransportEvents, 'refused'> {
  refused(error: QuicRefusal): void;
  /**
   * The listener saw this connection's packets come from a new address: it migrated, and cannot
   * migrate again (see `RenewingQuicConnection`).
   */
  pathChanged?(): void;
}
