/** The core suite's result rows, and the helpers its sections share. */

/** @typedef {import('./core.mjs').Result} Result */

/**
 * @param {Omit<Result, 'peer' | 'peerValue' | 'ratio'>} ours
 * @param {string} peer
 * @param {number} peerValue
 * @returns {Result}
 */
export function versus(ours, peer, peerValue) {
  const ratio = ours.better === 'higher' ? ours.value / peerValue : peerValue / ours.value;
  const { note, ...rest } = ours;
  return { ...rest, peer, peerValue, ratio, ...(note === undefined ? {} : { note }) };
}

/**
 * Four significant digits: more than any of these measurements can claim.
 * @param {number} x
 */
export function sig(x) {
  return Number(x.toPrecision(4));
}

/**
 * The result as written out: figures rounded, the note last.
 * @param {Result} r
 * @returns {Result}
 */
export function rounded(r) {
  const { note, goal, goalMet, ...rest } = r;
  return {
    ...rest,
    value: sig(r.value),
    ...(r.peerValue === undefined ? {} : { peerValue: sig(r.peerValue) }),
    ...(r.ratio === undefined ? {} : { ratio: sig(r.ratio) }),
    ...(goal === undefined ? {} : { goal, goalMet }),
    ...(note === undefined ? {} : { note }),
  };
}

/**
 * @param {Result} r
 * @param {string} goal
 * @param {boolean} met
 * @returns {Result}
 */
export function withGoal(r, goal, met) {
  return { ...r, goal, goalMet: met };
}

/** @param {boolean} ok @param {string} what */
export function check(ok, what) {
  if (!ok) throw new Error(`sanity check failed: ${what}`);
}

/** Busy-waits for the next millisecond: a user's next write lands in a later ms than a burst. */
export function nextMillisecond() {
  const t = Date.now();
  while (Date.now() === t) {
    // spin
  }
}

export const TEN_BYTES = 'abcdefghij';
