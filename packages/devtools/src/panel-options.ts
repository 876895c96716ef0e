import { DevtoolsError } from './devtools-error.js';
import type { ScheduleFrame } from './frame-batcher.js';
import { checkViewId, type ViewId } from './views/view.js';

/** How the panel is mounted. Every option has a default. */
export interface PanelOptions {
  /** Where the panel's host element goes (default `document.body`). */
  readonly container?: HTMLElement;
  /** Writes, outbox samples, connection changes and conflicts kept and drawn (default 500). */
  readonly limit?: number;
  /** Events kept for the exported trace (default 10,000). */
  readonly maxEvents?: number;
  /** The view shown first (default `'writes'`). */
  readonly view?: ViewId;
  /** When redraws run (default `requestAnimationFrame`); tests pass one they drive. */
  readonly scheduleFrame?: ScheduleFrame;
  /** The clock of a trace's `exportedAt` (default `Date.now`). */
  readonly now?: () => number;
}

/** The options with their defaults, checked. */
export interface ResolvedPanelOptions extends PanelOptions {
  readonly limit: number;
  readonly maxEvents: number;
  readonly view: ViewId;
}

/**
 * Checks `options` and fills in the defaults.
 *
 * @throws DevtoolsError `invalid-option` for a limit that is not a whole number ≥ 1 or an
 * unknown view.
 */
export function resolvePanelOptions(options: PanelOptions): ResolvedPanelOptions {
  return {
    ...options,
    limit: positiveInteger('limit', options.limit, 500),
    maxEvents: positiveInteger('maxEvents', options.maxEvents, 10_000),
    view: checkViewId(options.view ?? 'writes'),
  };
}

function positiveInteger(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new DevtoolsError('invalid-option', `${option} must be a whole number ≥ 1, got ${value}`);
  }
  return value;
}
