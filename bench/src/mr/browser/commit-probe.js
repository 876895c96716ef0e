/**
 * Where a write's commit time goes, seen from outside the client: the page's IndexedDB and
 * BroadcastChannel prototypes are wrapped, and while a write is being timed every readwrite
 * transaction opened in this tab is recorded (when it opened, which stores, how many requests,
 * when it completed), and when the tab broadcast went out. Nothing of the client is changed.
 */

/**
 * @typedef {{ stores: string, called: number, open: number, complete: number, ops: number }} TxRecord
 * @typedef {{ start: number, returned: number, txs: TxRecord[], posted: number, postDone: number }} WriteProbe
 */

/** The write being timed, if any. @type {WriteProbe | undefined} */
let current;
/** The record of each transaction opened while a write was timed. @type {WeakMap<IDBTransaction, TxRecord>} */
const records = new WeakMap();

const transaction = IDBDatabase.prototype.transaction;
IDBDatabase.prototype.transaction = function (
  /** @type {any} */ stores,
  /** @type {any} */ mode,
  /** @type {any} */ options,
) {
  const called = performance.now();
  const tx = transaction.call(this, stores, mode, options);
  if (current !== undefined && mode === 'readwrite') {
    /** @type {TxRecord} */
    const rec = {
      stores: [stores].flat().join('+'),
      called,
      open: performance.now(),
      complete: NaN,
      ops: 0,
    };
    current.txs.push(rec);
    records.set(tx, rec);
    tx.addEventListener('complete', () => {
      rec.complete = performance.now();
    });
  }
  return tx;
};

for (const method of /** @type {const} */ (['add', 'put', 'delete'])) {
  const original = IDBObjectStore.prototype[method];
  IDBObjectStore.prototype[method] = function (/** @type {any[]} */ ...args) {
    const rec = records.get(this.transaction);
    if (rec !== undefined) rec.ops++;
    return /** @type {any} */ (original).apply(this, args);
  };
}

const postMessage = BroadcastChannel.prototype.postMessage;
BroadcastChannel.prototype.postMessage = function (/** @type {unknown} */ message) {
  const probe =
    current !== undefined && this.name.startsWith('helios:') && Number.isNaN(current.posted)
      ? current
      : undefined;
  if (probe !== undefined) probe.posted = performance.now();
  try {
    return postMessage.call(this, message);
  } finally {
    if (probe !== undefined) probe.postDone = performance.now();
  }
};

/** Starts recording for a write started at `start` (performance.now()). */
export function probeWrite(/** @type {number} */ start) {
  current = { start, returned: NaN, txs: [], posted: NaN, postDone: NaN };
  return current;
}

/** Stops recording. */
export function probeDone() {
  current = undefined;
}

/**
 * The phases of one write, in ms, given when its receipt reached `local`: the write call itself
 * (`returned` set by the caller), from its return until its commit's `transaction()` call, that
 * transaction until `complete` (and of it, the `transaction()` call itself), from its completion
 * to the receipt, and to the broadcast (and the `postMessage` call itself); with the
 * transactions it had to share the window with. `completeAt` and `postedAt` are from the write's
 * start, for the other tab's side (see tab-probe.js).
 */
export function phasesOf(/** @type {WriteProbe} */ p, /** @type {number} */ local) {
  const mine = p.txs.filter((t) => t.stores.includes('log') && t.complete <= local);
  const own = mine[mine.length - 1];
  const others = p.txs.filter((t) => t !== own && t.open < local);
  return {
    write: p.returned - p.start,
    beforeTx: own ? own.called - p.returned : NaN,
    tx: own ? own.complete - own.called : NaN,
    txCall: own ? own.open - own.called : NaN,
    afterTx: own ? local - own.complete : NaN,
    broadcast: p.posted - local,
    postCall: p.postDone - p.posted,
    completeAt: own ? own.complete - p.start : NaN,
    postedAt: p.posted - p.start,
    ops: own?.ops ?? 0,
    stores: own?.stores ?? '',
    otherTxs: others.map((t) => `${t.stores}:${t.ops}`).join(' '),
  };
}
