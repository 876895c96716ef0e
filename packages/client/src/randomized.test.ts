import 'fake-indexeddb/auto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Dot, PNCounter } from '@helios/core';
import { createRng } from '@helios/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import type { HeliosClient } from './client.js';
import type {
  AWSetHandle,
  CounterHandle,
  GCounterHandle,
  LWWMapHandle,
  MVRegisterHandle,
  ORSetHandle,
  RegisterHandle,
  RWSetHandle,
} from './handles.js';
import type { Receipt } from './receipt.js';
import { freshDb, type Mesh, Resources, sleep, until } from './test-support/harness.js';

/**
 * Randomized schedules over the whole stack: 5 clients (two of them tabs of one profile) on 3
 * peered relays with SQLite stores, random writes to every handle type, random disconnects,
 * client restarts from IndexedDB, relay restarts and peer partitions. At the end everyone is
 * online and quiet; every client and every relay must hold the same values, and no write may
 * be lost: every counter sums every increment made, every set holds every element added and
 * not removed afterwards. `HELIOS_SEED=<n>` replays one schedule.
 *
 * New schedules start for `HELIOS_SOAK_MS` (default 5 s: one to three schedules, of 2 to 8 s
 * each, in the everyday suite); a soak sets it higher, e.g. `HELIOS_SOAK_MS=60000` (the test
 * times out at 120 s).
 */
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-south-1'] as const;
const CLIENTS = 5;
const OPS = Number(process.env.HELIOS_OPS ?? 220);
/** How long new schedules keep starting (ms). */
const SOAK_MS = Number(process.env.HELIOS_SOAK_MS ?? 5_000);
/**
 * Refusals a client meets in these schedules and recovers from by itself: writes refused until
 * the relay has caught up, and a handshake that reached a relay as it shut down (the schedules
 * stop relays; the client dials again, that relay or another).
 */
const RETRIED =
  /: (unknown-context|counter-decrease|rate-limited) |: unavailable the relay is shutting down$/;

interface Docs {
  readonly counter: CounterHandle;
  readonly gCounter: GCounterHandle;
  readonly register: RegisterHandle<string>;
  readonly mv: MVRegisterHandle<string>;
  readonly map: LWWMapHandle<number>;
  readonly aw: AWSetHandle<string>;
  readonly or: ORSetHandle<string>;
  readonly rw: RWSetHandle<string>;
  readonly cart: ReturnType<typeof openCart>;
}

const openCart = (c: HeliosClient) => c.crdtMap('cart', PNCounter);

function open(c: HeliosClient): Docs {
  return {
    counter: c.counter('counter'),
    gCounter: c.gCounter('g-counter'),
    register: c.register<string>('register'),
    mv: c.mvRegister<string>('mv-register'),
    map: c.lwwMap<number>('lww-map'),
    aw: c.awSet<string>('aw-set'),
    or: c.orSet<string>('or-set'),
    rw: c.rwSet<string>('rw-set'),
    cart: openCart(c),
  };
}

/** A value as comparable text: sets and maps sorted, concurrent register values sorted. */
function canonical(docs: Docs): string {
  const sortedSet = (s: ReadonlySet<unknown>) => [...s].map(String).sort();
  const sortedMap = (m: ReadonlyMap<unknown, unknown>) =>
    [...m].map(([k, v]) => [String(k), v] as const).sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify({
    counter: docs.counter.value,
    gCounter: docs.gCounter.value,
    register: docs.register.value ?? null,
    mv: [...docs.mv.values].sort(),
    map: sortedMap(docs.map.value),
    aw: sortedSet(docs.aw.value),
    or: sortedSet(docs.or.value),
    rw: sortedSet(docs.rw.value),
    cart: sortedMap(docs.cart.value),
  });
}

/** Awaits `promise`, or fails with `message()` if it takes longer than `ms`. */
async function withTimeout<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

const loaded = (docs: Docs) => Promise.all(Object.values(docs).map((h) => h.loaded));

/** What the schedule did, to check the end state against. */
class Ledger {
  counter = 0;
  gCounter = 0;
  /** Per cart key: the sum of its increments, or null once someone removed the key. */
  readonly cart = new Map<string, number | null>();
  /** Per set and element: the op index of its last add and of its last remove. */
  readonly adds = new Map<string, number>();
  readonly removes = new Map<string, number>();
  /** Every add with its receipt: tells acknowledged adds apart when one is missing. */
  readonly ackedAdds: { key: string; at: number; receipt: Receipt }[] = [];
  readonly counterReceipts: { receipt: Receipt; amount: number; doc: string }[] = [];
  readonly failures: string[] = [];
  ops = 0;

  watch(receipt: Receipt, what: string): Receipt {
    receipt.wait('local').catch((err: Error) => this.failures.push(`${what}: ${err.message}`));
    receipt.wait('relay').catch((err: Error) => this.failures.push(`${what}: ${err.message}`));
    return receipt;
  }
}

interface Slot {
  readonly dbName: string;
  readonly relays: string[];
  client: HeliosClient;
  docs: Docs;
  online: boolean;
  /** Tags of this client's OR-Set adds, by element, for removeTag. */
  readonly tags: Map<string, Dot[]>;
}

async function runSchedule(
  seed: number,
  res: Resources,
): Promise<{ ops: number; retried: number }> {
  const rng = createRng(seed);
  const dir = await mkdtemp(join(tmpdir(), 'helios-client-random-'));
  res.track({ close: () => rm(dir, { recursive: true, force: true }) });
  const mesh: Mesh = await res.mesh(REGIONS, dir);
  const down = new Set<string>();
  const partitioned = new Set<string>();
  const ledger = new Ledger();
  const events: string[] = [];
  const relayErrors: string[] = [];
  let slots: Slot[] = [];
  const context = () =>
    [
      `seed ${seed}`,
      ...slots.map(
        (s, i) =>
          `client ${i}: ${JSON.stringify({ ...s.client.status, replica: s.client.replica })}`,
      ),
      `receipt failures: ${ledger.failures.join('; ') || 'none'}`,
      `relay errors: ${relayErrors.join('; ') || 'none'}`,
      `events:\n  ${events.join('\n  ')}`,
    ].join('\n');
  const bounded = <T>(promise: Promise<T>, what: string, ms = 15_000): Promise<T> =>
    withTimeout(promise, ms, () => `${what}: over ${ms} ms\n${context()}`);

  // Clients 3 and 4 are two tabs of one browser profile.
  const sharedDb = freshDb('random-tabs');
  slots = [];
  const start = (dbName: string, relays: string[], online: boolean) => {
    const client = res.client(relays, { dbName, offline: !online, homeProbeMs: 100 });
    // Every error a relay reports (refused pushes of earlier sessions have no receipt).
    let last: unknown = null;
    client.status$.subscribe((s) => {
      if (s.lastError !== null && s.lastError !== last) {
        relayErrors.push(`${client.replica ?? '?'}: ${s.lastError.code} ${s.lastError.message}`);
      }
      last = s.lastError;
    });
    return client;
  };
  for (let i = 0; i < CLIENTS; i++) {
    const home = i % REGIONS.length;
    const relays = [0, 1, 2].map((k) => mesh.url(REGIONS[(home + k) % REGIONS.length]!));
    const dbName = i >= 3 ? sharedDb : freshDb('random');
    const client = start(dbName, relays, true);
    slots.push({ dbName, relays, client, docs: open(client), online: true, tags: new Map() });
  }
  await bounded(Promise.all(slots.map((s) => loaded(s.docs))), 'first load');

  const write = (slot: Slot, op: number) => {
    const d = slot.docs;
    const el = `e${rng.int(8)}`;
    const what = `op ${op}`;
    switch (rng.int(11)) {
      case 0: {
        const n = 1 + rng.int(5);
        ledger.counter += n;
        ledger.counterReceipts.push({
          receipt: ledger.watch(d.counter.increment(n), what),
          amount: n,
          doc: 'counter',
        });
        return;
      }
      case 1: {
        const n = 1 + rng.int(3);
        ledger.counter -= n;
        ledger.counterReceipts.push({
          receipt: ledger.watch(d.counter.decrement(n), what),
          amount: -n,
          doc: 'counter',
        });
        return;
      }
      case 2: {
        const n = 1 + rng.int(5);
        ledger.gCounter += n;
        ledger.counterReceipts.push({
          receipt: ledger.watch(d.gCounter.increment(n), what),
          amount: n,
          doc: 'g-counter',
        });
        return;
      }
      case 3:
        ledger.watch(d.register.set(`v${op}`), what);
        return;
      case 4:
        ledger.watch(rng.chance(0.8) ? d.mv.set(`v${op}`) : d.mv.resolve(`r${op}`), what);
        return;
      case 5: {
        const key = `k${rng.int(5)}`;
        ledger.watch(rng.chance(0.75) ? d.map.set(key, op) : d.map.delete(key), what);
        return;
      }
      case 6:
      case 7:
      case 8: {
        const set = (['aw', 'or', 'rw'] as const)[rng.int(3)]!;
        const key = `${set}:${el}`;
        if (rng.chance(0.7)) {
          let receipt: Receipt;
          if (set === 'or') {
            const added = d.or.add(el);
            receipt = added.receipt;
            if (added.tag) slot.tags.set(el, [...(slot.tags.get(el) ?? []), added.tag]);
          } else {
            receipt = set === 'aw' ? d.aw.add(el) : d.rw.add(el);
          }
          ledger.watch(receipt, what);
          ledger.adds.set(key, op);
          ledger.ackedAdds.push({ key, at: op, receipt });
        } else {
          const tag = set === 'or' && rng.chance(0.5) ? slot.tags.get(el)?.pop() : undefined;
          ledger.watch(
            tag !== undefined
              ? d.or.removeTag(tag) // one instance only
              : set === 'aw'
                ? d.aw.remove(el)
                : set === 'or'
                  ? d.or.remove(el)
                  : d.rw.remove(el),
            what,
          );
          ledger.removes.set(key, op);
        }
        return;
      }
      default: {
        const key = `sku-${rng.int(4)}`;
        if (rng.chance(0.85)) {
          const n = 1 + rng.int(3);
          const before = ledger.cart.get(key);
          if (before !== null) ledger.cart.set(key, (before ?? 0) + n);
          ledger.watch(
            d.cart.update(key, (line, me) => PNCounter.increment(line, me, n)),
            what,
          );
        } else {
          ledger.cart.set(key, null);
          ledger.watch(d.cart.remove(key), what);
        }
        return;
      }
    }
  };

  let relayRestarts = 0;
  for (let op = 0; op < OPS; op++) {
    ledger.ops++;
    const roll = rng.next();
    const slot = rng.pick(slots);
    if (roll < 0.78) {
      write(slot, op);
    } else if (roll < 0.86) {
      slot.online = !slot.online;
      slot.client.setOnline(slot.online);
      events.push(`${op}: client ${slots.indexOf(slot)} ${slot.online ? 'online' : 'offline'}`);
    } else if (roll < 0.92) {
      // Restart from IndexedDB; sometimes write at once, before the documents loaded.
      await bounded(slot.client.close(), `op ${op}: close`);
      slot.client = start(slot.dbName, slot.relays, slot.online);
      slot.docs = open(slot.client);
      events.push(`${op}: client ${slots.indexOf(slot)} restarted`);
      if (rng.chance(0.5)) await bounded(loaded(slot.docs), `op ${op}: load`);
    } else if (roll < 0.96) {
      const region = rng.pick(REGIONS);
      if (down.has(region)) {
        await bounded(mesh.start(region), `op ${op}: start ${region}`);
        down.delete(region);
        events.push(`${op}: relay ${region} up`);
      } else if (down.size === 0 && relayRestarts < 3) {
        relayRestarts++;
        await bounded(mesh.stop(region), `op ${op}: stop ${region}`);
        down.add(region);
        events.push(`${op}: relay ${region} down`);
      }
    } else {
      const region = rng.pick(REGIONS);
      const cut = !partitioned.has(region);
      mesh.partition(region, cut);
      if (cut) partitioned.add(region);
      else partitioned.delete(region);
      events.push(`${op}: peer links of ${region} ${cut ? 'cut' : 'healed'}`);
    }
    if (rng.chance(0.3)) await sleep(rng.int(25));
    else await Promise.resolve();
  }

  // Everyone back: relays up, links healed, clients online; then quiet.
  for (const region of down) await bounded(mesh.start(region), `final start ${region}`);
  for (const region of REGIONS) mesh.partition(region, false);
  for (const slot of slots) {
    slot.online = true;
    slot.client.setOnline(true);
  }

  await Promise.all(
    slots.map((s, i) => bounded(s.client.flush('relay'), `flush('relay') of client ${i}`, 20_000)),
  );
  // Fresh readers, one per relay, read what each relay holds.
  const readers = REGIONS.map((r) => open(res.client([mesh.url(r)], { homeProbeMs: 100 })));
  await bounded(Promise.all(readers.map(loaded)), 'readers load');
  const everyone = [...slots.map((s) => s.docs), ...readers];
  try {
    await until(
      () => new Set(everyone.map(canonical)).size === 1,
      'every client and relay agrees',
      20_000,
    );
  } catch (err) {
    const views = everyone.map(
      (d, i) => `${i < CLIENTS ? `client ${i}` : `relay ${REGIONS[i - CLIENTS]}`}: ${canonical(d)}`,
    );
    throw new Error(`${(err as Error).message}\n${views.join('\n')}\n${context()}`);
  }

  // Nothing lost.
  const final = slots[0]!.docs;
  const problems: string[] = [
    ...ledger.failures.map((f) => `receipt failed: ${f}`),
    // Refusals for now (retried until the relay has caught up) are expected; others are not.
    ...relayErrors.filter((e) => !RETRIED.test(e)).map((e) => `relay error: ${e}`),
  ];
  if (final.counter.value !== ledger.counter) {
    problems.push(`counter ${final.counter.value}, expected ${ledger.counter}`);
  }
  if (final.gCounter.value !== ledger.gCounter) {
    problems.push(`g-counter ${final.gCounter.value}, expected ${ledger.gCounter}`);
  }
  const ackedCounter = ledger.counterReceipts
    .filter((c) => c.doc === 'g-counter' && ['relay', 'global'].includes(c.receipt.level))
    .reduce((sum, c) => sum + c.amount, 0);
  if (final.gCounter.value < ackedCounter) {
    problems.push(`g-counter ${final.gCounter.value} < acknowledged increments ${ackedCounter}`);
  }
  for (const [key, sum] of ledger.cart) {
    if (sum !== null && final.cart.value.get(key) !== sum) {
      problems.push(`cart ${key} = ${final.cart.value.get(key)}, expected ${sum}`);
    }
  }
  const sets = { aw: final.aw.value, or: final.or.value, rw: final.rw.value };
  for (const [key, at] of ledger.adds) {
    const [set, el] = key.split(':') as ['aw' | 'or' | 'rw', string];
    const removedAt = ledger.removes.get(key);
    // Add-wins and observed-remove sets: a remove issued before the add cannot have seen it.
    // Remove-wins: any remove may win, so only never-removed elements are sure.
    const mustHave = set === 'rw' ? removedAt === undefined : (removedAt ?? -1) < at;
    if (mustHave && !sets[set].has(el)) {
      const acked = ledger.ackedAdds.some(
        (a) => a.key === key && a.at === at && ['relay', 'global'].includes(a.receipt.level),
      );
      problems.push(`${acked ? 'acknowledged ' : ''}add of ${el} to ${set} lost`);
    }
  }
  if (problems.length > 0) throw new Error(`${problems.join('\n')}\n${context()}`);
  return { ops: ledger.ops, retried: relayErrors.filter((e) => RETRIED.test(e)).length };
}

const res = new Resources();
afterEach(() => res.closeAll());

describe('randomized schedules', () => {
  it('every client and relay converges and no write is lost', async () => {
    const fixed = process.env.HELIOS_SEED;
    const base = fixed !== undefined ? Number(fixed) : Math.floor(Math.random() * 2 ** 31);
    const started = Date.now();
    let schedules = 0;
    let ops = 0;
    let retried = 0;
    let seed = base;
    try {
      do {
        seed = base + schedules;
        const run = await runSchedule(seed, res);
        ops += run.ops;
        retried += run.retried;
        schedules++;
        await withTimeout(res.closeAll(), 15_000, () => `closing schedule ${seed}: over 15 s`);
      } while (fixed === undefined && Date.now() - started < SOAK_MS);
    } catch (err) {
      console.error(`HELIOS_SEED=${seed} (schedule ${schedules + 1}, ${ops} operations before it)`);
      throw err;
    }
    console.log(
      `randomized: ${schedules} schedules, ${ops} operations, ${retried} pushes refused for now and retried, base seed ${base} in ${Date.now() - started} ms`,
    );
    expect(schedules).toBeGreaterThan(0);
  });
});
