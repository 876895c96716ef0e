import { randomFillSync, webcrypto } from 'node:crypto';
import type { ClientCryptoOps, QUICServerCrypto } from '@matrixai/quic';
import type { Logger } from 'pino';
import selfsigned from 'selfsigned';

/** A relay's TLS certificate (chain) and private key, PEM. */
export interface QuicIdentity {
  readonly cert: string;
  readonly key: string;
}

/** One development certificate per process: generating an RSA key takes a moment. */
let development: Promise<QuicIdentity> | undefined;

/**
 * The certificate the relay's QUIC listener presents: the one configured, or else a self-signed
 * one made at start, which is for development only (a dialer with a CA cannot verify it; one
 * without trusts any certificate and relies on the peer token, as over plain ws).
 */
export async function listenerIdentity(
  given: { readonly cert?: string; readonly key?: string },
  logger: Logger,
): Promise<QuicIdentity> {
  if (given.cert !== undefined && given.key !== undefined)
    return { cert: given.cert, key: given.key };
  if (given.cert !== undefined || given.key !== undefined)
    throw new Error('quic: pass both a certificate and its key, or neither');
  logger.warn(
    'QUIC peer listener: no certificate given, using a self-signed one. Development only: ' +
      'pass quic.cert and quic.key (--quic-cert, --quic-key)',
  );
  development ??= new Promise((resolve, reject) =>
    selfsigned.generate(
      [{ name: 'commonName', value: 'helios-relay' }],
      { keySize: 2048, days: 365, algorithm: 'sha256' },
      (err, pems) => (err ? reject(err) : resolve({ cert: pems.cert, key: pems.private })),
    ),
  );
  return development;
}

async function hmacKey(key: ArrayBuffer): Promise<webcrypto.CryptoKey> {
  return webcrypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ]);
}

/**
 * What a QUIC server signs its stateless retry tokens with (a fresh key per listener: tokens
 * need not outlive it). The retry makes a dialer prove its address before the server keeps any
 * state for it, so spoofed source addresses cannot fill the listener.
 */
export function serverCrypto(): QUICServerCrypto {
  return {
    key: webcrypto.getRandomValues(new Uint8Array(32)).buffer,
    ops: {
      sign: async (key, data) => webcrypto.subtle.sign('HMAC', await hmacKey(key), data),
      verify: async (key, data, sig) =>
        webcrypto.subtle.verify('HMAC', await hmacKey(key), sig, data),
    },
  };
}

/** The randomness a QUIC client needs (its connection ids). */
export const CLIENT_CRYPTO: { ops: ClientCryptoOps } = {
  ops: {
    randomBytes: async (data) => {
      randomFillSync(new Uint8Array(data));
    },
  },
};
