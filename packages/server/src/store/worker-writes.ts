/** A replica id and the user that claims it (`RelayStore.claimReplica`). */
export interface ReplicaClaim {
  readonly replica: string;
  readonly user: string;
}

/** A snapshot of `doc` covering its changes up to `upToSeq` (`RelayStore.saveSnapshot`). */
export interface SnapshotWrite {
  readonly doc: string;
  readonly snapshot: Uint8Array;
  readonly upToSeq: number;
}
