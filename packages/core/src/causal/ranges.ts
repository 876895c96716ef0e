/**
 * Sets of positive integers stored as sorted, disjoint, non-adjacent closed ranges in a flat
 * array `[start0, end0, start1, end1, …]`. A causal context keeps one per replica: a version
 * vector is the single range `[1, n]`, and the "dot cloud" of the literature is any further
 * range. Every function here returns fresh arrays unless its name says it mutates.
 */
export type Ranges = number[];

/** Index of the range containing `n`, or -1. Binary search over the range starts. */
export function rangeIndexOf(ranges: readonly number[], n: number): number {
  let lo = 0;
  let hi = (ranges.length >> 1) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const start = ranges[mid * 2]!;
    if (n < start) hi = mid - 1;
    else if (n > ranges[mid * 2 + 1]!) lo = mid + 1;
    else return mid;
  }
  return -1;
}

export function rangesHas(ranges: readonly number[], n: number): boolean {
  // Most lookups hit the first range (the version-vector prefix); check it before searching.
  if (ranges.length >= 2 && n >= ranges[0]! && n <= ranges[1]!) return true;
  return rangeIndexOf(ranges, n) >= 0;
}

/** Largest member, or 0 for the empty set. */
export function rangesMax(ranges: readonly number[]): number {
  return ranges.length === 0 ? 0 : ranges[ranges.length - 1]!;
}

/** Number of integers in the set. */
export function rangesSize(ranges: readonly number[]): number {
  let size = 0;
  for (let i = 0; i < ranges.length; i += 2) size += ranges[i + 1]! - ranges[i]! + 1;
  return size;
}

/** Adds `[start, end]` in place. The common case, appending at the end, is O(1). */
export function rangesAddMut(ranges: Ranges, start: number, end: number): void {
  const last = ranges.length - 1;
  if (last < 0 || start > ranges[last]! + 1) {
    ranges.push(start, end);
    return;
  }
  if (start >= ranges[last - 1]!) {
    if (end > ranges[last]!) ranges[last] = end;
    return;
  }
  const merged = rangesUnion(ranges, [start, end]);
  ranges.length = 0;
  for (const n of merged) ranges.push(n);
}

export function rangesUnion(a: Ranges, b: Ranges): Ranges {
  if (b.length === 0) return a.slice();
  if (a.length === 0) return b.slice();
  const out: Ranges = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let start: number;
    let end: number;
    if (j >= b.length || (i < a.length && a[i]! <= b[j]!)) {
      start = a[i]!;
      end = a[i + 1]!;
      i += 2;
    } else {
      start = b[j]!;
      end = b[j + 1]!;
      j += 2;
    }
    const last = out.length - 1;
    if (last > 0 && start <= out[last]! + 1) {
      if (end > out[last]!) out[last] = end;
    } else {
      out.push(start, end);
    }
  }
  return out;
}

/** Members of `a` that are not in `b`. */
export function rangesSubtract(a: Ranges, b: Ranges): Ranges {
  if (b.length === 0) return a.slice();
  const out: Ranges = [];
  let j = 0;
  for (let i = 0; i < a.length; i += 2) {
    let start = a[i]!;
    const end = a[i + 1]!;
    while (j < b.length && b[j + 1]! < start) j += 2;
    let k = j;
    while (k < b.length && b[k]! <= end) {
      if (b[k]! > start) out.push(start, b[k]! - 1);
      start = Math.max(start, b[k + 1]! + 1);
      k += 2;
    }
    if (start <= end) out.push(start, end);
  }
  return out;
}

/** Members common to `a` and `b`. */
export function rangesIntersect(a: Ranges, b: Ranges): Ranges {
  const out: Ranges = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const start = Math.max(a[i]!, b[j]!);
    const end = Math.min(a[i + 1]!, b[j + 1]!);
    if (start <= end) out.push(start, end);
    if (a[i + 1]! < b[j + 1]!) i += 2;
    else j += 2;
  }
  return out;
}

/** True when `a` and `b` share a member: {@link rangesIntersect} without building it. */
export function rangesOverlap(a: Ranges, b: Ranges): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (Math.max(a[i]!, b[j]!) <= Math.min(a[i + 1]!, b[j + 1]!)) return true;
    if (a[i + 1]! < b[j + 1]!) i += 2;
    else j += 2;
  }
  return false;
}

/** True when every member of `b` is in `a`. */
export function rangesInclude(a: readonly number[], b: readonly number[]): boolean {
  let i = 0;
  for (let j = 0; j < b.length; j += 2) {
    while (i < a.length && a[i + 1]! < b[j]!) i += 2;
    if (i >= a.length || a[i]! > b[j]! || a[i + 1]! < b[j + 1]!) return false;
  }
  return true;
}

export function rangesEqual(a: Ranges, b: Ranges): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
