import type { ClientEvent, DocumentSnapshot } from './source.js';

/** An exported trace: the events the panel holds and the open documents, as JSON. */
export interface DevtoolsTrace {
  readonly format: 'helios-devtools-trace';
  readonly version: 1;
  /** When it was taken, ISO 8601. */
  readonly exportedAt: string;
  /** Oldest first. */
  readonly events: readonly ClientEvent[];
  readonly documents: readonly DocumentSnapshot[];
}

export function buildTrace(
  events: readonly ClientEvent[],
  documents: readonly DocumentSnapshot[],
  now: number,
): DevtoolsTrace {
  return {
    format: 'helios-devtools-trace',
    version: 1,
    exportedAt: new Date(now).toISOString(),
    events,
    documents,
  };
}

/** Offers `trace` as a JSON file download (a Blob behind an object URL, revoked soon after). */
export function downloadTrace(trace: DevtoolsTrace, doc: Document): void {
  const blob = new Blob([JSON.stringify(trace, null, 2)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const link = doc.createElement('a');
  link.href = url;
  link.download = `helios-trace-${trace.exportedAt.replaceAll(':', '-')}.json`;
  link.hidden = true;
  doc.body.appendChild(link);
  link.click();
  link.remove();
  // Not at once: some browsers read the URL after the click's task has ended.
  setTimeout(() => URL.revokeObjectURL(url), 1_000);
}
