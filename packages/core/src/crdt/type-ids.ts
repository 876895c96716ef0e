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
  boundedCounter: 10,
  quantity: 11,
} as const;
