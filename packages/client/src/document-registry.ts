import type { CrdtType } from '@helios/core';
import { ClientDocument } from './client-document.js';
import { ClientError } from './client-error.js';
import type { DocumentHandle, Writer } from './handles.js';

/** A document of any type, as the client's parts see it. */
export type AnyDocument = ClientDocument<unknown, unknown>;

/** A handle class: constructed for a document and the writer its mutators go through. */
export type HandleClass<S, V, H> = new (doc: ClientDocument<S, V>, writer: Writer) => H;

export interface DocumentRegistryOptions {
  readonly writer: Writer;
  /** Whether the client is closed: no document opens then. */
  readonly isClosed: () => boolean;
  /** A document was opened for the first time: load it. */
  readonly onOpen: (doc: AnyDocument) => void;
}

/**
 * The documents open in a client, one per id, each with its handle: opening an id again gives the
 * same handle, and opening it as another type is an error.
 */
export class DocumentRegistry {
  readonly #options: DocumentRegistryOptions;
  readonly #open = new Map<
    string,
    { doc: AnyDocument; handle: DocumentHandle<unknown, unknown> }
  >();

  constructor(options: DocumentRegistryOptions) {
    this.#options = options;
  }

  /** The handle of document `id` as a `type`, opened (and loaded) if it was not yet. */
  open<S, V, H extends DocumentHandle<S, unknown>>(
    id: string,
    type: CrdtType<S, V>,
    Handle: HandleClass<S, V, H>,
  ): H {
    if (typeof id !== 'string' || id.length === 0 || id.length > 256) {
      throw new ClientError('invalid-argument', 'a document id is a string of 1 to 256 characters');
    }
    const open = this.#open.get(id);
    if (open) {
      if (open.doc.type !== type || !(open.handle instanceof Handle)) {
        throw new ClientError(
          'type-mismatch',
          `document ${id} is open as a ${open.doc.type.name}, not a ${type.name}`,
        );
      }
      return open.handle as H;
    }
    if (this.#options.isClosed()) throw new ClientError('closed', 'this client is closed');
    const doc = new ClientDocument(id, type);
    const handle = new Handle(doc, this.#options.writer);
    this.#open.set(id, {
      doc: doc as AnyDocument,
      handle: handle as unknown as DocumentHandle<unknown, unknown>,
    });
    this.#options.onOpen(doc as AnyDocument);
    return handle;
  }

  /** The open document `id`, if any. */
  get(id: string): AnyDocument | undefined {
    return this.#open.get(id)?.doc;
  }

  /** Every open document. */
  documents(): AnyDocument[] {
    return [...this.#open.values()].map((o) => o.doc);
  }
}
