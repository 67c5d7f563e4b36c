/**
 * The USE-lite SentencePiece unigram tokenizer, a port of the `Tokenizer` in
 * `@energetic-ai/embeddings` (itself a port of Google's tfjs-models USE tokenizer) that
 * yields exactly the same ids, rewritten to be linear in the input length:
 *
 * - input: NFKC-normalised, spaces replaced by U+2581 and a U+2581 prepended (non-empty input);
 * - symbols are Unicode code points; pieces found by a trie walk from each position;
 * - Viterbi over piece scores; ties go to the later candidate (`>=`), a position never
 *   reached keeps score 0 exactly like the original (`best === 0` means "unset");
 * - a code point no piece covers becomes id 0 (unknown), consecutive unknowns are merged.
 *
 * The original re-slices the symbol array at every position (quadratic); the forward
 * Viterbi here visits candidates in the same order (by start position, then by piece
 * length), so the chosen pieces are identical.
 */
const SEPARATOR = "\u2581";
const RESERVED_SYMBOLS_COUNT = 6;
export const UNK_ID = 0;

interface TrieNode {
  children: Map<string, TrieNode>;
  /** Vocabulary index when a piece ends here, else -1. */
  index: number;
  score: number;
  /** Piece length in code points. */
  length: number;
}

function newNode(length: number): TrieNode {
  return { children: new Map(), index: -1, score: 0, length };
}

export class UseTokenizer {
  private readonly root: TrieNode = newNode(0);
  /** UTF-16 length of each piece (the original backtracks by `piece.length`). */
  private readonly pieceUtf16Length: Int32Array;

  constructor(readonly vocabulary: ReadonlyArray<readonly [string, number]>, reserved = RESERVED_SYMBOLS_COUNT) {
    this.pieceUtf16Length = Int32Array.from(vocabulary, ([p]) => p.length);
    for (let i = reserved; i < vocabulary.length; i++) {
      const [piece, score] = vocabulary[i]!;
      let node = this.root;
      let depth = 0;
      for (const symbol of piece) {
        depth++;
        let next = node.children.get(symbol);
        if (!next) {
          next = newNode(depth);
          node.children.set(symbol, next);
        }
        node = next;
      }
      if (depth > 0) {
        node.index = i;
        node.score = score;
      }
    }
  }

  /** Token ids of `input` (no BOS/EOS, no truncation). */
  encode(input: string): number[] {
    const normalized = input.normalize("NFKC");
    if (normalized.length === 0) return [];
    const symbols = Array.from(SEPARATOR + normalized.replace(/ /g, SEPARATOR));
    const n = symbols.length;
    const best = new Float64Array(n + 1);
    const words = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) {
      const fromScore = best[i]!;
      let node = this.root.children.get(symbols[i]!);
      let matched = false;
      for (let k = i; node !== undefined && k < n; ) {
        if (node.index >= 0) {
          matched = true;
          relax(best, words, k + 1, node.score + fromScore, node.index);
        }
        k++;
        node = k < n ? node.children.get(symbols[k]!) : undefined;
      }
      if (!matched) relax(best, words, i + 1, fromScore, UNK_ID);
    }
    const results: number[] = [];
    let iter = n;
    while (iter > 0) {
      const id = words[iter]!;
      results.push(id);
      iter -= this.pieceUtf16Length[id]!;
    }
    const merged: number[] = [];
    let previousUnk = false;
    for (const id of results) {
      if (!(previousUnk && id === UNK_ID)) merged.push(id);
      previousUnk = id === UNK_ID;
    }
    return merged.reverse();
  }

  /** The piece of an id ("▁the", "s", ...); the unknown id gives its placeholder piece. */
  piece(id: number): string {
    return this.vocabulary[id]?.[0] ?? "";
  }
}

function relax(best: Float64Array, words: Int32Array, end: number, score: number, index: number): void {
  if (best[end] === 0 || score >= best[end]!) {
    best[end] = score;
    words[end] = index;
  }
}
