// A Redis connection error that retrying will not cure: the credentials are refused, or the TLS
// handshake fails (an unknown CA, a certificate for another name, TLS against a plain port).
// ioredis retries these like any lost connection, so without this the operator sees only
// "Redis unreachable". On a cluster the node's own error sits in ClusterAllFailedError's
// lastNodeError; the walk follows that and `cause`.
import type { RedisTarget } from './redis.js';

export type RedisConnectProblemCode = 'redis_auth_failed' | 'redis_tls_failed';

export interface RedisConnectProblem {
  readonly code: RedisConnectProblemCode;
  /** What to change, naming the variable. */
  readonly fix: string;
  /** The message of the error that tells (a node's, on a cluster). */
  readonly detail: string;
}

// Node's certificate verification codes (https://nodejs.org/api/tls.html#x509-certificate-error-codes)
// and its TLS errors of a handshake that cannot succeed.
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
]);

interface Walkable {
  message?: unknown;
  code?: unknown;
  lastNodeError?: unknown;
  cause?: unknown;
}

function* chain(err: unknown): Generator<Walkable> {
  for (let e = err as Walkable | undefined, depth = 0; e && typeof e === 'object' && depth < 5; depth += 1) {
    yield e;
    e = (e.lastNodeError ?? e.cause) as Walkable | undefined;
  }
}

/** The problem behind `err`, or undefined when it is an ordinary outage (retrying may cure it). */
export function redisConnectProblem(err: unknown, target: Pick<RedisTarget, 'redisClusterNodes'>): RedisConnectProblem | undefined {
  const variable = target.redisClusterNodes ? 'REDIS_CLUSTER_NODES' : 'REDIS_URL';
  const form = target.redisClusterNodes ? 'redis://user:password@host:port,host:port,…' : 'redis://user:password@host:port';
  for (const e of chain(err)) {
    const message = typeof e.message === 'string' ? e.message : '';
    const code = typeof e.code === 'string' ? e.code : '';
    // WRONGPASS: wrong username or password (or a disabled user); NOAUTH: none given but one is required.
    if (/^(WRONGPASS|NOAUTH)\b|^ERR invalid password/.test(message)) {
      return {
        code: 'redis_auth_failed',
        detail: message,
        fix: `Redis refused the credentials: set the ACL username and password (or the password alone for the default user) in ${variable}, ${form}, with special characters percent-encoded.`,
      };
    }
    if (TLS_CODES.has(code) || /SSL routines|certificate/i.test(message)) {
      return {
        code: 'redis_tls_failed',
        detail: message,
        fix: `the TLS handshake with Redis failed (${code || message}): with a private CA set REDIS_TLS_CA_FILE to its certificate (PEM); the certificate must name the addresses the client connects to (on a cluster, those its nodes announce); rediss:// in ${variable} only where Redis speaks TLS.`,
      };
    }
  }
  return undefined;
}
