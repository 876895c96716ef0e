// The panel's styles, inside its shadow root: nothing leaks into the app, nothing of the app's
// styles reaches in (`all: initial` on the host stops inherited ones).
export const STYLES = `
:host { all: initial; }
/* all: initial would show a hidden host too: the browser's [hidden] rule loses to :host's. */
:host([hidden]) { display: none; }
.panel {
  position: fixed; inset: auto 0 0 0; height: 45vh; z-index: 2147483647;
  display: flex; flex-direction: column;
  font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  color: #e6e6e6; background: #1b1d23; border-top: 2px solid #f5a623;
  box-shadow: 0 -4px 16px rgb(0 0 0 / 0.35);
}
header { display: flex; gap: 8px; align-items: center; padding: 4px 8px; background: #23262e; flex-wrap: wrap; }
h2 { font-size: 13px; margin: 0 8px 0 0; color: #f5a623; }
h3 { font-size: 12px; margin: 8px 0 4px; }
[role='tablist'] { display: flex; gap: 2px; }
button, select { font: inherit; color: inherit; background: #2d313b; border: 1px solid #444a57; border-radius: 3px; padding: 2px 8px; cursor: pointer; }
button:focus-visible, select:focus-visible, summary:focus-visible { outline: 2px solid #f5a623; outline-offset: 1px; }
[role='tab'][aria-selected='true'] { background: #f5a623; color: #1b1d23; border-color: #f5a623; }
label { display: flex; gap: 4px; align-items: center; }
.spacer { flex: 1; }
[role='tabpanel'] { overflow: auto; padding: 4px 8px 8px; flex: 1; }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; color: #9aa3b2; padding: 4px 0; }
th, td { text-align: left; vertical-align: top; padding: 2px 6px; border-bottom: 1px solid #2d313b; }
th { color: #9aa3b2; font-weight: normal; }
.meta, .empty { color: #9aa3b2; }
.trail { display: flex; flex-wrap: wrap; gap: 2px 10px; list-style: none; margin: 0; padding: 0; }
.step.global { color: #7ed491; }
.failed, .step.failed, tr.refused { color: #ff6b6b; }
tr.failover { color: #f5c26b; }
.losers { margin: 0; padding-left: 16px; }
.json { padding-left: 2px; }
.json .entries { padding-left: 14px; }
.json .key { color: #8ab4f8; }
.v-string { color: #a5d6a7; } .v-number, .v-boolean { color: #f5c26b; } .v-null { color: #9aa3b2; }
.sparkline { width: 300px; height: 60px; background: #23262e; }
.sparkline polyline { fill: none; stroke: #f5a623; stroke-width: 1.5; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
`;
