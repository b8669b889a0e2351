/**
 * The one error hierarchy of pymemprof. Every error the CLI reports carries a string `code` (stable,
 * for scripts and tests) and the process exit code to use. Messages are a single line naming the
 * file or argument concerned and the problem.
 */
export class PymemprofError extends Error {
  readonly code: string;
  readonly exitCode: number;

  constructor(message: string, code = 'PYMEMPROF_ERROR', exitCode = 1, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** The capture file is not a pymemprof capture, is corrupt, or has an unsupported format version. */
export class BadCaptureError extends PymemprofError {
  /** code: 'BAD_CAPTURE' (not a capture / corrupt) or 'CAPTURE_VERSION' (newer format). */
  constructor(message: string, code: 'BAD_CAPTURE' | 'CAPTURE_VERSION' = 'BAD_CAPTURE', options?: { cause?: unknown }) {
    super(message, code, 2, options);
  }
}

/** No usable Python interpreter / libpython was found. */
export class PythonNotFoundError extends PymemprofError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'PYTHON_NOT_FOUND', 1, options);
  }
}

/** Building or loading the native addon failed. */
export class BuildError extends PymemprofError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'BUILD_ERROR', 1, options);
  }
}

/** Guards messages against multi-line input: collapses line breaks so a message stays one line. */
export function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ');
}
