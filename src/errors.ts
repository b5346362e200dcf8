// Typed errors: every failure wxgate can name has a stable `code` (tests and logs use it),
// the HTTP status it maps to, whether its message may be shown to the caller, and whether
// a worker should retry it. The retry decision lives in one place: `isRetryable` below.

export interface ErrorOptions {
  status?: number;
  expose?: boolean;
  retryable?: boolean;
  cause?: unknown;
  /** Fields the API's answer carries beside `error` and `message` (what the caller needs to act on it). */
  details?: Record<string, unknown>;
}

export class WxgateError extends Error {
  readonly code: string;
  readonly status: number;
  readonly expose: boolean;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, { status = 500, expose = false, retryable = false, cause, details }: ErrorOptions = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.expose = expose;
    this.retryable = retryable;
    this.details = details;
  }
}

/** Bad configuration: the message names the variable and says what to do. */
export class ConfigError extends WxgateError {
  constructor(message: string) {
    super('config_invalid', message, { status: 500 });
  }
}

export type VerificationCode =
  | 'signature_missing'
  | 'signature_mismatch'
  | 'timestamp_invalid'
  | 'timestamp_out_of_window';

/** The push is not from WeChat (or is too old): 401, nothing enqueued. */
export class VerificationError extends WxgateError {
  declare readonly code: VerificationCode;
  constructor(code: VerificationCode, message: string) {
    super(code, message, { status: 401, expose: true });
  }
}

export type DecryptCode =
  | 'encrypt_missing'
  | 'base64_invalid'
  | 'ciphertext_length_invalid'
  | 'padding_invalid'
  | 'length_invalid'
  | 'appid_mismatch'
  | 'aes_key_invalid';

/** Safe-mode payload that does not decrypt to a message for this account: 400. */
export class DecryptError extends WxgateError {
  declare readonly code: DecryptCode;
  constructor(code: DecryptCode, message: string) {
    super(code, message, { status: 400, expose: true });
  }
}

export type XmlCode = 'xml_malformed' | 'xml_doctype' | 'xml_entity' | 'xml_not_message';

/** The body is not a WeChat XML message we are willing to parse: 400. */
export class XmlError extends WxgateError {
  declare readonly code: XmlCode;
  constructor(code: XmlCode, message: string) {
    super(code, message, { status: 400, expose: true });
  }
}

export type RequestCode = 'body_too_large' | 'unknown_app' | 'nonce_replayed' | 'mode_not_accepted' | 'unsupported_media' | 'bad_request';

const REQUEST_STATUS: Record<RequestCode, number> = {
  body_too_large: 413,
  unknown_app: 404,
  nonce_replayed: 409,
  // Signed, but in a mode the account does not accept (WECHAT_MESSAGE_MODE): issue 14.
  mode_not_accepted: 403,
  unsupported_media: 415,
  bad_request: 400,
};

/** An HTTP request we refuse before or around the protocol checks. */
export class RequestError extends WxgateError {
  declare readonly code: RequestCode;
  constructor(code: RequestCode, message: string) {
    super(code, message, { status: REQUEST_STATUS[code], expose: true });
  }
}

/** A query parameter or header the route cannot take: 400, the code names it (`limit_invalid`). */
export class ParameterError extends WxgateError {
  declare readonly code: `${string}_invalid`;
  constructor(name: string, message: string) {
    super(`${name}_invalid`, message, { status: 400, expose: true });
  }
}

export type ConflictCode = 'idempotency_key_reused' | 'campaign_cancelled' | 'campaign_settings_differ';

/** The request contradicts what is on record (a key already naming another payload, a cancelled campaign): 409, nothing changed. */
export class ConflictError extends WxgateError {
  declare readonly code: ConflictCode;
  constructor(code: ConflictCode, message: string) {
    super(code, message, { status: 409, expose: true });
  }
}

/** Neither Redis nor the local spool took the message: 503 so that WeChat retries. */
export class UnavailableError extends WxgateError {
  constructor(code: string, message: string, cause?: unknown) {
    super(code, message, { status: 503, expose: false, retryable: true, cause });
  }
}

/** A handler says: do not retry this message (bad input, business rule). */
export class UnrecoverableError extends WxgateError {
  constructor(message: string, code = 'handler_unrecoverable') {
    super(code, message, { retryable: false });
  }
}

/** The retry-or-give-up decision, in one place, from the error's class. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof WxgateError) return err.retryable;
  // Anything we did not classify (a handler's TypeError, a network reset) is worth another try.
  return true;
}
