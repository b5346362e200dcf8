// A fault case's FaultCaseResult from its record: the tally, and the targets every case shares
// (issue 14: 0 lost, 0 duplicated replies, every acknowledged push handled and replied to by the
// end of the drain) plus the case's own.
import type { FaultCaseResult, FaultTarget } from './case.js';
import { tally, type FaultRecord } from './tally.js';

export interface CaseResultInput {
  name: string;
  title: string;
  variant?: string;
  record: FaultRecord;
  drainMs?: number;
  exitMs?: number;
  /** The case's own targets, after the shared ones. */
  targets?: FaultTarget[];
  notes?: string[];
  /** The data-loss case counts losses without making 0 a target. */
  lossIsTarget?: boolean;
}

export function caseResult({ name, title, variant, record, drainMs, exitMs, targets = [], notes = [], lossIsTarget = true }: CaseResultInput): FaultCaseResult {
  const t = tally(record);
  const shared: FaultTarget[] = [
    { name: 'duplicated', met: t.duplicated === 0, detail: `${t.duplicated} replies beyond the first (target 0)` },
    ...(lossIsTarget
      ? [
          { name: 'lost', met: t.lost === 0, detail: `${t.lost} acknowledged pushes with no handler run or no reply (target 0)` },
          { name: 'drained', met: drainMs !== undefined, detail: drainMs !== undefined ? `every acknowledged push replied to ${drainMs} ms after the fault and the load ended` : 'not every acknowledged push was replied to within the drain timeout' },
        ]
      : []),
  ];
  return { case: name, ...(variant && { variant }), title, ...t, drainMs, exitMs, targets: [...shared, ...targets], notes };
}
