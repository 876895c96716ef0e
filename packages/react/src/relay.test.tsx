import type { HeliosClient } from '@helios/client';
import { act, fireEvent, render, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { HeliosProvider } from './helios-provider.js';
import { startRelay, testClient, until } from './test-support/helpers.js';
import { useCounter } from './use-counter.js';
import { useMVRegister } from './use-mv-register.js';

function Likes() {
  const { value, increment } = useCounter('likes');
  return (
    <button type="button" onClick={() => increment()}>
      likes {value}
    </button>
  );
}

function Headline() {
  const { values, conflicted, resolve } = useMVRegister<string>('headline');
  return (
    <div>
      <output>{[...values].sort().join('|')}</output>
      {conflicted && (
        <button type="button" onClick={() => resolve('merged')}>
          resolve
        </button>
      )}
    </div>
  );
}

function app(client: HeliosClient, children: React.ReactNode) {
  const container = document.body.appendChild(document.createElement('div'));
  render(<HeliosProvider client={client}>{children}</HeliosProvider>, { container });
  return within(container);
}

describe('updates from another client through a relay', () => {
  it("one client's click shows up in the other client's component", async () => {
    const url = await startRelay();
    const a = testClient([url]);
    const b = testClient([url]);
    const screenA = app(a, <Likes />);
    const screenB = app(b, <Likes />);
    await act(() => Promise.all([a.counter('likes').loaded, b.counter('likes').loaded]));
    await until(() => a.status.connection === 'online' && b.status.connection === 'online', 'up');

    fireEvent.click(screenA.getByRole('button'));
    expect(screenA.getByRole('button').textContent).toBe('likes 1'); // at once, locally
    await waitFor(() => expect(screenB.getByRole('button').textContent).toBe('likes 1'), {
      timeout: 10_000,
    });
    fireEvent.click(screenB.getByRole('button'));
    await waitFor(() => expect(screenA.getByRole('button').textContent).toBe('likes 2'), {
      timeout: 10_000,
    });
  });

  it('concurrent offline writes show as a conflict on both, and resolve everywhere', async () => {
    const url = await startRelay();
    const a = testClient([url], { offline: true });
    const b = testClient([url], { offline: true });
    const screenA = app(a, <Headline />);
    const screenB = app(b, <Headline />);
    await act(async () => {
      await Promise.all([a.mvRegister('headline').loaded, b.mvRegister('headline').loaded]);
      a.mvRegister<string>('headline').set('from a');
      b.mvRegister<string>('headline').set('from b');
      await Promise.all([a.flush('local'), b.flush('local')]);
    });
    act(() => {
      a.setOnline(true);
      b.setOnline(true);
    });
    for (const s of [screenA, screenB]) {
      await waitFor(() => expect(s.getByRole('status').textContent).toBe('from a|from b'), {
        timeout: 10_000,
      });
    }
    fireEvent.click(screenA.getByText('resolve'));
    for (const s of [screenA, screenB]) {
      await waitFor(() => expect(s.getByRole('status').textContent).toBe('merged'), {
        timeout: 10_000,
      });
      expect(s.queryByText('resolve')).toBeNull();
    }
  });
});
