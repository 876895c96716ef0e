import type {
  AWSet,
  BoundedCounter,
  Key,
  LWWRegister,
  orMap,
  PNCounter,
  Quantity,
} from '@helios/core';
import type { Observable } from 'rxjs';
import { describe, expectTypeOf, it } from 'vitest';
import type { BoundedCounterHandle } from './bounded-counter-handle.js';
import type { HeliosClient } from './client.js';
import type { HandleOf } from './handle-table.js';
import type {
  AWSetHandle,
  CounterHandle,
  CrdtMapHandle,
  QuantityHandle,
  RegisterHandle,
} from './handles.js';

// Checked by `npm run typecheck`, not at run time: each line fails to compile if a handle gives
// the CRDT's untyped `Value`/`Key` instead of the type it was opened with.

type Settings = { readonly theme: 'light' | 'dark' };

describe('handle types', () => {
  it('carry the type they were opened with to the value, the Observable and the mutators', () => {
    type Register = ReturnType<typeof HeliosClient.prototype.register<Settings>>;
    expectTypeOf<Register['value']>().toEqualTypeOf<Settings | undefined>();
    expectTypeOf<Register['value$']>().toEqualTypeOf<Observable<Settings | undefined>>();
    expectTypeOf<Register['set']>().parameter(0).toEqualTypeOf<Settings>();

    type Tags = ReturnType<typeof HeliosClient.prototype.awSet<'red' | 'blue'>>;
    expectTypeOf<Tags['value']>().toEqualTypeOf<ReadonlySet<'red' | 'blue'>>();
    expectTypeOf<Tags['value$']>().toEqualTypeOf<Observable<ReadonlySet<'red' | 'blue'>>>();

    type Prefs = ReturnType<typeof HeliosClient.prototype.lwwMap<Settings>>;
    expectTypeOf<Prefs['value']>().toEqualTypeOf<ReadonlyMap<Key, Settings>>();
    expectTypeOf<Prefs['get']>().returns.toEqualTypeOf<Settings | undefined>();
  });

  it('open(id, Type) gives the handle of the type, with the element type it was given', () => {
    expectTypeOf<HandleOf<typeof PNCounter>>().toEqualTypeOf<CounterHandle>();
    expectTypeOf<HandleOf<typeof BoundedCounter>>().toEqualTypeOf<BoundedCounterHandle>();
    expectTypeOf<HandleOf<typeof Quantity>>().toEqualTypeOf<QuantityHandle>();
    expectTypeOf<HandleOf<typeof LWWRegister, Settings>>().toEqualTypeOf<
      RegisterHandle<Settings>
    >();
    expectTypeOf<HandleOf<typeof AWSet, 'red'>>().toEqualTypeOf<AWSetHandle<'red'>>();
    type Cart = HandleOf<ReturnType<typeof orMap<unknown, number>>>;
    expectTypeOf<Cart>().toEqualTypeOf<CrdtMapHandle<unknown, number>>();
    type Opened = ReturnType<typeof HeliosClient.prototype.open<typeof PNCounter>>;
    expectTypeOf<Opened['increment']>().returns.toEqualTypeOf<
      ReturnType<CounterHandle['increment']>
    >();
  });
});
