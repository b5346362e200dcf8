// The handler's abort signal (its time limit, or BullMQ giving the job up), made only when the
// handler reads ctx.signal. Most handlers never do, and a controller joined to the job's signal
// by AbortSignal.any cost ~1.5 % of the worker's CPU per message (profile under e2e load).
export interface HandlerSignal {
  /** The signal, made on first read; already aborted if abort() came first. */
  readonly signal: AbortSignal;
  abort(reason: unknown): void;
}

export function createHandlerSignal(jobSignal?: AbortSignal): HandlerSignal {
  let controller: AbortController | undefined;
  let signal: AbortSignal | undefined;
  let aborted: { reason: unknown } | undefined;
  return {
    get signal() {
      if (signal === undefined) {
        controller = new AbortController();
        if (aborted) controller.abort(aborted.reason);
        signal = jobSignal ? AbortSignal.any([controller.signal, jobSignal]) : controller.signal;
      }
      return signal;
    },
    abort(reason) {
      if (aborted) return;
      aborted = { reason };
      controller?.abort(reason);
    },
  };
}
