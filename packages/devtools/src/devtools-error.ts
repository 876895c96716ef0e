/** What was wrong with the options given to the panel. */
export type DevtoolsErrorCode = 'invalid-shortcut' | 'invalid-option' | 'invalid-source';

/** Thrown for options the panel cannot use; nothing is mounted or registered when it is. */
export class DevtoolsError extends Error {
  override readonly name = 'DevtoolsError';

  constructor(
    readonly code: DevtoolsErrorCode,
    message: string,
  ) {
    super(message);
  }
}
