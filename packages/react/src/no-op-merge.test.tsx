import { AWSet, PNCounter } from '@helios/core';
import { act, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { HeliosProvider } from './helios-provider.js';
import { freshDb, testClient, until } from './test-support/helpers.js';
import { useAWSet } from './use-aw-set.js';
import { useCounter } from './use-counter.js';

function Wishlist({ renders }: { renders: { count: number } }) {
  const { value } = useAWSet<string>('wishlist');
  renders.count++;
  return <output data-testid="wishlist">{[...value].sort().join(',')}</output>;
}

function Likes() {
  return <output data-testid="likes">{useCounter('likes').value}</output>;
}

const channels: BroadcastChannel[] = [];
afterEach(() => {
  for (const c of channels.splice(0)) c.close();
});

/**
 * Joins the channel the tabs of a profile share (a client posts the own writes of each commit
 * there, `{ kind: 'writes', writes: [{ doc, delta }], … }`; see @helios/client's tab-channel.ts).
 */
function tabChannel(dbName: string): { channel: BroadcastChannel; posted: unknown[] } {
  const channel = new BroadcastChannel(`helios:${dbName}:tabs`);
  channels.push(channel);
  const posted: unknown[] = [];
  channel.onmessage = (event: MessageEvent) => posted.push(event.data);
  return { channel, posted };
}

describe('a merge that changes nothing', () => {
  it('does not re-render the component; a real change does', async () => {
    const dbName = freshDb();
    const writer = testClient([], { dbName }); // another tab of the same profile
    const reader = testClient([], { dbName });
    const tab = tabChannel(dbName);
    const renders = { count: 0 };
    render(
      <HeliosProvider client={reader}>
        <Wishlist renders={renders} />
        <Likes />
      </HeliosProvider>,
    );
    const wishlist = reader.awSet<string>('wishlist');
    await act(() => Promise.all([wishlist.loaded, reader.counter('likes').loaded]));
    await writer.awSet<string>('wishlist').loaded;

    act(() => {
      writer.awSet<string>('wishlist').add('mug');
    });
    await act(() => until(() => tab.posted.length === 1, 'the write reached the tab channel'));
    await act(() => until(() => wishlist.value.has('mug'), 'the other tab merged it'));
    const rendered = renders.count;
    const value = wishlist.value;

    // Posts `message` to the reader as another tab would, then a change of another document:
    // one sender's messages arrive in order, so once that change shows, `message` has been
    // merged and any re-render it caused has happened.
    const other = { replica: 'ffffffffffffff' };
    const likes = PNCounter.empty();
    let commit = 0;
    const stored = (doc: string, delta: Uint8Array) => ({
      kind: 'writes',
      tab: 'another',
      commit: ++commit,
      writes: [{ doc, delta }],
      stored: true,
    });
    const deliver = (message: unknown) =>
      act(async () => {
        tab.channel.postMessage(message);
        const like = PNCounter.increment(likes, other, 1);
        PNCounter.merge(likes, like);
        tab.channel.postMessage(stored('likes', PNCounter.encode(like)));
        const shown = PNCounter.value(likes);
        await until(() => reader.counter('likes').value === shown, 'the later message merged');
      });

    // The same delta again, as a relay, a second tab or our own echo delivers it.
    await deliver(tab.posted[0]);
    // A removal of an element the reader never had: new to its context, not to its value.
    const removal = AWSet.remove(AWSet.empty(), { replica: 'eeeeeeeeeeeeee' }, 'tea');
    await deliver(stored('wishlist', AWSet.encode(removal)));
    expect(screen.getByTestId('likes').textContent).toBe('2');
    expect(renders.count).toBe(rendered);
    expect(wishlist.value).toBe(value);

    // A real change (a concurrent add by another replica) renders once.
    const tea = AWSet.add(AWSet.empty(), other, 'tea');
    await deliver(stored('wishlist', AWSet.encode(tea)));
    expect(screen.getByTestId('wishlist').textContent).toBe('mug,tea');
    expect(renders.count).toBe(rendered + 1);
  });
});
