import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The relay's Prometheus metrics, in a registry of its own (several relays share a process in tests). */
export class RelayMetrics {
  readonly registry = new Registry();
  readonly connections: Gauge;
  readonly deltasMerged: Counter<'type' | 'origin'>;
  readonly bytesIn: Counter;
  readonly bytesOut: Counter;
  readonly mergeSeconds: Histogram;
  readonly commitSeconds: Histogram;
  readonly commitBatchSize: Histogram;
  readonly commitsRedone: Counter;
  readonly peerLagEntries: Gauge<'peer'>;
  readonly peerLagSeconds: Gauge<'peer'>;
  readonly conflicts: Counter<'type'>;
  readonly refused: Counter<'code'>;
  readonly dotConflicts: Counter<'peer'>;
  readonly closedOverBudget: Counter;
  readonly rightsGranted: Counter<'to'>;
  readonly rightsAskSeconds: Histogram<'outcome'>;
  readonly rightsRequests: Counter<'decided'>;
  readonly relaySlot: Gauge;
  readonly closedBelow: Gauge;
  readonly foldFrontier: Gauge;
  readonly folds: Counter;

  constructor(labels: { region: string }) {
    this.registry.setDefaultLabels(labels);
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.connections = new Gauge({
      name: 'helios_connections',
      help: 'Open client connections',
      registers,
    });
    this.deltasMerged = new Counter({
      name: 'helios_deltas_merged_total',
      help: 'Deltas merged and committed, by CRDT type and origin region',
      labelNames: ['type', 'origin'],
      registers,
    });
    this.bytesIn = new Counter({
      name: 'helios_bytes_in_total',
      help: 'Protocol bytes received',
      registers,
    });
    this.bytesOut = new Counter({
      name: 'helios_bytes_out_total',
      help: 'Protocol bytes sent (a broadcast counts once)',
      registers,
    });
    const fast = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1];
    this.mergeSeconds = new Histogram({
      name: 'helios_merge_seconds',
      help: 'Validate and merge time of one delta',
      buckets: fast,
      registers,
    });
    this.commitSeconds = new Histogram({
      name: 'helios_commit_seconds',
      help: 'Durable commit time of one group-commit batch',
      buckets: fast,
      registers,
    });
    this.commitBatchSize = new Histogram({
      name: 'helios_commit_batch_size',
      help: 'Changes per group-commit batch',
      buckets: [1, 2, 5, 10, 50, 100, 500, 1000, 5000],
      registers,
    });
    this.commitsRedone = new Counter({
      name: 'helios_commits_redone_total',
      help: "Commits a store shared by several nodes refused (a value lacked another node's change) and redone under the region's lock",
      registers,
    });
    this.peerLagEntries = new Gauge({
      name: 'helios_peer_replication_lag_entries',
      help: 'Feed entries sent to the peer and not yet acknowledged by it (the window in flight)',
      labelNames: ['peer'],
      registers,
    });
    this.peerLagSeconds = new Gauge({
      name: 'helios_peer_replication_lag_seconds',
      help: 'Age of the oldest feed entry the peer has not acknowledged',
      labelNames: ['peer'],
      registers,
    });
    this.conflicts = new Counter({
      name: 'helios_conflicts_total',
      help: 'Merges that left concurrent values side by side (LWW/MV siblings), by CRDT type',
      labelNames: ['type'],
      registers,
    });
    this.refused = new Counter({
      name: 'helios_refused_total',
      help: 'Messages or deltas refused, by error code',
      labelNames: ['code'],
      registers,
    });
    this.dotConflicts = new Counter({
      name: 'helios_dot_conflicts_total',
      help: 'Deltas from a peer region skipped because a dot held here came with other content',
      labelNames: ['peer'],
      registers,
    });
    this.closedOverBudget = new Counter({
      name: 'helios_closed_over_budget_total',
      help: 'Client connections closed for staying over their budget (rate-limited)',
      registers,
    });
    this.rightsGranted = new Counter({
      name: 'helios_rights_granted_total',
      help: "Bounded-counter rights this relay's replica gave away, to clients, peer regions, or other nodes of its region",
      labelNames: ['to'],
      registers,
    });
    this.rightsRequests = new Counter({
      name: 'helios_rights_requests_total',
      help: "Clients' requests for bounded-counter rights, by how they were decided: here (from this relay's rights at once), after-ask (once another relay's transfer arrived), none (no reachable relay held any)",
      labelNames: ['decided'],
      registers,
    });
    this.rightsAskSeconds = new Histogram({
      name: 'helios_rights_ask_seconds',
      help: 'From asking a peer region or another node of the region for rights to their arrival here (or giving up)',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers,
    });
    this.relaySlot = new Gauge({
      name: 'helios_relay_slot',
      help: 'The node slot of the store this node holds, whose replica holds its rights (-1: none, it grants no rights)',
      registers,
    });
    this.relaySlot.set(-1);
    this.closedBelow = new Gauge({
      name: 'helios_closed_epochs_below',
      help: 'Replica epochs below this are closed in this region: its closure receipt, announced to the peer regions (0: none; docs/compaction.md)',
      registers,
    });
    this.foldFrontier = new Gauge({
      name: 'helios_fold_frontier',
      help: 'Epochs below this are causally stable here, past the grace period: the automatic fold job folds counters to it (0: nothing to fold yet)',
      registers,
    });
    this.folds = new Counter({
      name: 'helios_folds_total',
      help: "Counters this relay folded (their retired replicas' entries made one), by the automatic job or Relay.foldRetired",
      registers,
    });
  }
}
