/**
 * Calls `callback` when the page is hidden or being unloaded (a reload, a closed tab, an app
 * switch on a phone): the last moment to start storage work that should not wait. Returns the
 * function that stops listening; does nothing outside a browser page.
 */
export function onPageHidden(callback: () => void): () => void {
  const scope = globalThis as unknown as Partial<Window>;
  const doc = scope.document;
  if (typeof scope.addEventListener !== 'function' || doc === undefined) return () => {};
  const onVisibility = () => {
    if (doc.visibilityState === 'hidden') callback();
  };
  scope.addEventListener('pagehide', callback);
  doc.addEventListener('visibilitychange', onVisibility);
  return () => {
    scope.removeEventListener?.('pagehide', callback);
    doc.removeEventListener('visibilitychange', onVisibility);
  };
}
