/** What kind of failure an {@link SseredactError} is; decides the exit status. */
export type ErrorType = 'usage' | 'io' | 'rule' | 'engine' | 'format' | 'internal';

/** The one error class of the project: a one-line message and a `type` discriminant. */
export class SseredactError extends Error {
  readonly type: ErrorType;

  constructor(type: ErrorType, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SseredactError';
    this.type = type;
  }
}

/** True when `error` is an {@link SseredactError} of one of `types`. */
export function isErrorOfType(error: unknown, ...types: ErrorType[]): error is SseredactError {
  return error instanceof SseredactError && types.includes(error.type);
}
