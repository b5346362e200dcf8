// What every case of the fault suite (`npm run bench -- faults`, issue 14) reports, so the runner
// can write one results/faults.json and one table in bench/README.md whatever the case injects.
// A case starts the processes and Redis it needs on its own ports and stops them before it returns.

/** One figure the case promises, checked against what it counted. */
export interface FaultTarget {
  name: string;
  met: boolean;
  detail: string;
}

export interface FaultCaseResult {
  /** The case's name (its FaultCase.name) and, when one case runs several ways, the variant. */
  case: string;
  variant?: string;
  title: string;
  /** Distinct messages pushed, and HTTP deliveries made (WeChat's retries included). */
  pushes: number;
  deliveries: number;
  /** Deliveries answered `success` (or, in passive mode, a reply XML). */
  success: number;
  /** The other answers by HTTP status, or 'reset' / 'timeout' for no answer. */
  otherAnswers: Record<string, number>;
  handlerRuns: number;
  /** Distinct messages replied to at the mock. */
  replies: number;
  /** Acknowledged messages with no handler run or no reply by the end of the drain. */
  lost: number;
  /** Replies beyond the first, summed over messages. */
  duplicated: number;
  /** From the fault's end until every acknowledged message was handled and replied to. */
  drainMs?: number;
  /** From the signal until the process was gone. */
  exitMs?: number;
  targets: FaultTarget[];
  notes: string[];
}

export interface FaultCaseOptions {
  /** Seconds of steady load per case (the matrix: 60). */
  durationS: number;
  /** Signed pushes per second (the matrix: 200). */
  rate: number;
  /** A directory of the case's own, removed by the runner afterwards. */
  workDir: string;
  log(message: string): void;
}

export interface FaultCase {
  name: string;
  title: string;
  run(options: FaultCaseOptions): Promise<FaultCaseResult[]>;
}
