import { act, fireEvent, render, screen } from '@testing-library/react';
import { StrictMode } from 'react';
import { describe, expect, it } from 'vitest';
import { HeliosProvider } from './helios-provider.js';
import { countListeners, testClient } from './test-support/helpers.js';
import { type CounterState, useCounter } from './use-counter.js';

function Counter({ id, renders }: { id: string; renders?: Record<string, number> }) {
  const { value, loaded } = useCounter(id);
  if (renders) renders[id] = (renders[id] ?? 0) + 1;
  return (
    <span data-testid={id}>
      {value}
      {loaded ? '' : '…'}
    </span>
  );
}

function LikeButton({ seen }: { seen: CounterState[] }) {
  const likes = useCounter('likes');
  seen.push(likes);
  return (
    <button type="button" onClick={() => likes.increment()}>
      like
    </button>
  );
}

describe('useCounter', () => {
  it('re-renders only the component whose counter changed', async () => {
    const client = testClient();
    const renders: Record<string, number> = {};
    render(
      <HeliosProvider client={client}>
        <Counter id="a" renders={renders} />
        <Counter id="b" renders={renders} />
      </HeliosProvider>,
    );
    await act(() => Promise.all([client.counter('a').loaded, client.counter('b').loaded]));
    expect(screen.getByTestId('a').textContent).toBe('0');
    const before = { ...renders };

    act(() => {
      client.counter('b').increment(3);
    });
    expect(screen.getByTestId('b').textContent).toBe('3');
    expect(renders.b).toBe(before.b! + 1);
    expect(renders.a).toBe(before.a);

    // Writes of one event render once.
    act(() => {
      for (let i = 0; i < 10; i++) client.counter('b').increment();
    });
    expect(screen.getByTestId('b').textContent).toBe('13');
    expect(renders.b).toBe(before.b! + 2);
    expect(renders.a).toBe(before.a);
  });

  it('shows loaded once the document is read, even when the value stays 0', async () => {
    const client = testClient();
    render(
      <HeliosProvider client={client}>
        <Counter id="empty" />
      </HeliosProvider>,
    );
    expect(screen.getByTestId('empty').textContent).toBe('0…');
    await act(() => client.counter('empty').loaded);
    expect(screen.getByTestId('empty').textContent).toBe('0');
  });

  it('updates every component reading the counter; mutators are stable across renders', async () => {
    const client = testClient();
    const seen: CounterState[] = [];
    render(
      <HeliosProvider client={client}>
        <LikeButton seen={seen} />
        <Counter id="likes" />
      </HeliosProvider>,
    );
    await act(() => client.counter('likes').loaded);
    fireEvent.click(screen.getByText('like'));
    fireEvent.click(screen.getByText('like'));
    expect(screen.getByTestId('likes').textContent).toBe('2');
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(new Set(seen.map((s) => s.increment)).size).toBe(1);
    expect(new Set(seen.map((s) => s.decrement)).size).toBe(1);
    expect(seen.at(-1)!.value).toBe(2);
    expect(seen.at(-1)!.handle).toBe(client.counter('likes'));
  });

  it('removes its listeners on unmount', async () => {
    const client = testClient();
    const listeners = countListeners(client.counter('x'));
    const { unmount } = render(
      <HeliosProvider client={client}>
        <Counter id="x" />
        <Counter id="x" />
      </HeliosProvider>,
    );
    await act(() => client.counter('x').loaded);
    expect(listeners.active).toBeGreaterThan(0);
    unmount();
    expect(listeners.active).toBe(0);
  });

  it('in StrictMode: subscriptions stay symmetric, updates still arrive, nothing leaks', async () => {
    const client = testClient();
    const handle = client.counter('strict');
    const listeners = countListeners(handle);
    const plain = render(
      <HeliosProvider client={client}>
        <Counter id="strict" />
      </HeliosProvider>,
    );
    const perComponent = listeners.active;
    plain.unmount();
    expect(listeners.active).toBe(0);

    const strict = render(
      <StrictMode>
        <HeliosProvider client={client}>
          <Counter id="strict" />
        </HeliosProvider>
      </StrictMode>,
    );
    // StrictMode subscribes, unsubscribes and subscribes again: the same count remains.
    expect(listeners.active).toBe(perComponent);
    await act(() => handle.loaded);
    act(() => {
      handle.increment(4);
    });
    expect(screen.getByTestId('strict').textContent).toBe('4');
    strict.unmount();
    expect(listeners.active).toBe(0);
  });
});
