/**
 * The evaluator pool: every evaluator's id, cost tier and what it measures. Scores are in
 * [0,1]; an evaluator that does not apply to a record (e.g. reference-based without
 * references) is absent from the record's `evaluators` map.
 */
import type { EvaluatorId } from "../profile.js";

/** lexical: string arithmetic; embedding: one pooled vector per text; token: per-token states; nli: a cross-encoder pass per sentence pair. */
export type CostTier = "lexical" | "embedding" | "token" | "nli";

export interface EvaluatorInfo {
  id: EvaluatorId;
  tier: CostTier;
  needsReferences: boolean;
  description: string;
}

export const EVALUATORS: readonly EvaluatorInfo[] = [
  { id: "use.cosine.ref", tier: "embedding", needsReferences: true, description: "USE-lite cosine of output and reference embeddings (aggregated over references), baseline-rescaled" },
  { id: "use.cosine.query", tier: "embedding", needsReferences: false, description: "USE-lite cosine of output and query/source embeddings (reference-free), baseline-rescaled" },
  { id: "bertscore.p", tier: "token", needsReferences: true, description: "BERTScore-style greedy token matching on USE-lite token states: precision" },
  { id: "bertscore.r", tier: "token", needsReferences: true, description: "BERTScore-style greedy token matching: recall" },
  { id: "bertscore.f1", tier: "token", needsReferences: true, description: "BERTScore-style greedy token matching: F1" },
  { id: "summac.align", tier: "embedding", needsReferences: false, description: "SummaC-style alignment: per output sentence the best cosine with a source sentence, mean" },
  { id: "rouge1.f", tier: "lexical", needsReferences: true, description: "ROUGE-1 F1 (unigram overlap)" },
  { id: "rouge2.f", tier: "lexical", needsReferences: true, description: "ROUGE-2 F1 (bigram overlap)" },
  { id: "rougeL.f", tier: "lexical", needsReferences: true, description: "ROUGE-L F1 (longest common subsequence)" },
  { id: "squad.f1", tier: "lexical", needsReferences: true, description: "SQuAD token F1 of normalised answers" },
  { id: "squad.em", tier: "lexical", needsReferences: true, description: "SQuAD exact match of normalised answers" },
  { id: "squad.containment", tier: "lexical", needsReferences: true, description: "normalised reference answer contained in the output (0/1)" },
  { id: "squad.recall", tier: "lexical", needsReferences: true, description: "share of normalised reference tokens present in the output (soft containment)" },
  { id: "qa.recall.soft", tier: "lexical", needsReferences: true, description: "lenient gold-token recall: footnote markers removed, letters split from digits, one-edit matches for tokens of 5+ characters" },
  { id: "qa.recall.novel", tier: "lexical", needsReferences: true, description: "qa.recall.soft over the gold tokens the question does not contain (an answer restating the question earns nothing); tasks whose query is a question (alignment not against the query)" },
  { id: "source.overlap", tier: "lexical", needsReferences: false, description: "extractive support: share of output word 4-grams found verbatim in the query/source (tasks whose alignment is against the query; absent for QA)" },
  { id: "distinct.3gram", tier: "lexical", needsReferences: false, description: "non-redundancy: share of the output's word trigrams that are distinct (1 = no phrase repeated; 1 under 3 words)" },
  { id: "source.support", tier: "lexical", needsReferences: false, description: "content support: share of the output's content words (light stemming) found in the query/source (tasks whose alignment is against the query)" },
  { id: "source.consistency", tier: "lexical", needsReferences: false, description: "1 - share of output sentences that flip a statement of the source sentences they share words with (an opposite, or what the source negates); 0.5 or less (half or more of the sentences) caps the composite in calibrated profiles (tasks whose alignment is against the query)" },
  { id: "qa.support", tier: "lexical", needsReferences: true, description: "share of the answer's content words outside the question found in the gold answers (precision counterpart of gold-token recall; tasks whose query is a question)" },
  { id: "qa.entities", tier: "lexical", needsReferences: true, description: "share of the answer's names (capitalised words inside a sentence) found in the question or the gold answers; 1 when it names none (tasks whose query is a question)" },
  { id: "qa.numbers", tier: "lexical", needsReferences: true, description: "best share of one numeric gold answer's numbers that the answer states; 1 when no gold answer has a number (tasks whose query is a question)" },
  { id: "answer.committal", tier: "lexical", needsReferences: false, description: "0 when the output hedges or refuses (\"as an AI language model\", \"I couldn't find\", \"cannot be determined\"), else 1" },
  { id: "nli.entail", tier: "nli", needsReferences: false, description: "NLI cross-encoder: mean (1 + P(entail) - P(contradict)) / 2 of output sentences given aligned source sentences" },
];

export const EVALUATOR_ORDER: ReadonlyMap<string, number> = new Map(EVALUATORS.map((e, i) => [e.id, i]));
