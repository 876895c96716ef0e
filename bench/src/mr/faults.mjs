/**
 * Availability under faults (figure 5): while clients write, relays are SIGKILLed and restarted
 * and regions are cut off from the others and healed, one fault at a time, at random (seeded).
 *
 * Five relays (the real CLI; every directed peer link goes through a TCP proxy the harness can
 * cut, and so does every client connection: one proxy per relay and client region, delaying
 * both ways by the distance between the two regions, none to the home relay),
 * 25 writers (5 per region, the SDK in Node, relays ordered home first, then nearest first:
 * `relayOrder`) writing every {@link WRITE_GAP_MS} ms ± 50% (500 writes/s in all, 10× the rate
 * of the first version of this suite), 5 observers (one per region, connected to that region's
 * relay only). Writer i adds 1, 2, 3, … to its own Add-Wins Set `f:i`: every write is one
 * element, so a lost write is a missing element, never hidden inside a later state (as a
 * counter's running total would hide it).
 *
 * A partition of region R cuts R's relay from the other relays and from every client: R's
 * writers lose their home relay (their connections are dropped, new ones refused, as a network
 * that sends resets would: a silent black hole is not modelled here) and fail over to the next
 * relay of their list, which acknowledges their writes from another region, the injected
 * distance away; R's observer waits.
 *
 * Measured: writes refused locally, write → ack by some relay (the receipt reaching `relay`),
 * the same for the writes made while their home region was cut off (and which region acked
 * them), acknowledged writes missing from some region at the end, and after each heal or restart
 * the time until every region holds every write acknowledged before it.
 *
 * `--peer-transport quic` runs the relays' peer links over QUIC (each proxy then a TCP and a
 * UDP proxy on one port, cut and healed together) and writes `faults-quic.json`.
 */

import { createRng } from '@helios/test-kit';
import { writeResults } from '../results.mjs';
import { percentile } from '../stats.mjs';
import { REGIONS, startCluster } from './cluster.mjs';
import {
  allOnline,
  closeAll,
  cpuPressure,
  nodeClient,
  pressureRow,
  r2,
  relayOrder,
  sleep,
  until,
} from './common.mjs';
import { relayErrors } from './convergence.mjs';
import { ackRows } from './faults-acks.mjs';
import { peerTransportFlag, transportVariant } from './peer-transport.mjs';

const WRITERS_PER_REGION = 5;
const WRITE_GAP_MS = 50;
const ACK_GOAL_MS = 5000;
const CONVERGE_CAP_MS = 30_000;

/**
 * @typedef {import('./faults-acks.mjs').WriteRecord} WriteRecord
 * @typedef {import('./faults-acks.mjs').FaultEvent} FaultEvent
 */

/**
 * @param {{ quick: boolean, log: (s: string) => void }} opts
 */
export async function runFaults({ quick, log }) {
  const full = process.argv.includes('--full');
  // 60 s, or 10 minutes with --full; HELIOS_FAULTS_S overrides both (for trying changes out).
  const durationS = Number(process.env.HELIOS_FAULTS_S ?? (full ? 600 : 60));
  const peerTransport = peerTransportFlag();
  const variant = transportVariant(peerTransport);
  const pressure0 = cpuPressure();
  const showErrors = relayErrors(log);
  // A QUIC dial unanswered for 3 s whose WebSocket fallback then reached the peer (one that
  // came back meanwhile) moves that link to WebSocket (docs/quic.md): how often, since it says
  // which transport the run measured.
  let quicFallbacks = 0;
  const cluster = await startCluster({
    partitionable: true,
    clientProxies: true,
    peerTransport,
    log: (line) => {
      if (line.includes('peer answered over WebSocket, not QUIC')) quicFallbacks++;
      showErrors(line);
    },
  });
  /** @type {import('@helios/client').HeliosClient[]} */
  const clients = [];
  const random = createRng(42).next;
  try {
    const writers = [];
    for (const region of REGIONS) {
      for (let k = 0; k < WRITERS_PER_REGION; k++) {
        const client = nodeClient(relayOrder(region, (r) => cluster.clientUrl(r, region)));
        clients.push(client);
        const i = writers.length;
        writers.push({ i, region, client, set: client.awSet(`f:${i}`) });
      }
    }
    const observers = REGIONS.map((region) => {
      const client = nodeClient([cluster.clientUrl(region)]);
      clients.push(client);
      return { region, client, sets: writers.map((w) => client.awSet(`f:${w.i}`)) };
    });
    await Promise.all([
      ...writers.map((w) => w.set.loaded),
      ...observers.flatMap((o) => o.sets.map((s) => s.loaded)),
    ]);
    await allOnline(clients);
    log(
      `faults: ${writers.length} writers, 5 observers; ${durationS} s of faults${full ? ' (full run)' : ''}; peer links over ${peerTransport}`,
    );

    /** Per writer, its writes by number (index n − 1). @type {WriteRecord[][]} */
    const records = writers.map(() => []);
    /** Per writer, write numbers in the order their acks arrived. @type {number[][]} */
    const ackOrder = writers.map(() => []);
    let refusedLocal = 0;
    let refusedRelay = 0;
    const origin = performance.now();
    const now = () => performance.now() - origin;

    /** @param {(typeof writers)[number]} w */
    const write = (w) => {
      const n = /** @type {WriteRecord[]} */ (records[w.i]).length + 1;
      /** @type {WriteRecord} */
      const rec = {
        t0: now(),
        local: Number.NaN,
        ack: Number.NaN,
        ackRegion: null,
        failed: undefined,
      };
      /** @type {WriteRecord[]} */ (records[w.i]).push(rec);
      let receipt;
      try {
        receipt = w.set.add(n);
      } catch (err) {
        refusedLocal++;
        rec.failed = `local: ${/** @type {Error} */ (err).message}`;
        return;
      }
      const onLevel = (/** @type {string} */ level) => {
        if (level === 'local' || level === 'relay' || level === 'global') {
          if (Number.isNaN(rec.local)) rec.local = now();
        }
        if ((level === 'relay' || level === 'global') && Number.isNaN(rec.ack)) {
          rec.ack = now();
          rec.ackRegion = w.client.status.region;
          /** @type {number[]} */ (ackOrder[w.i]).push(n);
        }
      };
      receipt.subscribe(onLevel);
      onLevel(receipt.level);
      receipt.wait('local').catch((/** @type {Error} */ err) => {
        refusedLocal++;
        rec.failed = `local: ${err.message}`;
      });
      receipt.wait('relay').catch((/** @type {Error} */ err) => {
        if (rec.failed === undefined) {
          refusedRelay++;
          rec.failed = `relay: ${err.message}`;
        }
      });
    };

    // ─── writers ───────────────────────────────────────────────────────────────────────────
    let writing = true;
    const writing$ = Promise.all(
      writers.map(async (w, k) => {
        await sleep((k * WRITE_GAP_MS) / writers.length);
        const wr = createRng(100 + w.i).next;
        while (writing) {
          write(w);
          await sleep(WRITE_GAP_MS * (0.5 + wr()));
        }
      }),
    );

    // ─── convergence: observers hold every write acknowledged before a given moment ────────
    /** confirmed[o][w]: how many of ackOrder[w] observer o is known to hold. */
    const confirmed = observers.map(() => writers.map(() => 0));
    const holdsAll = (/** @type {number[]} */ targets) =>
      observers.every((o, oi) =>
        writers.every((w) => {
          const list = /** @type {number[]} */ (ackOrder[w.i]);
          const set = /** @type {import('@helios/client').AWSetHandle<number>} */ (o.sets[w.i]);
          const conf = /** @type {number[]} */ (confirmed[oi]);
          let p = /** @type {number} */ (conf[w.i]);
          const target = /** @type {number} */ (targets[w.i]);
          // Elements are only added, never removed: once held, always held.
          while (p < target && set.has(/** @type {number} */ (list[p]))) p++;
          conf[w.i] = p;
          return p >= target;
        }),
      );
    const ackedSoFar = () => ackOrder.map((l) => l.length);

    // ─── faults ────────────────────────────────────────────────────────────────────────────
    /** @type {FaultEvent[]} */
    const events = [];
    const endAt = durationS * 1000;
    while (now() < endAt - 8000) {
      await sleep(2000 + random() * 3000);
      if (now() >= endAt - 6000) break;
      const region = /** @type {string} */ (REGIONS[Math.floor(random() * REGIONS.length)]);
      const kind = random() < 0.5 ? 'kill' : 'partition';
      const hold = kind === 'kill' ? 2000 + random() * 6000 : 3000 + random() * 7000;
      /** @type {FaultEvent} */
      const event = { kind, region, start: now(), end: Number.NaN, convergeMs: null };
      events.push(event);
      if (kind === 'kill') await cluster.kill(region);
      else cluster.partition(region);
      await sleep(Math.min(hold, Math.max(1000, endAt - now() - 4000)));
      if (kind === 'kill') await cluster.restart(region);
      else cluster.heal(region);
      // The region's observer knows only this relay and backs off while it cannot reach it:
      // dial it again now, as a page reload would, so the figure is the relays' catching up.
      const o = observers.find((x) => x.region === region);
      o?.client.setOnline(false);
      o?.client.setOnline(true);
      event.end = now();
      const targets = ackedSoFar();
      const ok = await until(() => holdsAll(targets), CONVERGE_CAP_MS, 25);
      event.convergeMs = ok ? r2(now() - event.end) : null;
      log(
        `faults: ${kind} ${region} for ${r2((event.end - event.start) / 1000)} s; converged ${
          ok ? `${event.convergeMs} ms` : `not within ${CONVERGE_CAP_MS / 1000} s`
        } after`,
      );
    }
    await sleep(Math.max(0, endAt - now()));
    writing = false;
    await writing$;
    const stoppedAt = now();

    // ─── the end: everything up and healed; every write must be acked and everywhere ───────
    for (const region of REGIONS) if (!cluster.isUp(region)) await cluster.restart(region);
    for (const region of REGIONS) cluster.heal(region);
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let giveUp;
    const flushed = await Promise.race([
      Promise.all(writers.map((w) => w.client.flush('relay'))).then(() => true),
      new Promise((resolve) => {
        giveUp = setTimeout(() => resolve(false), 60_000);
      }),
    ]);
    clearTimeout(giveUp);
    if (!flushed) log('faults: some writes were still unacknowledged 60 s after the run');
    const finalTargets = ackedSoFar();
    const everywhere = await until(() => holdsAll(finalTargets), 60_000, 50);
    const finalConvergeMs = now() - stoppedAt;

    // ─── figures ───────────────────────────────────────────────────────────────────────────
    const all = records.flat();
    const total = all.length;
    const acked = all.filter((r) => !Number.isNaN(r.ack)).length;
    let ackedLost = 0;
    /** @type {string[]} */
    const lostExamples = [];
    observers.forEach((o, oi) => {
      writers.forEach((w) => {
        const list = /** @type {number[]} */ (ackOrder[w.i]);
        const set = /** @type {import('@helios/client').AWSetHandle<number>} */ (o.sets[w.i]);
        for (const n of list) {
          if (!set.has(n)) {
            ackedLost++;
            if (lostExamples.length < 5) lostExamples.push(`f:${w.i}/${n} in ${o.region}`);
          }
        }
      });
      void oi;
    });
    const heals = events
      .filter((e) => e.convergeMs !== null)
      .map((e) => /** @type {number} */ (e.convergeMs));
    const unconverged = events.length - heals.length;
    const kills = events.filter((e) => e.kind === 'kill').length;
    const partitions = events.length - kills;
    const runNote = `${durationS} s run, peer links over ${peerTransport === 'quic' ? 'QUIC' : 'WebSocket'}, ${writers.length} writers (5 per region) writing every ${WRITE_GAP_MS} ms ± 50%, ${kills} relay SIGKILL + restarts and ${partitions} region partitions, one at a time`;

    // The timeline behind the chart: per second, writes and the slowest ack; and the faults.
    const seconds = Math.ceil(stoppedAt / 1000);
    const perSecond = Array.from({ length: seconds }, (_, t) => ({
      t,
      writes: 0,
      maxAckMs: 0,
      unacked: 0,
    }));
    for (const r of all) {
      const b = perSecond[Math.min(seconds - 1, Math.floor(r.t0 / 1000))];
      if (!b) continue;
      b.writes++;
      if (Number.isNaN(r.ack)) b.unacked++;
      else b.maxAckMs = Math.max(b.maxAckMs, r2(r.ack - r.t0));
    }
    const name = `faults${variant === undefined ? '' : `-${variant}`}${quick ? '-quick' : ''}`;
    writeResults(`${name}-timeline`, {
      date: new Date().toISOString(),
      durationS,
      peerTransport,
      ackGoalMs: ACK_GOAL_MS,
      events: events.map((e) => ({
        ...e,
        start: r2(e.start / 1000),
        end: r2(e.end / 1000),
      })),
      perSecond,
    });

    const results = [
      {
        metric: 'localWritesRefused',
        value: refusedLocal,
        unit: 'writes',
        better: 'lower',
        goal: '= 0',
        goalMet: refusedLocal === 0,
        note: `writes the SDK threw on or could not make durable locally, of ${total} (in-memory persistence in Node: this checks the write path stays open while relays die, not IndexedDB)${refusedRelay > 0 ? `; ${refusedRelay} refused by a relay` : ''}`,
      },
      ...ackRows({ records, writers, events, goalMs: ACK_GOAL_MS, flushed, runNote }),
      {
        metric: 'ackedLost',
        value: ackedLost,
        unit: 'writes',
        better: 'lower',
        goal: '= 0',
        goalMet: ackedLost === 0 && everywhere,
        note: `acknowledged writes missing from some region's observer after everything healed (${acked} acknowledged × 5 regions checked${everywhere ? `, all present ${r2(finalConvergeMs / 1000)} s after the writes stopped` : ', not all present within 60 s'})${lostExamples.length > 0 ? `: e.g. ${lostExamples.join(', ')}` : ''}`,
      },
      {
        metric: 'convergeAfterHealP50Ms',
        value: heals.length > 0 ? r2(percentile(heals, 50)) : -1,
        unit: 'ms',
        better: 'lower',
        note: `after a restart or a heal, until every region's observer holds every write acknowledged before it; ${heals.length} faults${unconverged > 0 ? `, ${unconverged} not converged within ${CONVERGE_CAP_MS / 1000} s` : ''}`,
      },
      {
        metric: 'convergeAfterHealMaxMs',
        value: heals.length > 0 ? r2(Math.max(...heals)) : -1,
        unit: 'ms',
        better: 'lower',
        note: `slowest of the ${heals.length} (kills: ${summary(events, 'kill')}; partitions: ${summary(events, 'partition')})`,
      },
      {
        metric: 'faultWrites',
        value: total,
        unit: 'writes',
        better: 'higher',
        note: runNote,
      },
      ...(peerTransport === 'quic'
        ? [
            {
              metric: 'quicFallbacks',
              value: quicFallbacks,
              unit: 'dials',
              better: 'lower',
              note: "QUIC dials unanswered (twice when the peer's /healthz answered) whose WebSocket fallback then reached the peer: that link runs over WebSocket while it lasts, and the peer is dialled over WebSocket for 5 minutes (relay log 'peer answered over WebSocket, not QUIC')",
            },
          ]
        : []),
      pressureRow(pressure0),
    ];
    const config = {
      peerTransport,
      writers: writers.length,
      writeGapMs: `${WRITE_GAP_MS} ± 50%`,
      writesPerSecond: r2(total / (stoppedAt / 1000)),
      partitions:
        'relay cut from the other relays and from all clients (client connections through a proxy per relay and client region, delayed by the one-way delay between the regions); its writers fail over along relayOrder',
    };
    return { results, config, ...(variant === undefined ? {} : { variant }) };
  } finally {
    await closeAll(clients);
    await cluster.stop();
  }
}

/** "p50 x ms, max y ms over n" of one kind of fault's convergence times. */
function summary(/** @type {FaultEvent[]} */ events, /** @type {string} */ kind) {
  const xs = events
    .filter((e) => e.kind === kind && e.convergeMs !== null)
    .map((e) => /** @type {number} */ (e.convergeMs));
  if (xs.length === 0) return 'none';
  return `p50 ${r2(percentile(xs, 50))} ms, max ${r2(Math.max(...xs))} ms over ${xs.length}`;
}
