// REDIS_CLUSTER_NODES, parsed (config.ts reads the variable; this turns its value into nodes and
// the one set of credentials and TLS that all of them share). Entries are `host:port`, or URLs
// in REDIS_URL's form (`redis://user:password@host:port`, `rediss://` for TLS), because that is
// what managed Redis Clusters hand out and what REDIS_URL already takes. ioredis gives one
// `redisOptions` to every node it learns of, so credentials and the scheme are given once and
// hold for all: entries that say different things stop the start rather than leave one of them
// silently unused.
import { ConfigError } from './errors.js';
import { redactUrls } from './redact-url.js';

/** One node of a Redis Cluster (REDIS_CLUSTER_NODES). */
export interface ClusterNodeAddress {
  readonly host: string;
  readonly port: number;
}

/** What every node's connection gets: ACL username and password, and TLS (`rediss://`). */
export interface ClusterConnection {
  readonly username?: string;
  readonly password?: string;
  readonly tls: boolean;
}

export interface ClusterNodes {
  readonly nodes: readonly ClusterNodeAddress[];
  readonly connection: ClusterConnection;
}

const EXAMPLE = 'e.g. 10.0.0.1:6379,10.0.0.2:6379,10.0.0.3:6379, or rediss://user:password@10.0.0.1:6379,10.0.0.2:6379 with a password and TLS';

interface Entry {
  readonly node: ClusterNodeAddress;
  /** Only URL entries say anything about the connection. */
  readonly said?: ClusterConnection;
}

const stripBrackets = (host: string) => host.replace(/^\[|\]$/g, '');

export function parseClusterNodes(raw: string): ClusterNodes {
  // The value may hold passwords: messages quote it with them masked.
  const shown = JSON.stringify(redactUrls(raw));
  const fail = (what: string): never => {
    throw new ConfigError(`REDIS_CLUSTER_NODES=${shown}: ${what}`);
  };

  const entries = raw.split(',').map((text): Entry => {
    const entry = text.trim();
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(entry)) return urlEntry(entry, fail);
    const m = /^([^\s:/@]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(entry);
    const port = Number(m?.[2]);
    if (!m || port < 1 || port > 65535) fail(`${JSON.stringify(redactUrls(entry))} is not host:port or a redis:// URL: set it to some of the cluster's nodes, ${EXAMPLE}.`);
    return { node: Object.freeze({ host: stripBrackets(m![1]!), port }) };
  });

  const said = entries.flatMap((e) => (e.said ? [e.said] : []));
  const first = said[0] ?? { tls: false };
  for (const other of said.slice(1)) {
    const differs =
      other.tls !== first.tls ? 'the scheme (redis:// and rediss://)' : other.username !== first.username ? 'the username' : other.password !== first.password ? 'the password' : undefined;
    if (differs) {
      fail(`its entries disagree on ${differs}, but every node of a cluster is reached the same way: give the scheme and credentials once, in the first entry (e.g. rediss://user:password@10.0.0.1:6379,10.0.0.2:6379,10.0.0.3:6379), or the same in every entry.`);
    }
  }
  return Object.freeze({ nodes: Object.freeze(entries.map((e) => e.node)), connection: Object.freeze({ ...first }) });
}

function urlEntry(entry: string, fail: (what: string) => never): Entry {
  const shown = JSON.stringify(redactUrls(entry));
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return fail(`${shown} is not a URL: write it like redis://user:password@10.0.0.1:6379 (characters such as @ : / in the password percent-encoded).`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    fail(`${shown} must use redis:// or rediss:// (TLS), ${EXAMPLE}.`);
  }
  // A cluster has database 0 only; a query (ioredis options) would apply to one node of many.
  if (!['', '/', '/0'].includes(url.pathname) || url.search || url.hash) {
    fail(`${shown} has a path or query: a cluster node is only scheme://[user:password@]host:port (Redis Cluster has database 0 only).`);
  }
  if (!url.hostname) fail(`${shown} names no host, ${EXAMPLE}.`);
  const username = url.username ? decodeURIComponent(url.username) : undefined;
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  if (username !== undefined && password === undefined) {
    fail(`${shown} has a username but no password: write redis://user:password@host:port (or redis://:password@host:port for the default user).`);
  }
  return {
    node: Object.freeze({ host: stripBrackets(url.hostname), port: url.port ? Number(url.port) : 6379 }),
    said: { tls: url.protocol === 'rediss:', ...(username !== undefined && { username }), ...(password !== undefined && { password }) },
  };
}
