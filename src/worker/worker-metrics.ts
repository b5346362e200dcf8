// Job outcomes, handler time, queue wait and sends by errcode, read from BullMQ's worker events
// so the processors stay free of metrics code.
import type { Job, Worker } from 'bullmq';
import type { Metrics } from '../metrics.js';
import { isStalledTooOften, type Workers } from './create-workers.js';

function errcodeOf(err: unknown): string {
  const code = (err as { errcode?: unknown } | undefined)?.errcode;
  return typeof code === 'number' ? String(code) : 'none';
}

function attach(worker: Worker, metrics: Metrics, onDone: (job: Job, err?: Error, result?: unknown) => void): void {
  worker.on('completed', (job, result) => {
    metrics.jobs.inc({ queue: worker.name, outcome: 'done' });
    onDone(job, undefined, result);
  });
  worker.on('failed', (job, err) => {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || err.name === 'UnrecoverableError';
    metrics.jobs.inc({ queue: worker.name, outcome: final ? 'failed' : 'retry' });
    if (isStalledTooOften(err)) metrics.jobsStalledTooOften.inc({ queue: worker.name });
    onDone(job, err);
  });
}

export function attachWorkerMetrics(workers: Workers, metrics: Metrics): void {
  for (const inbound of workers.inboundWorkers) {
    attach(inbound, metrics, (job, err, result) => {
      const fate = (result as { passive?: string } | undefined)?.passive;
      const late = fate === 'late_custom' ? 'custom' : fate === 'late_dropped' ? 'dropped' : fate === 'held' ? 'held' : undefined;
      if (late) metrics.lateReplies.inc({ appid: (job.data as { appid?: string }).appid ?? '', fate: late });
      if (job.processedOn && job.finishedOn) metrics.handlerSeconds.observe({ outcome: err ? 'error' : 'ok' }, (job.finishedOn - job.processedOn) / 1000);
      const receivedAt = (job.data as { receivedAt?: number }).receivedAt;
      if (job.processedOn && receivedAt && job.attemptsMade <= 1) metrics.queueWaitSeconds.observe(Math.max(0, job.processedOn - receivedAt) / 1000);
    });
  }
  for (const outbound of workers.outboundWorkers) {
    attach(outbound, metrics, (job, err, result) => {
      const appid = (job.data as { appid?: string }).appid ?? '';
      // A run after a crash that found its send marker made no API call.
      if ((result as { alreadySentAt?: number } | undefined)?.alreadySentAt !== undefined) return metrics.sendsAlreadySent.inc({ appid });
      // A run after a crash that met a send in flight: held (no API call) or sent again.
      if (err?.message.startsWith('send_outcome_unknown:')) return metrics.sendsOutcomeUnknown.inc({ appid, action: 'held' });
      if ((result as { resentAfterUnknown?: true } | undefined)?.resentAfterUnknown) metrics.sendsOutcomeUnknown.inc({ appid, action: 'resent' });
      metrics.sends.inc({ appid, path: 'custom', errcode: err ? errcodeOf(err) : '0' });
    });
  }
}
