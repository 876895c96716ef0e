import type { ReplicaEpochs } from '@helios/core/protocol';
import { describe, expect, it } from 'vitest';
import { EpochAnnouncer } from './epoch-announcer.js';

describe('EpochAnnouncer', () => {
  it('announces the epochs each time they move, not at its first look nor when unchanged', () => {
    const deployment = { current: 3, retired: 0 };
    const sent: ReplicaEpochs[] = [];
    const announcer = new EpochAnnouncer(
      { replicaEpoch: () => deployment.current, retiredEpochsBelow: () => deployment.retired },
      (m) => sent.push(m),
    );
    announcer.check();
    announcer.check();
    expect(sent).toEqual([]);
    deployment.current = 4;
    announcer.check();
    announcer.check();
    deployment.retired = 3;
    announcer.check();
    expect(sent).toEqual([
      { kind: 'replica-epoch', epoch: 4, retiredBelow: 0 },
      { kind: 'replica-epoch', epoch: 4, retiredBelow: 3 },
    ]);
  });

  it('says nothing when the deployment names no epoch', () => {
    const sent: unknown[] = [];
    const announcer = new EpochAnnouncer({ retiredEpochsBelow: () => 2 }, (m) => sent.push(m));
    announcer.start();
    announcer.check();
    announcer.stop();
    expect(sent).toEqual([]);
  });
});
