// `@helios/devtools/panel`: the panel itself, for an app that mounts it directly (no shortcut,
// no lazy loading). `installDevtools` from `@helios/devtools` loads this same code on demand.
export { type DevtoolsPanel, mountDevtools } from './mount-devtools.js';
export type { PanelOptions } from './panel-options.js';
export type { DevtoolsTrace } from './trace.js';
export type { ViewId } from './views/view.js';
