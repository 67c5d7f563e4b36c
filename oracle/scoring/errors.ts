import { PoqError } from "../core/errors.js";

export interface RecordErrorDetails {
  /** The record's id when it could be read, else null. */
  recordId: string | null;
  /** 1-based line in the input file (or index + 1 for in-memory batches). */
  line: number;
  /** The offending field ("output", "references.2", "(line)" for undecodable lines). */
  field: string;
  reason: string;
}

/**
 * One record could not be scored: says which record (id and line), which field and why.
 * The other records of the batch are still scored.
 */
export class RecordError extends PoqError {
  readonly recordId: string | null;
  readonly line: number;
  readonly field: string;
  readonly reason: string;

  constructor(d: RecordErrorDetails, options?: { cause?: unknown }) {
    super("E_RECORD", `record ${d.recordId ?? "(no id)"} (line ${d.line}): ${d.field}: ${d.reason}`, { ...d }, options);
    this.name = "RecordError";
    this.recordId = d.recordId;
    this.line = d.line;
    this.field = d.field;
    this.reason = d.reason;
  }

  toJSON(): RecordErrorDetails & { code: string; message: string } {
    return { code: this.code, message: this.message, recordId: this.recordId, line: this.line, field: this.field, reason: this.reason };
  }
}
