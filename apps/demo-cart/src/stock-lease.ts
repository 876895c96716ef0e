/** Units a take leases beyond the one it buys, while stock is plentiful. */
export const LEASE = 2;

/** Below this much stock (everywhere), takes lease nothing. */
export const LEASE_FROM_STOCK = 20;

/**
 * The lease an "Add to cart" asks for with the unit it takes, given the stock everywhere.
 *
 * A lease is stock this tab holds and has not sold: it makes the next adds instant (no round
 * trip to the relay) and lets them succeed offline. But nobody else can buy a leased unit until
 * the tab gives it back (after 30 s without a take, see `LEASE_IDLE_MS`), so near the end of the
 * stock a lease would show shoppers "sold out" while units sit unsold in another tab. Hence a
 * small lease (two: an "add, add again" burst, or a short time offline) and none at all once
 * fewer than {@link LEASE_FROM_STOCK} units are left, where every unit must go to whoever
 * clicks first.
 */
export function leaseFor(stock: number): number {
  return stock >= LEASE_FROM_STOCK ? LEASE : 0;
}
