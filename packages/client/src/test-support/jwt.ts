import { createHmac } from 'node:crypto';

/**
 * An HS256 JWT for `sub` that expires `ttlSeconds` from now (negative: already expired), as an
 * identity provider would issue it for the relay's `jwt` option.
 */
export function hs256Token(secret: string, sub: string, ttlSeconds = 3_600): string {
  const part = (json: object) => Buffer.from(JSON.stringify(json)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub, iat: now, exp: now + ttlSeconds })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}
