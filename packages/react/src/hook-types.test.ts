import type { Receipt } from '@helios/client';
import type { CounterEntry, Dot, DotFun, Key } from '@helios/core';
import { describe, expectTypeOf, it } from 'vitest';
import type { useAWSet } from './use-aw-set.js';
import type { useBoundedCounter } from './use-bounded-counter.js';
import type { useCrdtMap } from './use-crdt-map.js';
import type { useLWWMap } from './use-lww-map.js';
import type { useMVRegister } from './use-mv-register.js';
import type { useORSet } from './use-or-set.js';
import type { useQuantity } from './use-quantity.js';
import type { useRegister } from './use-register.js';
import type { useRWSet } from './use-rw-set.js';

// Checked by `npm run typecheck`, not at run time: each line fails to compile if a hook, or the
// handle it returns, gives the CRDT's untyped `Value`/`Key` instead of the type it was opened with.

type Settings = { readonly theme: 'light' | 'dark'; readonly fontSize: number };
type Sku = `sku-${number}`;

describe('hook types', () => {
  it('useRegister<T> reads and writes T', () => {
    type State = ReturnType<typeof useRegister<Settings>>;
    expectTypeOf<State['value']>().toEqualTypeOf<Settings | undefined>();
    expectTypeOf<State['handle']['value']>().toEqualTypeOf<Settings | undefined>();
    expectTypeOf<State['set']>().parameter(0).toEqualTypeOf<Settings>();
    const set = (() => undefined) as unknown as State['handle']['set'];
    // @ts-expect-error a string is not Settings
    void (() => set('dark'));
  });

  it('useMVRegister<T> reads every version as T', () => {
    type State = ReturnType<typeof useMVRegister<Settings>>;
    expectTypeOf<State['values']>().toEqualTypeOf<readonly Settings[]>();
    expectTypeOf<State['handle']['value']>().toEqualTypeOf<readonly Settings[]>();
    expectTypeOf<State['handle']['resolve']>().parameter(0).toEqualTypeOf<Settings>();
  });

  it('useLWWMap<V> reads and writes V', () => {
    type State = ReturnType<typeof useLWWMap<Settings>>;
    expectTypeOf<State['value']>().toEqualTypeOf<ReadonlyMap<Key, Settings>>();
    expectTypeOf<State['get']>().returns.toEqualTypeOf<Settings | undefined>();
    expectTypeOf<State['handle']['value']>().toEqualTypeOf<ReadonlyMap<Key, Settings>>();
    expectTypeOf<State['handle']['set']>().parameter(1).toEqualTypeOf<Settings>();
  });

  it('the set hooks read and take elements of T', () => {
    type AW = ReturnType<typeof useAWSet<Sku>>;
    type RW = ReturnType<typeof useRWSet<Sku>>;
    type OR = ReturnType<typeof useORSet<Sku>>;
    expectTypeOf<AW['value']>().toEqualTypeOf<ReadonlySet<Sku>>();
    expectTypeOf<AW['handle']['value']>().toEqualTypeOf<ReadonlySet<Sku>>();
    expectTypeOf<RW['value']>().toEqualTypeOf<ReadonlySet<Sku>>();
    expectTypeOf<RW['handle']['value']>().toEqualTypeOf<ReadonlySet<Sku>>();
    expectTypeOf<OR['value']>().toEqualTypeOf<ReadonlySet<Sku>>();
    expectTypeOf<OR['handle']['value']>().toEqualTypeOf<ReadonlySet<Sku>>();
    expectTypeOf<OR['add']>().parameter(0).toEqualTypeOf<Sku>();
    expectTypeOf<OR['add']>().returns.toEqualTypeOf<{ receipt: Receipt; tag: Dot | undefined }>();
    const add = (() => undefined) as unknown as AW['handle']['add'];
    // @ts-expect-error 'apple' is not a Sku
    void (() => add('apple'));
  });

  it('useCrdtMap reads the value type of its CRDT', () => {
    type State = ReturnType<typeof useCrdtMap<DotFun<CounterEntry>, number>>;
    expectTypeOf<State['value']>().toEqualTypeOf<ReadonlyMap<Key, number>>();
    expectTypeOf<State['handle']['value']>().toEqualTypeOf<ReadonlyMap<Key, number>>();
  });

  it('useBoundedCounter reads numbers and has the handle’s rights methods', () => {
    type State = ReturnType<typeof useBoundedCounter>;
    expectTypeOf<State['value']>().toEqualTypeOf<number>();
    expectTypeOf<State['available']>().toEqualTypeOf<number>();
    expectTypeOf<State['localRights']>().toEqualTypeOf<number>();
    expectTypeOf<State['leased']>().toEqualTypeOf<number>();
    expectTypeOf<State['take']>().returns.toEqualTypeOf<Promise<Receipt>>();
    expectTypeOf<State['decrement']>().returns.toEqualTypeOf<Receipt>();
    expectTypeOf<State['release']>().returns.toEqualTypeOf<Receipt | undefined>();
  });

  it('useQuantity reads a number and returns receipts', () => {
    type State = ReturnType<typeof useQuantity>;
    expectTypeOf<State['value']>().toEqualTypeOf<number>();
    expectTypeOf<State['decrement']>().returns.toEqualTypeOf<Receipt>();
    expectTypeOf<State['handle']['reset']>().returns.toEqualTypeOf<Receipt>();
  });
});
