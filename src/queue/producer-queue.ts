// The receiver's handle on the inbound queue. Queue#add wraps every add in a telemetry span:
// two more async functions (bullmq's trace() and the callback it is given) and their promise
// hops per push, even with no telemetry configured, which wxgate never configures. BullMQ keeps
// addJob, "a telemetry free version of the add method", for subclasses; this is one.
// Side by side (issue 2's receive bench, 12 interleaved rounds against the same code with
// Queue#add): receiver CPU per push 284–292 → 262–266 µs, req/s +10–20 %.
import { Queue, type Job, type JobsOptions } from 'bullmq';

export class ProducerQueue extends Queue {
  /** Queue#add without the telemetry span; the same job, the same round trip. */
  addUntraced(name: string, data: unknown, opts?: JobsOptions): Promise<Job> {
    return this.addJob(name, data, opts);
  }
}
