/**
 * Where another tab's write spends its time in this tab, seen from outside the client: the
 * client's BroadcastChannel handler and the LWW-Map type's decode and merge are wrapped, and
 * each message handled is recorded (absolute times: comparable with the writer's, up to the tab
 * clock offset). The bench's listener names the write a message showed. Nothing of the client
 * is changed.
 */
import { LWWMap } from '@helios/core';

/**
 * @typedef {{ seq: number, stamp: number, start: number, decode: number, decoded: number,
 *   merge: number, merged: number, shown: number, end: number }} TabRecord
 */

const abs = () => performance.timeOrigin + performance.now();

/** The message being handled, if any. @type {TabRecord | undefined} */
let current;
/** @type {TabRecord[]} */
const records = [];

const onmessage = /** @type {PropertyDescriptor} */ (
  Object.getOwnPropertyDescriptor(BroadcastChannel.prototype, 'onmessage')
);
Object.defineProperty(BroadcastChannel.prototype, 'onmessage', {
  ...onmessage,
  set(/** @type {((e: MessageEvent) => void) | null} */ handler) {
    if (handler === null || !this.name.startsWith('helios:')) {
      onmessage.set?.call(this, handler);
      return;
    }
    onmessage.set?.call(this, (/** @type {MessageEvent} */ event) => {
      const rec = {
        seq: NaN,
        stamp: performance.timeOrigin + event.timeStamp,
        start: abs(),
        decode: NaN,
        decoded: NaN,
        merge: NaN,
        merged: NaN,
        shown: NaN,
        end: NaN,
      };
      current = rec;
      try {
        handler.call(this, event);
      } finally {
        rec.end = abs();
        current = undefined;
        records.push(rec);
      }
    });
  },
});

for (const [name, start, end] of /** @type {const} */ ([
  ['decode', 'decode', 'decoded'],
  ['merge', 'merge', 'merged'],
])) {
  const original = /** @type {(...args: any[]) => any} */ (LWWMap[name]);
  /** @type {any} */ (LWWMap)[name] = (/** @type {any[]} */ ...args) => {
    const rec = current;
    if (rec !== undefined && Number.isNaN(rec[start])) rec[start] = abs();
    try {
      return original.apply(LWWMap, args);
    } finally {
      if (rec !== undefined && Number.isNaN(rec[end])) rec[end] = abs();
    }
  };
}

/** The bench's listener saw write `seq` show: while a message is handled, it is that one's. */
export function probeShown(/** @type {number} */ seq, /** @type {number} */ at) {
  if (current !== undefined && Number.isNaN(current.seq)) {
    current.seq = seq;
    current.shown = at;
  }
}

/** The messages handled since the last call. */
export function tabRecords() {
  return records.splice(0);
}
