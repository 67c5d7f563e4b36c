/** What every dimension module returns: a score in [0,1] and why. */
export interface DimensionResult {
  score: number;
  /** One line a person can read: the parts that made the score. */
  explain: string;
}

export const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(3));
