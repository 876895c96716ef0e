import type { Receipt } from '@helios/client';
import { Quantity, QuantityBelowZeroError } from '@helios/core';
import { act, fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { HeliosProvider } from './helios-provider.js';
import { testClient } from './test-support/helpers.js';
import { useCrdtMap } from './use-crdt-map.js';
import { useQuantity } from './use-quantity.js';

function Seats({ receipts }: { receipts: Receipt[] }) {
  const { value, increment, decrement } = useQuantity('seats');
  return (
    <>
      <span data-testid="seats">{value}</span>
      <button type="button" onClick={() => receipts.push(increment())}>
        +
      </button>
      <button type="button" onClick={() => receipts.push(decrement())}>
        −
      </button>
    </>
  );
}

function CartLine({ receipts }: { receipts: Receipt[] }) {
  const cart = useCrdtMap('cart', Quantity);
  return (
    <>
      <span data-testid="line">{cart.value.get('sku') ?? 0}</span>
      <button
        type="button"
        onClick={() => receipts.push(cart.update('sku', (l, me) => Quantity.decrement(l, me)))}
      >
        remove one
      </button>
    </>
  );
}

describe('useQuantity', () => {
  it('renders the quantity; "−" at zero fails its receipt instead of throwing in the handler', async () => {
    const client = testClient();
    const receipts: Receipt[] = [];
    render(
      <HeliosProvider client={client}>
        <Seats receipts={receipts} />
      </HeliosProvider>,
    );
    await act(() => client.open('seats', Quantity).loaded);
    fireEvent.click(screen.getByText('+'));
    expect(screen.getByTestId('seats').textContent).toBe('1');
    fireEvent.click(screen.getByText('−'));
    fireEvent.click(screen.getByText('−'));
    expect(screen.getByTestId('seats').textContent).toBe('0');
    expect(receipts.map((r) => r.error?.constructor)).toEqual([
      undefined,
      undefined,
      QuantityBelowZeroError,
    ]);
  });

  it('a cart of quantities through useCrdtMap: the same failed receipt at zero', async () => {
    const client = testClient();
    const receipts: Receipt[] = [];
    render(
      <HeliosProvider client={client}>
        <CartLine receipts={receipts} />
      </HeliosProvider>,
    );
    await act(() => client.crdtMap('cart', Quantity).loaded);
    fireEvent.click(screen.getByText('remove one'));
    expect(screen.getByTestId('line').textContent).toBe('0');
    expect(receipts[0]?.error).toBeInstanceOf(QuantityBelowZeroError);
  });
});
