/**
 * The synthetic sender of `wxgate probe`: its pushes go through the whole receive path (so the
 * heartbeat proves verify → parse → enqueue), and the workers drop them before any handler
 * runs, since a reply to a made-up openid would only fail with 40003.
 */
export const PROBE_OPENID = 'owxgate-probe';
