import {
  BoundedCounter,
  type BoundedCounterState,
  type QuantityState,
  type ReplicaId,
} from '@helios/core';

/** This replica's running totals in a stock counter: its increments `p` and decrements `n`. */
function ownTotals(stock: BoundedCounterState, replica: ReplicaId): { p: number; n: number } {
  const account = BoundedCounter.accounts(stock).get(replica);
  return { p: account?.p ?? 0, n: account?.n ?? 0 };
}

/** The units of a cart line (a Quantity's store) that `replica` added and that are still there. */
function ownUnits(line: QuantityState['store'] | undefined, replica: ReplicaId): number {
  let units = 0;
  for (const unit of line ?? []) if (unit.replica === replica) units++;
  return units;
}

/**
 * The units of stock `replica` owes back to the shelf, from the state alone: each unit in the
 * cart was taken from stock (a decrement of the stock counter) by the replica that added it to
 * the cart line (its dot), and this replica increments the stock only to give units back. So
 * what it took, less what of it is still in the cart, less what it already gave back, is what
 * has left the cart (a −, a removed line, by any tab or device) and not yet come back:
 *
 *     owed = n(replica) − live units of replica in the line − p(replica)
 *
 * Only the replica that added a unit gives it back, however many tabs removed it concurrently,
 * and a give-back raises `p`, so computing it again owes nothing: idempotent, and the same on
 * every state that holds the same writes. Between a take's decrement and its cart write the
 * unit is owed for a moment: nothing reads it then (see `returnStock`).
 */
export function owedStock(
  stock: BoundedCounterState,
  line: QuantityState['store'] | undefined,
  replica: ReplicaId,
): number {
  const { p, n } = ownTotals(stock, replica);
  return n - ownUnits(line, replica) - p;
}
