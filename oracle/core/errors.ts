/**
 * Typed errors with a stable code. The CLI prints `code: message` one line a problem;
 * workers store the code and message on failed jobs.
 */
export class PoqError extends Error {
  readonly code: string;
  readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PoqError";
    this.code = code;
    this.details = details;
  }
}

/** A problem with one input record or config field: says which record and field, and why. */
export class InputError extends PoqError {
  constructor(message: string, details: { recordId?: string; line?: number; field?: string; reason?: string } = {}) {
    super("E_INPUT", message, details);
    this.name = "InputError";
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
