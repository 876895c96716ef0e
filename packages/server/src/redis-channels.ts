import { HeliosError } from '@helios/core';

/** The deployment name when `RelayOptions.deployment` is not given. */
export const DEFAULT_DEPLOYMENT = 'default';

/** Why `createRelay` refused a name that goes into the Redis channel names. */
export type RedisChannelErrorCode = 'bad-deployment' | 'bad-region';

/** A deployment or region name that cannot be part of Redis channel names. */
export class RedisChannelError extends HeliosError<RedisChannelErrorCode> {}

/**
 * Letters, digits, `.`, `_` and `-`. The adapter subscribes with the glob pattern `<key>#/#*`,
 * so a `*`, `?`, `[` or `#` in a name could make one deployment's pattern match another's
 * channels, and `:` separates the parts of the key.
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * The `key` (channel prefix) of the Socket.IO Redis adapter for the nodes of one region of one
 * deployment: `helios:<deployment>:<region>`. Nodes exchange broadcasts and cross-node messages
 * only with nodes of the same key, so staging and production, or two regions, may share a Redis.
 */
export function redisChannelKey(deployment: string, region: string): string {
  if (!NAME.test(deployment)) {
    throw new RedisChannelError(
      'bad-deployment',
      `deployment name "${deployment}" must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
  }
  if (!NAME.test(region)) {
    throw new RedisChannelError(
      'bad-region',
      `with Redis, the region name "${region}" must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
  }
  return `helios:${deployment}:${region}`;
}
