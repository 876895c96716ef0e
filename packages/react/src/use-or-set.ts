import type { ORSetHandle, Receipt } from '@helios/client';
import { type Dot, type Key, ORSet } from '@helios/core';
import { readSet, type SetState } from './set-state.js';
import type { DocumentHookOptions } from './use-document-value.js';
import { useDocumentWith } from './use-document-with.js';

/** What {@link useORSet} returns. */
export interface ORSetState<T extends Key>
  extends SetState<T, ORSetHandle<T>, { receipt: Receipt; tag: Dot | undefined }> {
  /** Removes the one instance `tag` names (from `add`). Stable across renders. */
  readonly removeTag: (tag: Dot) => Receipt;
}

/**
 * An observed-remove set of `T` with addressable instances: `add` returns the instance's tag,
 * and `removeTag` removes just that instance.
 *
 * @param id - The document id.
 * @param options - `suspense: true` suspends until the document has loaded.
 */
export function useORSet<T extends Key>(id: string, options?: DocumentHookOptions): ORSetState<T> {
  return useDocumentWith<typeof ORSet, T, Pick<SetState<T, never>, 'has'>>(
    id,
    ORSet,
    readSet,
    options,
  );
}
