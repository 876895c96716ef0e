import { importSPKI, type JWTPayload, type JWTVerifyOptions, jwtVerify } from 'jose';
import { RelayError } from './errors.js';

/** The authenticated party behind a connection. `id` owns the replica ids the client uses. */
export interface RelayUser {
  readonly id: string;
  /** Whatever the authenticate hook wants `authorize` to see (roles, tenant, JWT claims). */
  readonly claims?: Readonly<Record<string, unknown>>;
}

/** What `authenticate` receives from the Socket.IO handshake. */
export interface HandshakeInfo {
  readonly token: string | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly address: string;
}

/** Resolves the user of a connection, or throws/rejects to refuse it. */
export type Authenticate = (handshake: HandshakeInfo) => Promise<RelayUser> | RelayUser;

export type Access = 'read' | 'write';

/** Decides, on every message, whether `user` may read or write `doc`. */
export type Authorize = (
  user: RelayUser,
  doc: string,
  access: Access,
) => Promise<boolean> | boolean;

/** How the shipped JWT verifier checks tokens: an HMAC secret or a PEM public key. */
export interface JwtOptions {
  /** Shared secret for HS256/384/512. */
  readonly secret?: string;
  /** SPKI PEM public key for RS256/ES256 etc. (give `algorithms` too). */
  readonly publicKey?: string;
  readonly algorithms?: string[];
  readonly issuer?: string;
  readonly audience?: string;
}

/**
 * The default `authenticate`: verifies the handshake token as a JWT and takes the user id from
 * its `sub` claim. Expired, malformed or unsigned tokens are refused.
 */
export function jwtAuthenticate(options: JwtOptions): Authenticate {
  if (options.secret === undefined && options.publicKey === undefined) {
    throw new Error('JWT authentication needs a secret or a public key');
  }
  const verify: JWTVerifyOptions = {
    ...(options.algorithms ? { algorithms: options.algorithms } : {}),
    ...(options.issuer ? { issuer: options.issuer } : {}),
    ...(options.audience ? { audience: options.audience } : {}),
  };
  const key =
    options.secret !== undefined
      ? Promise.resolve(new TextEncoder().encode(options.secret))
      : importSPKI(options.publicKey!, options.algorithms?.[0] ?? 'RS256');
  return async ({ token }) => {
    if (!token) throw new RelayError('unauthenticated', 'a token is required');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await key, verify));
    } catch (err) {
      throw new RelayError('unauthenticated', `invalid token: ${(err as Error).message}`);
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') {
      throw new RelayError('unauthenticated', 'the token has no subject (sub claim)');
    }
    return { id: payload.sub, claims: payload };
  };
}

/** Development mode: everyone is the same anonymous user. */
export const anonymousAuthenticate: Authenticate = () => ({ id: 'anonymous' });

/** Default `authorize`: every authenticated user may read and write every document. */
export const allowAll: Authorize = () => true;
