export { HeliosProvider, type HeliosProviderProps, useHeliosClient } from './helios-provider.js';
export { HeliosReactError, type HeliosReactErrorCode } from './react-error.js';
export type { SetState } from './set-state.js';
export { useAWSet } from './use-aw-set.js';
export {
  type BoundedCounterRights,
  type BoundedCounterView,
  useBoundedCounter,
} from './use-bounded-counter.js';
export { type CounterState, useCounter } from './use-counter.js';
export { type CrdtMapState, useCrdtMap } from './use-crdt-map.js';
export {
  type DocumentView,
  type HandleMethods,
  useDocument,
  type ValueOfHandle,
} from './use-document.js';
export {
  type DocumentHookOptions,
  type DocumentSnapshot,
  type ObservableDocument,
  useDocumentValue,
} from './use-document-value.js';
export { type GCounterState, useGCounter } from './use-g-counter.js';
export { type LWWMapState, useLWWMap } from './use-lww-map.js';
export { type MVRegisterState, useMVRegister } from './use-mv-register.js';
export { type ORSetState, useORSet } from './use-or-set.js';
export { type PresenceState, usePresence } from './use-presence.js';
export { type QuantityState, useQuantity } from './use-quantity.js';
export { type ReceiptStatus, useReceipt } from './use-receipt.js';
export { type RegisterState, useRegister } from './use-register.js';
export { useRWSet } from './use-rw-set.js';
export { useSyncStatus } from './use-sync-status.js';
