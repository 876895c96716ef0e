/**
 * The id of every CRDT type, written into the first byte of each encoded state (1–31, see
 * `readStateHeader`). One table, so that a new type takes a free id and no two types share
 * one; an id, once released, is never given to another type (stored states hold it).
 */
export const TypeIds = {
  gCounter: 1,
  pnCounter: 2,
  lwwRegister: 3,
  mvRegister: 4,
  lwwMap: 5,
  orSet: 6,
  awSet: 7,
  rwSet: 8,
  orMap: 9,
  boundedCounter: 12,
  quantity: 11,
} as const;

/**
 * Ids no type reads any more, and what they were: a state that names one is refused
 * (`unknown-type`) with this reason.
 */
export const RETIRED_TYPE_IDS: ReadonlyMap<number, string> = new Map([
  [
    10,
    "the Bounded Counter's first format (an entry held all of a replica's totals, so every grant repeated the giver's recipients); id 12 holds each part in an entry of its own",
  ],
]);
