import { HeliosError } from '@helios/core';

/** Why a Helios hook could not run. */
export type HeliosReactErrorCode = 'no-provider';

/** A misuse of the React bindings, such as calling a hook outside a {@link HeliosProvider}. */
export class HeliosReactError extends HeliosError<HeliosReactErrorCode> {}
