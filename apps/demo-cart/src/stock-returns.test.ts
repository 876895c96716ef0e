import { BoundedCounter, type CrdtState, Quantity, type ReplicaId } from '@helios/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CART } from './documents.js';
import { owedStock } from './stock-returns.js';

const SKU = 'mug';
const WAREHOUSE: ReplicaId = 'f0f0f0f0f0f0f0';
const SHOPPERS: ReplicaId[] = ['a0a0a0a0a0a0a0', 'b0b0b0b0b0b0b0', 'c0c0c0c0c0c0c0'];

type StockState = ReturnType<typeof BoundedCounter.empty>;
type CartState = ReturnType<typeof CART.empty>;

/** One replica (a tab) of the shop: its copy of the stock counter and of the cart. */
class Tab {
  readonly me: { replica: ReplicaId };
  stock: StockState = BoundedCounter.empty();
  cart: CartState = CART.empty();
  /** Units this tab gave back, in total. */
  returned = 0;

  constructor(replica: ReplicaId) {
    this.me = { replica };
  }

  get owed(): number {
    return owedStock(this.stock, CART.get(this.cart, SKU)?.store, this.me.replica);
  }

  get inCart(): number {
    return CART.value(this.cart).get(SKU) ?? 0;
  }

  /** Takes a unit of stock and puts it in the cart, as the shop's add does; false if refused. */
  add(): boolean {
    if (BoundedCounter.localRights(this.stock, this.me.replica) < 1) return false;
    apply(this.stock, BoundedCounter, BoundedCounter.decrement(this.stock, this.me, 1));
    this.#cart(CART.update(this.cart, SKU, (line) => Quantity.increment(line, this.me, 1)));
    return true;
  }

  /** "−" on the line: one unit less, whoever added it. */
  less(): void {
    if (this.inCart === 0) return;
    this.#cart(CART.update(this.cart, SKU, (line) => Quantity.decrement(line, this.me, 1)));
  }

  /** "✕" on the line: every unit this tab sees leaves the cart. */
  removeLine(): void {
    this.#cart(CART.remove(this.cart, this.me, SKU));
  }

  /** What return-stock.ts does after a change: the units owed go back on the shelf. */
  giveBack(): void {
    const owed = this.owed;
    if (owed <= 0) return;
    apply(this.stock, BoundedCounter, BoundedCounter.increment(this.stock, this.me, owed));
    this.returned += owed;
  }

  /** Merges everything `other` has (a sync through the relay, in either order). */
  learnFrom(other: Tab): void {
    BoundedCounter.merge(this.stock, copy(BoundedCounter, other.stock));
    CART.merge(this.cart, copy(CART, other.cart));
  }

  #cart(delta: CartState): void {
    apply(this.cart, CART, delta);
  }
}

function apply<S>(
  state: CrdtState<S>,
  type: { merge(a: CrdtState<S>, b: CrdtState<S>): unknown },
  d: CrdtState<S>,
) {
  type.merge(state, d);
}

function copy<S>(
  type: { encode(s: CrdtState<S>): Uint8Array; decode(b: Uint8Array): CrdtState<S> },
  s: CrdtState<S>,
): CrdtState<S> {
  return type.decode(type.encode(s));
}

/** A shop whose warehouse stocked `units` and gave each tab `perTab` of the rights. */
function shop(units: number, perTab: number): { tabs: [Tab, Tab, Tab]; warehouse: Tab } {
  const warehouse = new Tab(WAREHOUSE);
  apply(
    warehouse.stock,
    BoundedCounter,
    BoundedCounter.increment(warehouse.stock, warehouse.me, units),
  );
  const tabs = SHOPPERS.map((r) => new Tab(r)) as [Tab, Tab, Tab];
  for (const tab of tabs) {
    const give = BoundedCounter.transfer(warehouse.stock, warehouse.me, tab.me.replica, perTab);
    apply(warehouse.stock, BoundedCounter, give);
  }
  for (const tab of tabs) tab.learnFrom(warehouse);
  return { tabs, warehouse };
}

function syncAll(tabs: Tab[]): void {
  for (const a of tabs) for (const b of tabs) if (a !== b) b.learnFrom(a);
}

describe('owedStock', () => {
  it('owes nothing while the units are in the cart, and each unit that left it once', () => {
    const {
      tabs: [a, b],
    } = shop(10, 3);
    expect(a.add() && a.add()).toBe(true);
    expect(a.owed).toBe(0);
    b.learnFrom(a);
    b.less(); // b takes one of a's units away
    expect(b.owed).toBe(0); // b added none: it owes none
    a.learnFrom(b);
    expect(a.owed).toBe(1);
    a.giveBack();
    expect(a.owed).toBe(0);
    a.giveBack(); // again: nothing more
    expect(a.returned).toBe(1);
    expect(BoundedCounter.value(a.stock)).toBe(9);
  });

  it('a line removed by two tabs at once gives its units back once', () => {
    const {
      tabs: [a, b, c],
    } = shop(10, 3);
    a.add();
    a.add();
    b.learnFrom(a);
    c.learnFrom(a);
    b.removeLine();
    c.removeLine();
    a.learnFrom(b);
    a.giveBack();
    a.learnFrom(c); // the second removal of the same units
    a.giveBack();
    expect(a.returned).toBe(2);
    syncAll([a, b, c]);
    expect(BoundedCounter.value(c.stock)).toBe(10);
    expect(c.inCart).toBe(0);
  });

  it('owes the unit of a take whose cart write never happened', () => {
    const {
      tabs: [a],
    } = shop(10, 3);
    apply(a.stock, BoundedCounter, BoundedCounter.decrement(a.stock, a.me, 1));
    expect(a.owed).toBe(1);
  });

  it('any schedule of adds, removals and syncs ends with stock + cart = what was stocked', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), tab: fc.nat(2) }),
      fc.record({ kind: fc.constant('less' as const), tab: fc.nat(2) }),
      fc.record({ kind: fc.constant('remove' as const), tab: fc.nat(2) }),
      fc.record({ kind: fc.constant('giveBack' as const), tab: fc.nat(2) }),
      fc.record({ kind: fc.constant('sync' as const), tab: fc.nat(2), from: fc.nat(2) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const { tabs } = shop(12, 4);
        for (const o of ops) {
          const tab = tabs[o.tab]!;
          if (o.kind === 'add') tab.add();
          else if (o.kind === 'less') tab.less();
          else if (o.kind === 'remove') tab.removeLine();
          else if (o.kind === 'giveBack') tab.giveBack();
          else if (o.from !== o.tab) tab.learnFrom(tabs[o.from]!);
          // The invariant holds at every tab at every step: never negative, never a return
          // beyond what it took.
          expect(tab.owed).toBeGreaterThanOrEqual(0);
        }
        syncAll(tabs);
        for (const tab of tabs) tab.giveBack();
        syncAll(tabs);
        for (const tab of tabs) {
          expect(tab.owed).toBe(0);
          expect(BoundedCounter.value(tab.stock) + tab.inCart).toBe(12);
        }
      }),
      { numRuns: 300 },
    );
  });
});
