// The customer-service window as a handler sees it (ctx.quota). Its own file, free of ioredis,
// so that the declarations a handler project type-checks against (wxgate/handlers) do not pull
// the Redis client's types in: those need @types that a handler project has no reason to install.
export type WindowKind = 'message' | 'event';

export interface QuotaWindow {
  readonly kind: WindowKind;
  readonly allowed: number;
  readonly remaining: number;
  /** Epoch ms. */
  readonly expiresAt: number;
}
