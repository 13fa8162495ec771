/**
 * What kind of failure an {@link SseredactError} is; decides the exit status. `io` is an input
 * that cannot be read (exit 2); `output` is an output that cannot be written (disk full, exit 3).
 */
export type ErrorType = 'usage' | 'io' | 'output' | 'rule' | 'engine' | 'format' | 'internal';

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

/** Why a system call failed, in a few words (`no such file`), for one-line errors. */
export function describeSystemError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const reasons: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
    ELOOP: 'too many symbolic links',
    ENOSPC: 'no space left on device',
    EFBIG: 'file too large',
    EROFS: 'read-only file system',
    EBADF: 'bad file descriptor',
  };
  return (code && reasons[code]) ?? (error as Error).message;
}
