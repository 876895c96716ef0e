// `@helios/devtools`: what an app imports up front. The panel's code is not imported from here
// (only its types, which the compiler erases): `installDevtools` loads it on the first open,
// `@helios/devtools/panel` exports `mountDevtools` for mounting it directly.
export { DevtoolsError, type DevtoolsErrorCode } from './devtools-error.js';
export type { ScheduleFrame } from './frame-batcher.js';
export {
  DEFAULT_URL_FLAG,
  type InstalledDevtools,
  type InstallOptions,
  installDevtools,
} from './install.js';
export type { DevtoolsPanel } from './mount-devtools.js';
export type { PanelOptions } from './panel-options.js';
export { DEFAULT_SHORTCUT } from './shortcut.js';
export {
  type ClientEvent,
  type ClientEvents,
  type ConflictEvent,
  type ConflictWrite,
  type ConnectionEvent,
  type DevtoolsSource,
  type DocumentSnapshot,
  isDevtoolsSource,
  type OutboxEvent,
  type WriteEvent,
  type WriteStage,
} from './source.js';
export type { DevtoolsTrace } from './trace.js';
export { VIEW_IDS, type ViewId } from './views/view.js';
