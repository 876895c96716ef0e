import type { BoundedCounterHandle, Receipt } from '@helios/client';
import { AWSet, BoundedCounter, orMap, PNCounter } from '@helios/core';
import { act, render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { HeliosProvider } from './helios-provider.js';
import { testClient } from './test-support/helpers.js';
import { useCounter } from './use-counter.js';
import { type DocumentView, useDocument } from './use-document.js';

const Cart = orMap(PNCounter);

function Line({ sku, renders }: { sku: string; renders: Record<string, number> }) {
  const { value } = useDocument('cart', Cart, (cart) => cart.get(sku) ?? 0);
  renders[sku] = (renders[sku] ?? 0) + 1;
  return <span data-testid={sku}>{value}</span>;
}

function Both({ seen }: { seen: unknown[] }) {
  const generic = useDocument('likes', PNCounter);
  const named = useCounter('likes');
  const tags = useDocument<typeof AWSet, 'red'>('tags', AWSet);
  seen.push(generic.handle === named.handle, generic.value, tags.value.has('red'));
  return null;
}

type StockView = DocumentView<BoundedCounterHandle, number>;

function Stock({ seen }: { seen: StockView[] }) {
  seen.push(useDocument('stock', BoundedCounter));
  return null;
}

describe('useDocument', () => {
  it('re-renders only when the selected slice changes', async () => {
    const client = testClient();
    const renders: Record<string, number> = {};
    render(
      <HeliosProvider client={client}>
        <Line sku="mug" renders={renders} />
        <Line sku="tea" renders={renders} />
      </HeliosProvider>,
    );
    const cart = client.crdtMap('cart', PNCounter);
    await act(() => cart.loaded);
    const before = { ...renders };

    act(() => {
      cart.update('mug', (line, me) => PNCounter.increment(line, me, 2));
    });
    expect(screen.getByTestId('mug').textContent).toBe('2');
    expect(renders.mug).toBe(before.mug! + 1);
    expect(renders.tea).toBe(before.tea); // the cart changed, its tea line did not

    act(() => {
      cart.update('tea', (line, me) => PNCounter.increment(line, me, 1));
    });
    expect(screen.getByTestId('tea').textContent).toBe('1');
    expect(renders.mug).toBe(before.mug! + 1);
  });

  it('opens the document by its type, with the handle the named hooks and openers share', async () => {
    const client = testClient();
    const seen: unknown[] = [];
    render(
      <HeliosProvider client={client}>
        <Both seen={seen} />
      </HeliosProvider>,
    );
    await act(() => client.counter('likes').loaded);
    expect(seen.slice(0, 3)).toEqual([true, 0, false]);
    act(() => {
      client.counter('likes').increment(5);
    });
    expect(seen.slice(-3)).toEqual([true, 5, false]);
  });

  it('renders a type with no hook of its own, with its handle methods: a bounded counter', async () => {
    const client = testClient();
    const seen: StockView[] = [];
    render(
      <HeliosProvider client={client}>
        <Stock seen={seen} />
      </HeliosProvider>,
    );
    const stock = client.open('stock', BoundedCounter);
    await act(() => Promise.all([client.ready, stock.loaded]));
    act(() => {
      seen.at(-1)!.increment(2);
    });
    expect([seen.at(-1)!.value, stock.localRights]).toEqual([2, 2]);
    let refused: Receipt | undefined;
    act(() => {
      refused = seen.at(-1)!.decrement(3);
    });
    expect(refused?.error).toMatchObject({ code: 'insufficient-rights' });
    expect(seen.at(-1)!.value).toBe(2);
  });
});
