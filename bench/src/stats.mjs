/**
 * Order statistics over samples. Percentiles use the nearest-rank method, so p99 of 10 000
 * samples is a sample that was actually observed, never an interpolation.
 */

/** @param {ArrayLike<number>} xs */
function sorted(xs) {
  return Float64Array.from(xs).sort();
}

/**
 * @param {ArrayLike<number>} xs
 * @param {number} p in [0, 100]
 * @returns {number}
 */
export function percentile(xs, p) {
  if (xs.length === 0) throw new RangeError('percentile of no samples');
  const s = sorted(xs);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return /** @type {number} */ (s[rank - 1]);
}

/**
 * The median; for an even count, the mean of the two middle samples.
 * @param {ArrayLike<number>} xs
 * @returns {number}
 */
export function median(xs) {
  if (xs.length === 0) throw new RangeError('median of no samples');
  const s = sorted(xs);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? /** @type {number} */ (s[mid]) : (s[mid - 1] + s[mid]) / 2;
}

/**
 * The arithmetic mean.
 * @param {ArrayLike<number>} xs
 * @returns {number}
 */
export function mean(xs) {
  if (xs.length === 0) throw new RangeError('mean of no samples');
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += /** @type {number} */ (xs[i]);
  return sum / xs.length;
}

/**
 * The largest sample (a loop: spreading hundreds of thousands of samples into `Math.max`
 * overflows the call stack).
 * @param {ArrayLike<number>} xs
 * @returns {number}
 */
export function max(xs) {
  if (xs.length === 0) throw new RangeError('max of no samples');
  let m = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < xs.length; i++) m = Math.max(m, /** @type {number} */ (xs[i]));
  return m;
}

/** `x` rounded to two decimals, for reports. @param {number} x */
export function round2(x) {
  return Math.round(x * 100) / 100;
}
