import type { BoundedCounterHandle, Receipt } from '@helios/client';
import { InsufficientRightsError } from '@helios/core';

/** Units a take leases beyond the one it buys, while stock is plentiful. */
export const LEASE = 2;

/** Below this much stock (everywhere), takes lease nothing. */
export const LEASE_FROM_STOCK = 20;

/** How often a refused take is tried again while units remain elsewhere, and how far apart. */
export const TAKE_RETRIES = 3;
export const TAKE_RETRY_MS = 400;

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

/**
 * Takes one unit of `stock` for the cart. A take refused with `insufficient-rights` while units
 * are left somewhere (the value is above 0) and the tab is online is tried again, up to
 * {@link TAKE_RETRIES} times: the last units may be moving between regions' relays (a relay
 * that ran low asked a peer for rights just as that peer's own shopper asked for them, and the
 * transfer lands after the shopper's request was answered), and a moment later this region's
 * relay can get them. Offline, or with the stock at 0, the refusal stands at once.
 */
export async function takeUnit(
  stock: BoundedCounterHandle,
  online: () => boolean,
  wait: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<Receipt> {
  for (let retries = 0; ; retries++) {
    const taken = await stock.take(1, leaseFor(stock.value));
    const retry =
      taken.error instanceof InsufficientRightsError &&
      stock.value > 0 &&
      online() &&
      retries < TAKE_RETRIES;
    if (!retry) return taken;
    await wait(TAKE_RETRY_MS);
  }
}
