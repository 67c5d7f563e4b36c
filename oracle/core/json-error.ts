/**
 * The message of a JSON.parse error on one line of a JSON Lines file, without the parser's
 * own line number: V8 says "... at position 11 (line 1 column 12)", which next to the file's
 * line number ("tasks.jsonl:2") reads as a second, different line. Keeps the column.
 */
export function jsonLineErrorText(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/ at position \d+ \(line \d+ column (\d+)\)/, " at column $1").replace(/ \(line \d+ column (\d+)\)/, " (column $1)");
}
