/**
 * The default scoring profile: NOT FOR MONEY. The published weights, no normalisation
 * (identity), no gates, no calibration map,
 * a hand-made ratings table for the model prior and an inline price subset for the cost prior.
 * `profiles/default.json` is this object written out (a test keeps the two identical).
 * The project's own audit measures it at Pearson ~0.34 with human judgement and it pays wrong
 * answers; tasks pay with the calibrated profile (paying-profile.ts, profiles/calibrated.json).
 * It stays the base the audit calibrates from and is available by name ("default").
 */
import type { Profile, ProfileInput, TaskConfig } from "./profile-schema.js";
import { KNOWN_EVALUATORS, parseProfile } from "./profile-schema.js";

/**
 * The sentence encoder family the default profile was made for (see oracle/models): any
 * USE-lite ONNX build. A calibrated profile should pin the exact id it was fitted with
 * (e.g. "use-lite@5:4c6db373cea2"); see encoderMatches in engine.ts.
 */
export const DEFAULT_ENCODER_ID = "use-lite";

function task(cfg: Omit<TaskConfig, "normalization" | "gates" | "referenceAggregation">): TaskConfig {
  return { normalization: {}, gates: {}, referenceAggregation: "max", ...cfg };
}

function build(): ProfileInput {
  return {
    schema: "poq.profile/v1",
    name: "default",
    description:
      "Published default weights (model prior 0.15, cost prior 0.10, structure 0.20, semantic 0.25, alignment 0.15, agreement 0.15); no calibration: identity normalisation, no gates, no calibration map. Not for money: measured at Pearson ~0.34 with human judgement; tasks pay with profiles/calibrated.json.",
    models: { encoder: DEFAULT_ENCODER_ID, nli: null },
    weights: { modelPrior: 0.15, costPrior: 0.1, structure: 0.2, semantic: 0.25, alignment: 0.15, agreement: 0.15 },
    tasks: {
      qa: task({
        // Gold answers are short and outputs often full sentences: recall-oriented token matching.
        semantic: {
          withReferences: [
            { id: "use.cosine.ref", weight: 1 },
            { id: "bertscore.r", weight: 1 },
          ],
          withoutReferences: [{ id: "use.cosine.query", weight: 1 }],
        },
        // a conflicting number/entity against the gold answer is a strong sign of a wrong answer
        alignment: { against: ["references"], pooling: "max", cues: "conflicting", cuePenalty: 0.8, nliWeight: 0.5 },
        agreementPool: ["use.cosine.ref", "bertscore.f1", "rougeL.f", "squad.f1", "squad.containment"],
        structure: { lengthWords: { min: 1, max: 120 }, unfinishedMinWords: 12, penaliseCopy: false },
      }),
      summarization: task({
        semantic: {
          withReferences: [
            { id: "use.cosine.ref", weight: 1 },
            { id: "bertscore.f1", weight: 1 },
          ],
          withoutReferences: [{ id: "use.cosine.query", weight: 1 }],
        },
        // unsupported numbers/entities are a weaker cue in summaries (paraphrase, lower-cased names)
        alignment: { against: ["query"], pooling: "mean", cues: "unsupported", cuePenalty: 0.15, nliWeight: 0.5 },
        agreementPool: ["use.cosine.ref", "bertscore.f1", "rouge1.f", "rouge2.f", "rougeL.f", "summac.align"],
        structure: { lengthWords: { min: 15, max: 150 }, unfinishedMinWords: 8, penaliseCopy: true },
      }),
      open: task({
        semantic: {
          withReferences: [
            { id: "use.cosine.ref", weight: 1 },
            { id: "bertscore.f1", weight: 1 },
          ],
          withoutReferences: [{ id: "use.cosine.query", weight: 1 }],
        },
        alignment: { against: ["query"], pooling: "mean", cues: "unsupported", cuePenalty: 0.25, nliWeight: 0.5 },
        agreementPool: ["use.cosine.ref", "use.cosine.query", "bertscore.f1", "rougeL.f"],
        structure: { lengthWords: { min: 1, max: 1500 }, unfinishedMinWords: 8, penaliseCopy: false },
      }),
    },
    evaluators: {
      // every evaluator the engine knows except the NLI cross-encoder (no NLI model ships)
      enabled: KNOWN_EVALUATORS.filter((id) => id !== "nli.entail"),
      bertscoreBaseline: 0,
      cosineBaseline: 0,
    },
    modelPrior: {
      scale: "elo",
      reference: 1150,
      ratings: {
        // Hand mapping of dataset model names to LMArena text-leaderboard snapshot 2025-08-06
        // (../shared/data/ratings/lmarena_text.csv): gpt4 = ChatGPT-4 of March 2023 -> GPT-4-0314,
        // chatgpt = ChatGPT-3.5 of early 2023 -> GPT-3.5-Turbo-0314. The other systems
        // (text-davinci-003, New Bing, DPR+FiD, SummEval's M*) are not on the leaderboard: cold start.
        gpt4: 1210,
        chatgpt: 1137,
        "gpt-4-0314": 1210,
        "gpt-4-0613": 1191,
        "gpt-3.5-turbo-0314": 1137,
        "gpt-3.5-turbo-0613": 1145,
        "gpt-3.5-turbo-0125": 1131,
      },
      byTask: {},
      coldStart: 0.5,
      source: "LMArena text leaderboard snapshot 2025-08-06 (fboulnois/llm-leaderboard-csv), hand-mapped names",
    },
    costPrior: {
      budgetUsdPerOutput: 0.01,
      prices: {
        // USD per token from ../shared/data/ratings/model_prices.json (LiteLLM price map, 2025-09-05).
        "gpt-4": { inputPerToken: 3e-5, outputPerToken: 6e-5 },
        "gpt-3.5-turbo": { inputPerToken: 1.5e-6, outputPerToken: 2e-6 },
      },
      aliases: { gpt4: "gpt-4", chatgpt: "gpt-3.5-turbo" },
      priceTable: { path: "../shared/data/ratings/model_prices.json" },
      coldStart: 0.5,
      charsPerToken: 4,
    },
    // 256 distinct references (TriviaQA alias lists reach ~185); see record.ts for the cost bound
    limits: { maxOutputBytes: 65536, maxQueryBytes: 1048576, maxReferences: 256 },
  };
}

/** A fresh copy of the default profile (validated). */
export function defaultProfile(): Profile {
  return parseProfile(build(), "default profile");
}
