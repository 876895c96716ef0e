import { act, render, screen } from '@testing-library/react';
import { Suspense } from 'react';
import { describe, expect, it } from 'vitest';
import { HeliosProvider } from './helios-provider.js';
import { freshDb, testClient } from './test-support/helpers.js';
import { useCounter } from './use-counter.js';
import { type ObservableDocument, useDocumentValue } from './use-document-value.js';
import { useLWWMap } from './use-lww-map.js';

function Settings({ seen }: { seen: ReadonlyMap<unknown, unknown>[] }) {
  const { value } = useLWWMap<string>('settings');
  seen.push(value);
  return <span data-testid="theme">{value.get('theme') ?? 'none'}</span>;
}

function Show({ doc }: { doc: ObservableDocument<string> }) {
  return <span data-testid="v">{useDocumentValue(doc).value}</span>;
}

function Stock({ rendered }: { rendered: string[] }) {
  const { value, loaded } = useCounter('stock', { suspense: true });
  rendered.push(`${value}/${loaded}`);
  return <p>stock {value}</p>;
}

describe('useDocumentValue', () => {
  it("returns the handle's memoized value: the same object until the document changes", async () => {
    const client = testClient();
    const handle = client.lwwMap<string>('settings');
    await handle.loaded;
    const seen: ReadonlyMap<unknown, unknown>[] = [];
    const ui = () => (
      <HeliosProvider client={client}>
        <Settings seen={seen} />
      </HeliosProvider>
    );
    const { rerender } = render(ui());
    rerender(ui()); // a parent re-render
    rerender(ui());
    expect(seen.length).toBe(3);
    expect(new Set(seen).size).toBe(1);
    expect(seen[0]).toBe(handle.value);

    act(() => {
      handle.set('theme', 'dark');
    });
    expect(screen.getByTestId('theme').textContent).toBe('dark');
    expect(seen.at(-1)).not.toBe(seen[0]);
    expect(seen.at(-1)).toBe(handle.value);
  });

  it('works over any observable document, not only client handles', () => {
    const listeners = new Set<() => void>();
    const doc: ObservableDocument<string> & { v: string } = {
      v: 'a',
      get value() {
        return this.v;
      },
      isLoaded: true,
      loaded: Promise.resolve(),
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    const { unmount } = render(<Show doc={doc} />);
    act(() => {
      doc.v = 'b';
      for (const l of listeners) l();
    });
    expect(screen.getByTestId('v').textContent).toBe('b');
    unmount();
    expect(listeners.size).toBe(0);
  });

  it('with suspense: shows the fallback until the document has loaded, then the stored value', async () => {
    // Store a value, then read it from a new client on the same database.
    const dbName = freshDb();
    const first = testClient([], { dbName });
    await first.counter('stock').loaded; // close() would drop a write still queued for the load
    first.counter('stock').increment(5);
    await first.close();

    const client = testClient([], { dbName });
    const rendered: string[] = [];
    render(
      <HeliosProvider client={client}>
        <Suspense fallback={<p>loading</p>}>
          <Stock rendered={rendered} />
        </Suspense>
      </HeliosProvider>,
    );
    expect(screen.getByText('loading')).toBeTruthy();
    expect(await screen.findByText('stock 5')).toBeTruthy();
    // It never rendered the empty value.
    expect(rendered.every((r) => r === '5/true')).toBe(true);
  });
});
