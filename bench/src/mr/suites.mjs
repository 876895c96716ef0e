/**
 * The multi-region suites, registered in run.mjs's suite table. Each is loaded only when run,
 * so a missing build of @helios/client or @helios/server breaks these suites, not the others.
 */
export const SUITES = {
  browser: async () => (await import('./browser.mjs')).runBrowser,
  convergence: async () => (await import('./convergence.mjs')).runConvergence,
  cart: async () => (await import('./cart.mjs')).runCart,
  relayed: async () => (await import('./relayed.mjs')).runRelayed,
  faults: async () => (await import('./faults.mjs')).runFaults,
};
