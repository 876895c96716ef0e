import type { HeliosClient } from '@helios/client';
import { type Dot, PNCounter } from '@helios/core';
import { act, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { describe, expect, it } from 'vitest';
import { HeliosProvider } from './helios-provider.js';
import { testClient } from './test-support/helpers.js';
import { useAWSet } from './use-aw-set.js';
import { useCrdtMap } from './use-crdt-map.js';
import { useGCounter } from './use-g-counter.js';
import { useLWWMap } from './use-lww-map.js';
import { useMVRegister } from './use-mv-register.js';
import { useORSet } from './use-or-set.js';
import { useRegister } from './use-register.js';
import { useRWSet } from './use-rw-set.js';

function setup<R>(hook: () => R, client: HeliosClient = testClient()) {
  const wrapper = ({ children }: { children: ReactNode }) => (
    <HeliosProvider client={client}>{children}</HeliosProvider>
  );
  return { client, ...renderHook(hook, { wrapper }) };
}

describe('document hooks', () => {
  it('useGCounter counts up', async () => {
    const { client, result } = setup(() => useGCounter('views'));
    await act(() => client.gCounter('views').loaded);
    const { increment } = result.current;
    act(() => {
      increment();
      increment(4);
    });
    expect(result.current.value).toBe(5);
    expect(result.current.increment).toBe(increment);
  });

  it('useRegister reads and writes a typed value', async () => {
    const { client, result } = setup(() => useRegister<string>('title'));
    expect(result.current.value).toBeUndefined();
    await act(() => client.register('title').loaded);
    act(() => {
      result.current.set('Hello');
    });
    expect(result.current.value).toBe('Hello');
    expect(result.current.loaded).toBe(true);
  });

  it('useMVRegister shows one value, then a conflict, then the resolution', async () => {
    const { client, result } = setup(() => useMVRegister<string>('headline'));
    await act(() => client.mvRegister('headline').loaded);
    expect(result.current.values).toEqual([]);
    act(() => {
      result.current.set('A');
    });
    expect(result.current.values).toEqual(['A']);
    expect(result.current.conflicted).toBe(false);
    // (Conflicts between two clients through a relay: relay.test.tsx.)
    act(() => {
      result.current.resolve('B');
    });
    expect(result.current.values).toEqual(['B']);
  });

  it('useLWWMap sets, gets and deletes keys', async () => {
    const { client, result } = setup(() => useLWWMap<number>('scores'));
    await act(() => client.lwwMap('scores').loaded);
    const { set } = result.current;
    act(() => {
      set('ann', 3);
      set('bob', 5);
    });
    expect(result.current.get('ann')).toBe(3);
    expect(Object.fromEntries(result.current.value)).toEqual({ ann: 3, bob: 5 });
    act(() => {
      result.current.delete('ann');
    });
    expect(result.current.get('ann')).toBeUndefined();
    expect(result.current.set).toBe(set);
  });

  it('useAWSet and useRWSet add, test and remove elements', async () => {
    const client = testClient();
    const aw = setup(() => useAWSet<string>('tags'), client);
    const rw = setup(() => useRWSet<number>('blocked'), client);
    await act(() => Promise.all([client.awSet('tags').loaded, client.rwSet('blocked').loaded]));
    act(() => {
      aw.result.current.add('red');
      aw.result.current.add('blue');
      rw.result.current.add(7);
    });
    expect(aw.result.current.has('red')).toBe(true);
    expect([...aw.result.current.value].sort()).toEqual(['blue', 'red']);
    expect(rw.result.current.has(7)).toBe(true);
    act(() => {
      aw.result.current.remove('red');
      rw.result.current.remove(7);
    });
    expect(aw.result.current.has('red')).toBe(false);
    expect(rw.result.current.value.size).toBe(0);
  });

  it('useORSet removes one instance by its tag', async () => {
    const { client, result } = setup(() => useORSet<string>('cursor'));
    await act(() => client.orSet('cursor').loaded);
    let first: Dot | undefined;
    act(() => {
      first = result.current.add('x').tag;
      result.current.add('x');
    });
    expect(first).toBeDefined();
    act(() => {
      result.current.removeTag(first!);
    });
    expect(result.current.has('x')).toBe(true); // the second instance stays
    act(() => {
      result.current.remove('x');
    });
    expect(result.current.has('x')).toBe(false);
  });

  it('useCrdtMap updates nested CRDTs per key', async () => {
    const { client, result } = setup(() => useCrdtMap('cart', PNCounter));
    await act(() => client.crdtMap('cart', PNCounter).loaded);
    const { update } = result.current;
    act(() => {
      update('beans', (line, me) => PNCounter.increment(line, me, 2));
      update('mug', (line, me) => PNCounter.increment(line, me, 1));
    });
    expect(Object.fromEntries(result.current.value)).toEqual({ beans: 2, mug: 1 });
    act(() => {
      result.current.remove('mug');
    });
    expect(Object.fromEntries(result.current.value)).toEqual({ beans: 2 });
    expect(result.current.update).toBe(update);
  });

  it('a document id opened as another type throws the client error', () => {
    const client = testClient();
    client.counter('likes');
    expect(() => setup(() => useRegister('likes'), client)).toThrow(/open as a/);
  });
});
