import { useCounter, useSyncStatus } from '@helios/react';
import { RELAY_URL } from './helios';

export function App() {
  // A PN-Counter document named "counter": every window of this app, on any device that syncs
  // through the same relay, sees the same value.
  const { value, increment, decrement } = useCounter('counter');
  const { connection, pendingTotal } = useSyncStatus();
  return (
    <main>
      <h1>Helios counter</h1>
      <p>
        <button type="button" onClick={() => decrement()} aria-label="decrement">
          −
        </button>{' '}
        <output aria-label="count">{value}</output>{' '}
        <button type="button" onClick={() => increment()} aria-label="increment">
          +
        </button>
      </p>
      <p>
        {connection}
        {pendingTotal > 0 && `, ${pendingTotal} unsent`} · relay {RELAY_URL}
      </p>
    </main>
  );
}
