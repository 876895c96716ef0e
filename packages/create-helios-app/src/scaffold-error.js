/** A scaffold that cannot be written as asked; the message says why and what to do instead. */
export class ScaffoldError extends Error {
  /** @override */
  name = 'ScaffoldError';
}
