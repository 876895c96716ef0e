/**
 * A tiny SVG chart writer for docs/benchmarks/: horizontal grouped bars with goal markers, and a
 * fault timeline. Plain strings, no dependencies; the output renders on GitHub and in browsers.
 */

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';
export const COLORS = {
  p50: '#8fb8e0',
  p99: '#1f5f99',
  delay: '#c9c9c9',
  goal: '#d1495b',
  helios: '#1f5f99',
  peer: '#e39b3b',
  kill: '#b3202f',
  partition: '#f0a33c',
  ok: '#2e8b57',
  text: '#222',
  muted: '#666',
  grid: '#e6e6e6',
};

/** @param {string} s */
const esc = (s) =>
  s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');

/** Three significant digits, no trailing zeros. */
/**
 * The opening of a chart: the svg element, its accessible title, a white background, the
 * heading and the subtitle under it. Returns the lines, for the chart to push its body onto.
 * @param {number} width
 * @param {number} height
 * @param {string} title
 * @param {string | undefined} subtitle
 */
function header(width, height, title, subtitle) {
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12" role="img" aria-label="${esc(title)}">`,
    `<title>${esc(subtitle ? `${title}: ${subtitle}` : title)}</title>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="600" fill="${COLORS.text}">${esc(title)}</text>`,
  ];
  if (subtitle) out.push(`<text x="16" y="43" fill="${COLORS.muted}">${esc(subtitle)}</text>`);
  return out;
}

export function fmt(/** @type {number} */ x) {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return String(Math.round(x));
  if (a >= 10) return String(Math.round(x * 10) / 10);
  if (a >= 1) return String(Math.round(x * 100) / 100);
  return String(Number(x.toPrecision(2)));
}

/** A "nice" upper bound for an axis: 1, 2, 2.5 or 5 times a power of ten. */
function niceMax(/** @type {number} */ x) {
  if (x <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

/**
 * @typedef {{ label: string, value: number, color: string, text?: string }} Bar
 * @typedef {{ label: string, sub?: string, bars: Bar[], goal?: { value: number, label: string }, note?: string }} Group
 */

/**
 * Horizontal grouped bar chart: one block per group, one bar per series, a red goal tick per
 * group, the value printed at the end of each bar.
 * With `log`, the axis is logarithmic (powers of ten), for values spanning orders of magnitude.
 * @param {{ title: string, subtitle?: string, unit: string, groups: Group[], legend: { label: string, color: string }[], width?: number, max?: number, right?: number, log?: boolean }} o
 */
export function barChart({
  title,
  subtitle,
  unit,
  groups,
  legend,
  width = 760,
  max,
  right = 90,
  log = false,
}) {
  const labelW = 210;
  const barH = 14;
  const gap = 3;
  const groupGap = 16;
  const top = subtitle ? 74 : 56;
  const plotW = width - labelW - right;
  const top0 = Math.max(
    ...groups.flatMap((g) => [...g.bars.map((b) => b.value), g.goal?.value ?? 0]),
  );
  const axisMax = log ? 10 ** Math.ceil(Math.log10(top0 * 1.02)) : (max ?? niceMax(top0 * 1.02));
  const lo = 1;
  const x = (/** @type {number} */ v) =>
    log
      ? labelW + (Math.log10(Math.max(lo, v)) / Math.log10(axisMax)) * plotW
      : labelW + (Math.max(0, v) / axisMax) * plotW;
  const ticks = log
    ? Array.from({ length: Math.round(Math.log10(axisMax)) + 1 }, (_, i) => 10 ** i)
    : Array.from({ length: 6 }, (_, i) => (axisMax * i) / 5);
  const groupH = (/** @type {Group} */ g) => g.bars.length * (barH + gap) - gap;
  const height = top + groups.reduce((h, g) => h + groupH(g) + groupGap, 0) + 34;
  const out = header(width, height, title, subtitle);
  // legend
  let lx = 16;
  const ly = top - 18;
  for (const item of legend) {
    out.push(
      `<rect x="${lx}" y="${ly - 9}" width="11" height="11" fill="${item.color}"/>`,
      `<text x="${lx + 15}" y="${ly}" fill="${COLORS.text}">${esc(item.label)}</text>`,
    );
    lx += 24 + item.label.length * 6.6;
  }
  if (groups.some((g) => g.goal)) {
    out.push(
      `<line x1="${lx}" y1="${ly - 10}" x2="${lx}" y2="${ly + 2}" stroke="${COLORS.goal}" stroke-width="2.5"/>`,
      `<text x="${lx + 6}" y="${ly}" fill="${COLORS.text}">goal</text>`,
    );
  }
  // grid
  const plotBottom = height - 30;
  for (const v of ticks) {
    const gx = x(v);
    out.push(
      `<line x1="${gx}" y1="${top - 4}" x2="${gx}" y2="${plotBottom}" stroke="${COLORS.grid}"/>`,
      `<text x="${gx}" y="${plotBottom + 14}" text-anchor="middle" fill="${COLORS.muted}">${fmt(v)}</text>`,
    );
  }
  out.push(
    `<text x="${labelW + plotW}" y="${plotBottom + 27}" text-anchor="end" fill="${COLORS.muted}">${esc(log ? `${unit} (log scale)` : unit)}</text>`,
  );
  let y = top;
  for (const g of groups) {
    const h = groupH(g);
    out.push(
      `<text x="${labelW - 10}" y="${y + h / 2 + (g.sub ? -2 : 4)}" text-anchor="end" fill="${COLORS.text}" font-weight="500">${esc(g.label)}</text>`,
    );
    if (g.sub) {
      out.push(
        `<text x="${labelW - 10}" y="${y + h / 2 + 12}" text-anchor="end" fill="${COLORS.muted}" font-size="11">${esc(g.sub)}</text>`,
      );
    }
    g.bars.forEach((b, i) => {
      const by = y + i * (barH + gap);
      const w = Math.max(1, x(b.value) - labelW);
      out.push(
        `<rect x="${labelW}" y="${by}" width="${w}" height="${barH}" fill="${b.color}" rx="1.5"><title>${esc(`${g.label} — ${b.label}: ${fmt(b.value)} ${unit}`)}</title></rect>`,
        `<text x="${labelW + w + 5}" y="${by + barH - 3}" fill="${COLORS.text}" font-size="11">${esc(b.text ?? fmt(b.value))}</text>`,
      );
    });
    if (g.goal) {
      const gx = x(g.goal.value);
      out.push(
        `<line x1="${gx}" y1="${y - 3}" x2="${gx}" y2="${y + h + 3}" stroke="${COLORS.goal}" stroke-width="2.5"><title>${esc(g.goal.label)}</title></line>`,
      );
    }
    if (g.note) {
      out.push(
        `<text x="${width - 8}" y="${y + h / 2 + 4}" text-anchor="end" fill="${COLORS.muted}" font-size="11">${esc(g.note)}</text>`,
      );
    }
    y += h + groupGap;
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/**
 * The fault run on one time axis: per region a lane with its relay's down time (SIGKILL until
 * restarted) and its partitions, a green tick where every region held every acknowledged
 * write again, and below, the slowest ack of each second against the 5 s goal.
 * @param {{ title: string, subtitle?: string, regions: readonly string[], durationS: number,
 *   events: { kind: string, region: string, start: number, end: number, convergeMs: number | null }[],
 *   perSecond: { t: number, writes: number, maxAckMs: number, unacked: number }[], ackGoalMs: number, width?: number }} o
 */
export function faultTimeline({
  title,
  subtitle,
  regions,
  durationS,
  events,
  perSecond,
  ackGoalMs,
  width = 760,
}) {
  const labelW = 110;
  const right = 20;
  const top = subtitle ? 78 : 60;
  const laneH = 20;
  const lanesH = regions.length * laneH;
  const ackTop = top + lanesH + 34;
  const ackH = 110;
  const height = ackTop + ackH + 44;
  const plotW = width - labelW - right;
  const x = (/** @type {number} */ s) =>
    labelW + (Math.min(durationS, Math.max(0, s)) / durationS) * plotW;
  const out = header(width, height, title, subtitle);
  // legend
  const ly = top - 16;
  const legend = [
    ['relay SIGKILLed → restarted', COLORS.kill],
    ['region partitioned → healed', COLORS.partition],
    ['every region converged', COLORS.ok],
  ];
  let lx = labelW;
  for (const [label, color] of legend) {
    out.push(
      `<rect x="${lx}" y="${ly - 9}" width="11" height="11" fill="${color}"/>`,
      `<text x="${lx + 15}" y="${ly}" fill="${COLORS.text}">${esc(/** @type {string} */ (label))}</text>`,
    );
    lx += 30 + /** @type {string} */ (label).length * 6.4;
  }
  // time grid
  const step = niceMax(durationS / 8);
  for (let s = 0; s <= durationS + 1e-9; s += step) {
    out.push(
      `<line x1="${x(s)}" y1="${top - 4}" x2="${x(s)}" y2="${ackTop + ackH}" stroke="${COLORS.grid}"/>`,
      `<text x="${x(s)}" y="${ackTop + ackH + 14}" text-anchor="middle" fill="${COLORS.muted}">${fmt(s)}</text>`,
    );
  }
  out.push(
    `<text x="${labelW + plotW}" y="${ackTop + ackH + 28}" text-anchor="end" fill="${COLORS.muted}">seconds into the run</text>`,
  );
  regions.forEach((r, i) => {
    const y = top + i * laneH;
    out.push(
      `<text x="${labelW - 8}" y="${y + 14}" text-anchor="end" fill="${COLORS.text}">${esc(r)}</text>`,
      `<line x1="${labelW}" y1="${y + laneH - 1}" x2="${labelW + plotW}" y2="${y + laneH - 1}" stroke="${COLORS.grid}"/>`,
    );
  });
  for (const e of events) {
    const i = regions.indexOf(e.region);
    if (i < 0) continue;
    const y = top + i * laneH + 3;
    const color = e.kind === 'kill' ? COLORS.kill : COLORS.partition;
    const label = `${e.kind === 'kill' ? 'SIGKILL' : 'partition'} ${e.region} ${fmt(e.start)}–${fmt(e.end)} s; converged ${e.convergeMs === null ? 'not within the cap' : `${fmt(e.convergeMs)} ms`} after`;
    out.push(
      `<rect x="${x(e.start)}" y="${y}" width="${Math.max(2, x(e.end) - x(e.start))}" height="${laneH - 7}" fill="${color}" rx="2"><title>${esc(label)}</title></rect>`,
    );
    if (e.convergeMs !== null) {
      const cx = x(e.end + e.convergeMs / 1000);
      out.push(
        `<line x1="${x(e.end)}" y1="${y + (laneH - 7) / 2}" x2="${cx}" y2="${y + (laneH - 7) / 2}" stroke="${COLORS.ok}" stroke-width="2"/>`,
        `<line x1="${cx}" y1="${y - 1}" x2="${cx}" y2="${y + laneH - 6}" stroke="${COLORS.ok}" stroke-width="2.5"><title>${esc(label)}</title></line>`,
      );
    }
  }
  // slowest ack per second, on a log scale from 1 ms to 10 s
  const ly0 = ackTop + ackH;
  const lo = 1;
  const hi = 10_000;
  const yv = (/** @type {number} */ ms) =>
    ly0 -
    ((Math.log10(Math.min(hi, Math.max(lo, ms))) - Math.log10(lo)) /
      (Math.log10(hi) - Math.log10(lo))) *
      ackH;
  out.push(
    `<text x="16" y="${ackTop - 10}" font-weight="500" fill="${COLORS.text}">Slowest write → ack of each second (log scale)</text>`,
  );
  for (const ms of [1, 10, 100, 1000, 10_000]) {
    out.push(
      `<line x1="${labelW}" y1="${yv(ms)}" x2="${labelW + plotW}" y2="${yv(ms)}" stroke="${COLORS.grid}"/>`,
      `<text x="${labelW - 8}" y="${yv(ms) + 4}" text-anchor="end" fill="${COLORS.muted}">${ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`}</text>`,
    );
  }
  out.push(
    `<line x1="${labelW}" y1="${yv(ackGoalMs)}" x2="${labelW + plotW}" y2="${yv(ackGoalMs)}" stroke="${COLORS.goal}" stroke-width="1.5" stroke-dasharray="5 4"/>`,
    `<text x="${labelW + plotW - 4}" y="${yv(ackGoalMs) - 5}" text-anchor="end" fill="${COLORS.goal}">goal: acked within ${ackGoalMs / 1000} s</text>`,
  );
  const points = perSecond
    .filter((b) => b.writes > 0)
    .map((b) => `${x(b.t + 0.5).toFixed(1)},${yv(b.maxAckMs).toFixed(1)}`);
  out.push(
    `<polyline points="${points.join(' ')}" fill="none" stroke="${COLORS.helios}" stroke-width="1.5"/>`,
  );
  for (const b of perSecond) {
    if (b.unacked > 0) {
      out.push(
        `<circle cx="${x(b.t + 0.5)}" cy="${yv(hi)}" r="3" fill="${COLORS.goal}"><title>${b.unacked} writes of second ${b.t} never acknowledged</title></circle>`,
      );
    }
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
