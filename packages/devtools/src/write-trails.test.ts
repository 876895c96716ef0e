import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WriteEvent, WriteStage } from './source.js';
import { WriteTrails } from './write-trails.js';

const STAGES: readonly WriteStage[] = ['pending', 'local', 'relay', 'region', 'global', 'failed'];

const writeEvent = fc.record({
  type: fc.constant('write' as const),
  doc: fc.constantFrom('a', 'b'),
  replica: fc.constantFrom('r1', 'r2'),
  seq: fc.integer({ min: 1, max: 6 }),
  stage: fc.constantFrom(...STAGES),
  at: fc.integer({ min: 0, max: 1_000 }),
});

describe('WriteTrails', () => {
  it('groups by document and dot, steps in arrival order, newest trail first', () => {
    const trails = new WriteTrails(10);
    const e = (doc: string, seq: number, stage: WriteStage, at: number): WriteEvent => ({
      type: 'write',
      doc,
      replica: 'r1',
      seq,
      stage,
      at,
    });
    for (const event of [e('a', 1, 'pending', 1), e('b', 1, 'pending', 2), e('a', 1, 'local', 3)]) {
      trails.add(event);
    }
    expect(trails.list().map((t) => [t.doc, t.dot, t.steps.map((s) => s.stage)])).toEqual([
      ['b', 'r1:1', ['pending']],
      ['a', 'r1:1', ['pending', 'local']],
    ]);
    expect(trails.list('a')).toHaveLength(1);
  });

  it('a document pending count is its writes applied and neither acknowledged nor failed', () => {
    fc.assert(
      fc.property(fc.array(writeEvent, { maxLength: 80 }), (events) => {
        const trails = new WriteTrails(1_000);
        for (const event of events) trails.add(event);
        for (const doc of ['a', 'b']) {
          // The same count, worked out from scratch: dots with a pending step and no step that
          // settles them (relay, region, global, failed), whatever the order they came in.
          const mine = events.filter((x) => x.doc === doc);
          const dots = (stages: readonly WriteStage[]) =>
            new Set(
              mine.filter((x) => stages.includes(x.stage)).map((x) => `${x.replica}:${x.seq}`),
            );
          const settled = dots(['relay', 'region', 'global', 'failed']);
          const open = [...dots(['pending'])].filter((dot) => !settled.has(dot));
          const samples = trails.pending(doc);
          expect(samples.at(-1)?.pending ?? 0).toBe(open.length);
          for (const s of samples) expect(s.pending).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });

  it('keeps the last `limit` trails; a dropped pending write leaves its count', () => {
    fc.assert(
      fc.property(
        fc.array(writeEvent, { maxLength: 80 }),
        fc.integer({ min: 1, max: 5 }),
        (events, limit) => {
          const trails = new WriteTrails(limit);
          for (const event of events) trails.add(event);
          const list = trails.list();
          expect(list.length).toBeLessThanOrEqual(limit);
          for (const doc of ['a', 'b']) {
            const stillPending = list.filter(
              (t) =>
                t.doc === doc &&
                t.sawPending &&
                !t.steps.some((s) => !['pending', 'local'].includes(s.stage)),
            );
            // Counted are exactly the kept trails still pending: none stays counted once dropped.
            expect(trails.pending(doc).at(-1)?.pending ?? 0).toBe(stillPending.length);
            expect(trails.pending(doc).length).toBeLessThanOrEqual(limit);
          }
        },
      ),
    );
  });
});
