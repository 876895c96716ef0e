import type { ScheduleFrame } from '../frame-batcher.js';
import type { ClientEvent, DevtoolsSource, DocumentSnapshot } from '../source.js';

/** A client's event stream and documents, driven by the test. */
export class FakeSource implements DevtoolsSource {
  readonly listeners = new Set<(event: ClientEvent) => void>();
  past: ClientEvent[] = [];
  documents: DocumentSnapshot[] = [];

  readonly events = {
    subscribe: (listener: (event: ClientEvent) => void) => {
      this.listeners.add(listener);
      return () => {
        this.listeners.delete(listener);
      };
    },
    history: (): readonly ClientEvent[] => this.past,
  };

  inspect(): readonly DocumentSnapshot[] {
    return this.documents;
  }

  /** Emits live events (and keeps them in the history, as the client's ring does). */
  emit(...events: ClientEvent[]): void {
    for (const event of events) {
      this.past.push(event);
      for (const listener of this.listeners) listener(event);
    }
  }
}

/** A frame scheduler the test runs by hand: `flush()` is the next animation frame. */
export class ManualFrames {
  readonly #callbacks = new Set<() => void>();
  requests = 0;

  readonly schedule: ScheduleFrame = (callback) => {
    this.requests++;
    this.#callbacks.add(callback);
    return () => this.#callbacks.delete(callback);
  };

  get waiting(): number {
    return this.#callbacks.size;
  }

  flush(): void {
    const callbacks = [...this.#callbacks];
    this.#callbacks.clear();
    for (const callback of callbacks) callback();
  }
}

/** The panel's shadow root in `container`. */
export function shadow(container: ParentNode = document.body): ShadowRoot {
  const host = container.querySelector('[data-helios-devtools]');
  if (host?.shadowRoot == null) throw new Error('no devtools panel mounted');
  return host.shadowRoot;
}

/** The text of the view shown, whitespace collapsed. */
export function viewText(root: ShadowRoot = shadow()): string {
  return (root.querySelector('[role="tabpanel"]')?.textContent ?? '').replace(/\s+/g, ' ').trim();
}

/** A write event of `replica:seq` on `doc`. */
export function write(
  doc: string,
  replica: string,
  seq: number,
  stage: Extract<ClientEvent, { type: 'write' }>['stage'],
  at: number,
  extra: { region?: string; error?: { code: string; message: string } } = {},
): ClientEvent {
  return { type: 'write', doc, replica, seq, stage, at, ...extra };
}
