import { DocumentHandle, type HandleOf } from '@helios/client';
import type { AnyCrdtType, Value } from '@helios/core';
import { useMemo } from 'react';
import { useHeliosClient } from './helios-provider.js';
import {
  type DocumentHookOptions,
  type DocumentSnapshot,
  type ObservableDocument,
  useDocumentValue,
} from './use-document-value.js';

/** The value type of a document handle. */
export type ValueOfHandle<H> = H extends DocumentHandle<infer _S, infer V> ? V : never;

/**
 * The methods a handle's type adds to every handle's (`increment`, `set`, `add`, `update`…),
 * bound to the handle: they keep their identity across renders.
 */
export type HandleMethods<H> = {
  readonly [K in Exclude<keyof H, keyof DocumentHandle<unknown, unknown>> as H[K] extends (
    ...args: never[]
  ) => unknown
    ? K
    : never]: H[K];
};

/**
 * What {@link useDocument} returns: the (selected) value, whether loaded, the handle, and the
 * handle's methods bound to it (`const { value, increment } = useDocument('likes', PNCounter)`).
 * The methods read the handle's current value, not this render's.
 */
export type DocumentView<H, R> = DocumentSnapshot<R> & {
  /** The document's handle. Stable while `id` and `type` are. */
  readonly handle: H;
} & HandleMethods<H>;

/** The bound methods of each handle, made once. */
const boundMethods = new WeakMap<object, Record<string, unknown>>();

function methodsOf(handle: object): Record<string, unknown> {
  let methods = boundMethods.get(handle);
  if (methods !== undefined) return methods;
  methods = {};
  // From the handle's class up to DocumentHandle (exclusive): what its type adds.
  for (
    let proto = Object.getPrototypeOf(handle) as object | null;
    proto !== null && proto !== DocumentHandle.prototype;
    proto = Object.getPrototypeOf(proto) as object | null
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const method = Object.getOwnPropertyDescriptor(proto, name)?.value;
      if (name === 'constructor' || name in methods || typeof method !== 'function') continue;
      methods[name] = method.bind(handle);
    }
  }
  boundMethods.set(handle, methods);
  return methods;
}

/**
 * Any document, by its CRDT type: `client.open(id, type)`'s handle, and its value, or the slice
 * of it that `selector` picks. The component re-renders only when that slice changes (compared
 * with `Object.is`): select a number, a string or an object the document keeps (a map's entry
 * value), not a new array or object on every call.
 *
 * @param id - The document id.
 * @param type - Its CRDT type, e.g. `PNCounter` or `orMap(PNCounter)`; keep it stable (a
 * module constant).
 * @param selector - Picks what the component reads from the value; may change between renders.
 * @param options - `suspense: true` suspends until the document has loaded.
 * @typeParam E - The register's value, the map's values or the set's elements, where the type
 * has them.
 * @example
 * const { value: likes, increment } = useDocument('likes', PNCounter);
 * const { value: mugs } = useDocument('cart', orMap(PNCounter), (cart) => cart.get('mug') ?? 0);
 */
export function useDocument<
  T extends AnyCrdtType,
  E extends Value = Value,
  R = ValueOfHandle<HandleOf<T, E>>,
>(
  id: string,
  type: T,
  selector?: (value: ValueOfHandle<HandleOf<T, E>>) => R,
  options: DocumentHookOptions = {},
): DocumentView<HandleOf<T, E>, R> {
  const client = useHeliosClient();
  const handle = useMemo(() => client.open<T, E>(id, type), [client, id, type]);
  const doc = handle as unknown as ObservableDocument<ValueOfHandle<HandleOf<T, E>>>;
  const { value, loaded } = useDocumentValue(doc, options, selector);
  return useMemo(
    () => ({ ...methodsOf(handle), value, loaded, handle }) as DocumentView<HandleOf<T, E>, R>,
    [value, loaded, handle],
  );
}
