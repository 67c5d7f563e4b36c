/**
 * Scoring profile schema (imported through profile.ts). Scoring profiles: the JSON document that fixes HOW outputs are scored (dimension weights,
 * per-task weights, normalisation statistics, reliability gates, model ratings behind the
 * model prior, the price table behind the cost prior, the evaluator set and which evaluators
 * feed which dimension, and the model versions). Profiles are data: the calibration (issue 4)
 * writes one, `poq score --profile` reads it, and every scored record names the keccak256
 * hash of the profile's canonical JSON form.
 */
import { readFile } from "node:fs/promises";
import { keccak256, stringToBytes, type Hex } from "viem";
import { z } from "zod";
import { InputError, PoqError } from "../core/errors.js";

/** The six quality dimensions, in their canonical order. */
export const DIMENSIONS = ["modelPrior", "costPrior", "structure", "semantic", "alignment", "agreement"] as const;
export type Dimension = (typeof DIMENSIONS)[number];
export type DimensionScores = Record<Dimension, number>;

export const PROFILE_SCHEMA_VERSION = "poq.profile/v1";

const nonNegative = z.number().finite().min(0);
const unit = z.number().finite().min(0).max(1);

/** Non-negative weight per dimension (all six named). */
export const WeightsSchema = z.strictObject({
  modelPrior: nonNegative,
  costPrior: nonNegative,
  structure: nonNegative,
  semantic: nonNegative,
  alignment: nonNegative,
  agreement: nonNegative,
});
export type Weights = z.infer<typeof WeightsSchema>;

/**
 * Per-dimension normalisation, statistics from a calibration set:
 * - identity: the raw [0,1] value;
 * - minmax: (x - lo) / (hi - lo), clipped to [0,1] (lo/hi are e.g. the 5th/95th percentiles);
 * - zscore: Phi((x - mean) / std), the standard normal CDF of the z-score (a percentile-like
 *   value in (0,1)).
 */
export const NormStatSchema = z.discriminatedUnion("method", [
  z.strictObject({ method: z.literal("identity") }),
  z
    .strictObject({ method: z.literal("minmax"), lo: z.number().finite(), hi: z.number().finite() })
    .refine((s) => s.hi > s.lo, { message: "minmax needs hi > lo" }),
  z.strictObject({ method: z.literal("zscore"), mean: z.number().finite(), std: z.number().finite().positive() }),
]);
export type NormStat = z.infer<typeof NormStatSchema>;

/**
 * A reliability gate: the dimension is used for this task only while `reliability >= threshold`.
 * `reliability` is the figure measured by the audit (e.g. out-of-fold Pearson with human
 * scores); null = not measurable (constant signal), which keeps the dimension off.
 */
export const GateSchema = z.strictObject({
  metric: z.enum(["pearson", "spearman", "kendall", "ci95Low"]),
  reliability: z.number().finite().min(-1).max(1).nullable(),
  threshold: z.number().finite().min(-1).max(1),
  ci95: z.tuple([z.number().finite(), z.number().finite()]).optional(),
  n: z.number().int().nonnegative().optional(),
  note: z.string().optional(),
});
export type Gate = z.infer<typeof GateSchema>;

/** One evaluator feeding a dimension, with its weight inside that dimension. */
export const EvaluatorRefSchema = z.strictObject({ id: z.string().min(1), weight: z.number().finite().positive() });
export type EvaluatorRef = z.infer<typeof EvaluatorRefSchema>;

export const AlignmentSourceSchema = z.enum(["query", "references"]);
export type AlignmentSource = z.infer<typeof AlignmentSourceSchema>;

/** Most breakpoints a calibration map may have (evaluation is a binary search: O(log n)). */
export const MAX_CALIBRATION_POINTS = 512;

/**
 * A monotone calibration map applied after the composite (issue 14): the raw composite x is
 * mapped to an estimate of the human score (for QA: P(a human judges the answer correct); for
 * summarisation: the expected human rating rescaled to [0,1]). `x` are strictly increasing
 * breakpoints on the raw composite and `y` the non-decreasing calibrated values there; between
 * breakpoints the map interpolates linearly, outside it is constant (y[0] below x[0], the last
 * y above the last x). Fitted by isotonic regression (pool-adjacent-violators) on out-of-fold
 * composites in `poq audit` (or a least-squares line when that calibrates better out of
 * sample); being in the profile, it is part of the profile hash.
 */
export const CalibrationMapSchema = z
  .strictObject({
    /** How it was fitted: isotonic regression, or a least-squares line (clipped); evaluated the same way. */
    method: z.enum(["isotonic", "linear"]),
    /** What the calibrated value estimates (free text, e.g. "P(human judges correct)"). */
    target: z.string().min(1),
    x: z.array(z.number().finite()).min(1).max(MAX_CALIBRATION_POINTS),
    y: z.array(unit).min(1).max(MAX_CALIBRATION_POINTS),
    /** Rows it was fitted on (documentation). */
    n: z.number().int().nonnegative().optional(),
  })
  .superRefine((m, ctx) => {
    if (m.x.length !== m.y.length) ctx.addIssue({ code: "custom", message: `x and y need the same length (${m.x.length} vs ${m.y.length})`, path: ["y"] });
    for (let i = 1; i < m.x.length; i++) {
      if (!(m.x[i]! > m.x[i - 1]!)) {
        ctx.addIssue({ code: "custom", message: `x must be strictly increasing (x[${i}] = ${m.x[i]} after ${m.x[i - 1]})`, path: ["x", i] });
        break;
      }
    }
    for (let i = 1; i < m.y.length; i++) {
      if (m.y[i]! < m.y[i - 1]!) {
        ctx.addIssue({ code: "custom", message: `y must be non-decreasing (y[${i}] = ${m.y[i]} after ${m.y[i - 1]})`, path: ["y", i] });
        break;
      }
    }
  });
export type CalibrationMap = z.infer<typeof CalibrationMapSchema>;

/**
 * An alternative mix of a task, used instead of the task's own weights for records the main
 * mix was not fitted for (see scoring/mix.ts): `priorFree` when the record's model has no
 * rating for the task (the model prior would be a constant cold-start value),
 * `referenceFree` when the record has no references, `referenceFreePriorFree` when both.
 * Its weights are final (no gates): a dimension it does not use has weight 0.
 */
export const MixSchema = z.strictObject({
  weights: WeightsSchema,
  /** Normalisation per dimension for this mix (absent dimension: identity). */
  normalization: z.partialRecord(z.enum(DIMENSIONS), NormStatSchema).default({}),
  /** The semantic dimension's evaluators under this mix (absent: the task's). */
  semantic: z.array(EvaluatorRefSchema).min(1).optional(),
  calibration: CalibrationMapSchema.optional(),
  note: z.string().optional(),
});
export type Mix = z.infer<typeof MixSchema>;

export const MIX_NAMES = ["priorFree", "referenceFree", "referenceFreePriorFree"] as const;
export type MixName = (typeof MIX_NAMES)[number];

/** Everything that is task-specific. The set of keys of `Profile.tasks` IS the set of known tasks. */
export const TaskConfigSchema = z.strictObject({
  /** Task-wise weights; absent = the profile's `weights`. */
  weights: WeightsSchema.optional(),
  /** Normalisation per dimension; a dimension without an entry is used as is (identity). */
  normalization: z.partialRecord(z.enum(DIMENSIONS), NormStatSchema).default({}),
  /** Reliability gates per dimension; a dimension without a gate is always on. */
  gates: z.partialRecord(z.enum(DIMENSIONS), GateSchema).default({}),
  /** How scores against several references combine: the best match (alternatives) or the mean. */
  referenceAggregation: z.enum(["max", "mean"]).default("max"),
  semantic: z.strictObject({
    /** Evaluators (weighted mean) when the record has references. */
    withReferences: z.array(EvaluatorRefSchema).min(1),
    /** Evaluators when it has none (reference-free: against the query / source). */
    withoutReferences: z.array(EvaluatorRefSchema).min(1),
  }),
  alignment: z.strictObject({
    /** What output sentences are aligned to: the query/source, the references, or both (the query when the chosen texts are empty). */
    against: z.array(AlignmentSourceSchema).min(1),
    /** How per-sentence best alignments pool: mean (every sentence must be supported, summaries) or max (one sentence carries the answer, QA). */
    pooling: z.enum(["mean", "max"]).default("mean"),
    /**
     * Cue mode: "unsupported" = numbers/entities the source never mentions (complete sources,
     * summaries); "conflicting" = the source states numbers/entities and the output shares none
     * of them (short gold answers, QA).
     */
    cues: z.enum(["unsupported", "conflicting"]).default("unsupported"),
    /** Multiplicative penalty per unit of contradiction-cue rate (negation, numbers, entities). */
    cuePenalty: unit,
    /** Weight of the NLI entailment score against the embedding alignment when an NLI model is configured. */
    nliWeight: unit,
  }),
  /** Evaluator ids whose dispersion is the agreement dimension (at least two). */
  agreementPool: z.array(z.string().min(1)).min(2),
  structure: z.strictObject({
    /** Expected output length in words. */
    lengthWords: z.strictObject({ min: z.number().int().min(0), max: z.number().int().positive() }),
    /** Penalise outputs that stop mid-sentence (no terminal punctuation) when longer than this many words. */
    unfinishedMinWords: z.number().int().min(0),
    /** Penalise outputs that copy the query/source nearly verbatim (summaries). */
    penaliseCopy: z.boolean(),
  }),
  /** Monotone map of the composite onto the human scale (absent: the raw composite). */
  calibration: CalibrationMapSchema.optional(),
  /**
   * Degenerate-text gate (absent: off): the composite of an output that is a loop rather than
   * language (`degenerateReason` in scoring/text.ts: stutter, repeated sentences, phrase loop)
   * is at most this, whatever mix scores it.
   */
  degenerateCap: unit.optional(),
  /** Alternative mixes for records without a model rating and/or without references (absent: the main mix). */
  mixes: z
    .strictObject({
      priorFree: MixSchema.optional(),
      referenceFree: MixSchema.optional(),
      referenceFreePriorFree: MixSchema.optional(),
    })
    .optional(),
});
export type TaskConfig = z.infer<typeof TaskConfigSchema>;

export const ModelPriorSchema = z.strictObject({
  /** "elo": ratings on the Elo/Bradley-Terry scale; prior = P(model beats a `reference`-rated model). */
  scale: z.literal("elo"),
  reference: z.number().finite(),
  /** Ratings used for every task, by `record.model`. */
  ratings: z.record(z.string(), z.number().finite()),
  /** Task-specific ratings (take precedence over `ratings`). */
  byTask: z.record(z.string(), z.record(z.string(), z.number().finite())).default({}),
  /** Prior for a model with no rating (documented cold-start value). */
  coldStart: unit,
  /** Where the ratings come from (free text). */
  source: z.string(),
});
export type ModelPrior = z.infer<typeof ModelPriorSchema>;

export const PriceSchema = z.strictObject({
  inputPerToken: z.number().finite().min(0),
  outputPerToken: z.number().finite().min(0),
});
export type Price = z.infer<typeof PriceSchema>;

export const CostPriorSchema = z.strictObject({
  /** Serving budget in USD per output (one request): cost at which affordability is 0.5. */
  budgetUsdPerOutput: z.number().finite().positive(),
  /** Per-token prices (USD) by price-table model name, inline so the profile hash covers them. */
  prices: z.record(z.string(), PriceSchema),
  /** Dataset model name -> price-table model name. */
  aliases: z.record(z.string(), z.string()).default({}),
  /** Optional reference to the price table the inline prices came from (model_prices.json format). */
  priceTable: z.strictObject({ path: z.string(), sha256: z.string().optional() }).optional(),
  /** Affordability used when a model has no price (documented cold-start value). */
  coldStart: unit,
  /** Characters per token when a record has no logged token counts. */
  charsPerToken: z.number().finite().positive(),
});
export type CostPrior = z.infer<typeof CostPriorSchema>;

export const ProfileSchema = z.strictObject({
  schema: z.literal(PROFILE_SCHEMA_VERSION),
  name: z.string().min(1),
  description: z.string().default(""),
  /** keccak256 of the canonical form of everything else; checked on load when present. */
  hash: z.string().regex(/^0x[0-9a-f]{64}$/).optional(),
  models: z.strictObject({
    /**
     * The sentence encoder this profile was made for: an exact id ("use-lite@5:4c6db373cea2"),
     * a version ("use-lite@5") or a family ("use-lite"); scoring refuses any other encoder.
     */
    encoder: z.string().min(1),
    /** Optional NLI cross-encoder (ONNX + tokenizer.json), used by the alignment dimension. */
    nli: z
      .strictObject({
        id: z.string().min(1),
        modelPath: z.string().min(1),
        tokenizerPath: z.string().min(1),
        labels: z.array(z.string()).min(2),
      })
      .nullable()
      .default(null),
  }),
  /** Default dimension weights (the published ones in the default profile). */
  weights: WeightsSchema,
  tasks: z.record(z.string().min(1), TaskConfigSchema).refine((t) => Object.keys(t).length > 0, {
    message: "a profile needs at least one task",
  }),
  evaluators: z.strictObject({
    /** Evaluator ids computed for every record (where applicable). */
    enabled: z.array(z.string().min(1)).min(1),
    /** BERTScore-style baseline rescaling: (x - b) / (1 - b), clipped. */
    bertscoreBaseline: z.number().finite().min(0).max(0.99),
    /** Cosine baseline rescaling for USE cosine / alignment evaluators: (x - b) / (1 - b), clipped. */
    cosineBaseline: z.number().finite().min(0).max(0.99),
  }),
  modelPrior: ModelPriorSchema,
  costPrior: CostPriorSchema,
  /**
   * Cheap-first evaluation (off when absent): structure, priors and lexical evaluators first;
   * the encoder (and NLI model) only for records whose composite could still land on either
   * side of `floor` whatever the encoder-based evaluators say (oracle/scoring/cheap-first.ts).
   */
  cheapFirst: z
    .strictObject({
      /** The pay decision the skip must not change: the payout floor on the composite (0.5 = 5000 bp). */
      floor: unit,
      /** Skip only when the composite's bounds clear the floor by at least this much (0 = whenever the decision is settled). */
      margin: unit,
      /**
       * Value taken by each encoder-based evaluator (and by the alignment and agreement
       * dimensions, keys "dim.alignment", "dim.agreement") in a skipped record; 0.5 when absent.
       */
      fill: z.record(z.string().min(1), unit).default({}),
    })
    .optional(),
  limits: z.strictObject({
    maxOutputBytes: z.number().int().positive(),
    maxQueryBytes: z.number().int().positive(),
    maxReferences: z.number().int().positive(),
  }),
});
export type Profile = z.infer<typeof ProfileSchema>;
export type ProfileInput = z.input<typeof ProfileSchema>;

/** All evaluator ids the engine knows (see evaluators/registry.ts for tiers and meaning). */
export const KNOWN_EVALUATORS = [
  "use.cosine.ref",
  "use.cosine.query",
  "bertscore.p",
  "bertscore.r",
  "bertscore.f1",
  "summac.align",
  "rouge1.f",
  "rouge2.f",
  "rougeL.f",
  "squad.f1",
  "squad.em",
  "squad.containment",
  "squad.recall",
  "qa.recall.soft",
  "qa.recall.novel",
  "source.overlap",
  "distinct.3gram",
  "source.support",
  "source.consistency",
  "qa.support",
  "qa.entities",
  "qa.numbers",
  "answer.committal",
  "nli.entail",
] as const;
export type EvaluatorId = (typeof KNOWN_EVALUATORS)[number];

/** JSON with object keys sorted (recursively) and no whitespace. Rejects non-finite numbers. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new PoqError("E_PROFILE", `non-finite number in canonical JSON: ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object") {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
  }
  throw new PoqError("E_PROFILE", `value of type ${typeof value} has no canonical JSON form`);
}

/** keccak256 of the canonical JSON of the profile without its own `hash` field. */
export function profileHash(profile: Profile | ProfileInput): Hex {
  const { hash: _ignored, ...rest } = profile as Profile;
  return keccak256(stringToBytes(canonicalJson(rest)));
}

/** A dimension is on when it has no gate, or its measured reliability reaches the threshold. */
export function gateOpen(gate: Gate | undefined): boolean {
  if (gate === undefined) return true;
  return gate.reliability !== null && gate.reliability >= gate.threshold;
}

/** Cross-field checks zod cannot express per field: evaluator ids and references between sections. */
function crossCheck(profile: Profile): string[] {
  const problems: string[] = [];
  const known = new Set<string>(KNOWN_EVALUATORS);
  const enabled = new Set(profile.evaluators.enabled);
  for (const id of profile.evaluators.enabled) if (!known.has(id)) problems.push(`evaluators.enabled: unknown evaluator "${id}"`);
  for (const [task, cfg] of Object.entries(profile.tasks)) {
    const refs = [
      ...cfg.semantic.withReferences.map((r) => [`tasks.${task}.semantic.withReferences`, r.id] as const),
      ...cfg.semantic.withoutReferences.map((r) => [`tasks.${task}.semantic.withoutReferences`, r.id] as const),
      ...cfg.agreementPool.map((id) => [`tasks.${task}.agreementPool`, id] as const),
      ...MIX_NAMES.flatMap((m) => (cfg.mixes?.[m]?.semantic ?? []).map((r) => [`tasks.${task}.mixes.${m}.semantic`, r.id] as const)),
    ];
    for (const m of MIX_NAMES) {
      const mix = cfg.mixes?.[m];
      if (mix && DIMENSIONS.every((d) => mix.weights[d] === 0)) problems.push(`tasks.${task}.mixes.${m}: all weights are 0`);
    }
    for (const [where, id] of refs) {
      if (!known.has(id)) problems.push(`${where}: unknown evaluator "${id}"`);
      else if (!enabled.has(id)) problems.push(`${where}: evaluator "${id}" is not in evaluators.enabled`);
    }
    if (cfg.structure.lengthWords.max < cfg.structure.lengthWords.min) {
      problems.push(`tasks.${task}.structure.lengthWords: max < min`);
    }
    const w = cfg.weights ?? profile.weights;
    if (DIMENSIONS.every((d) => w[d] === 0 || !gateOpen(cfg.gates[d]))) {
      problems.push(`tasks.${task}: no dimension has a positive weight and an open gate`);
    }
  }
  if (DIMENSIONS.every((d) => profile.weights[d] === 0)) problems.push("weights: all dimension weights are 0");
  return problems;
}

/** Validates an untrusted profile document (zod + cross-field checks + `hash` if present). */
export function parseProfile(doc: unknown, origin = "profile"): Profile {
  const parsed = ProfileSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join(".") || "(root)";
    throw new InputError(`${origin}: invalid profile at ${field}: ${issue.message}`, { field, reason: issue.message });
  }
  const profile = parsed.data;
  const problems = crossCheck(profile);
  if (problems.length > 0) {
    throw new InputError(`${origin}: invalid profile: ${problems.join("; ")}`, { reason: problems.join("; ") });
  }
  if (profile.hash !== undefined) {
    const actual = profileHash(profile);
    if (actual !== profile.hash) {
      throw new InputError(`${origin}: profile hash ${profile.hash} does not match its content (${actual})`, {
        field: "hash",
        reason: "hash mismatch",
      });
    }
  }
  return profile;
}

/** Reads and validates a profile JSON file. */
export async function loadProfile(path: string): Promise<Profile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new InputError(`cannot read profile ${path}: ${(err as Error).message}`, { reason: "unreadable" });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InputError(`profile ${path} is not valid JSON: ${(err as Error).message}`, { reason: "invalid JSON" });
  }
  return parseProfile(doc, path);
}

/** The profile with its `hash` field set (what gets written to disk). */
export function withHash(profile: Profile): Profile {
  const { hash: _old, ...rest } = profile;
  return { ...rest, hash: profileHash(rest as Profile) } as Profile;
}

/** Effective weights for a task (task-wise weights, else the default). */
export function weightsFor(profile: Profile, task: string): Weights {
  return profile.tasks[task]?.weights ?? profile.weights;
}

/** The published default weights. */
export const DEFAULT_WEIGHTS: Weights = Object.freeze({
  modelPrior: 0.15,
  costPrior: 0.1,
  structure: 0.2,
  semantic: 0.25,
  alignment: 0.15,
  agreement: 0.15,
});
