/**
 * The simulation config (a JSON file): data, the sweep grid, attack parameters and the
 * economics. Validated in full with zod before any work starts; every problem is reported
 * with its field path and reason.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { InputError } from "../core/errors.js";
import { ATTACKS, DEFAULT_ATTACK_PARAMS } from "./attacks/index.js";
import { SIGNALS } from "./signals.js";
import { DEFAULT_PROTOCOL_PARAMS, PARAM_BOUNDS, type ProtocolParams } from "../rules/index.js";

export const DEFENSES = ["MEAN", "MEDIAN", "TRIMMED_MEAN", "TRUST_WEIGHTED_MEAN", "TRUST_WEIGHTED_MEDIAN"] as const;
export type DefenseId = (typeof DEFENSES)[number];

const unit = z.number().finite().min(0).max(1);
const bps = (max: number) => z.number().int().min(0).max(max);
/** Token amounts: decimal strings or safe integers of token wei. */
const wei = z.union([z.string().regex(/^\d+$/, "must be a decimal integer string of token wei"), z.number().int().nonnegative()]).transform((v) => BigInt(v));

function enumOf<T extends readonly [string, ...string[]]>(values: T, what: string) {
  return z.string().refine((v): v is T[number] => (values as readonly string[]).includes(v), {
    error: (iss) => `unknown ${what} "${String(iss.input)}" (known: ${values.join(", ")})`,
  }) as unknown as z.ZodType<T[number]>;
}

/** Overrides of the contract's settlement parameters (bps), within the contract's bounds. */
export const SettlementOverridesSchema = z.strictObject({
  lambdaBps: bps(10_000).optional(),
  deviationScaleBps: z.number().int().min(100).max(10_000).optional(),
  trimBps: bps(4_500).optional(),
  qualityFloorBps: bps(9_900).optional(),
  slashBps: bps(5_000).optional(),
  missPenaltyBps: bps(9_000).optional(),
  wMin: z.number().int().min(100).max(10_000).optional(),
  wMax: z.number().int().min(10_001).max(100_000).optional(),
});

/** Overrides of the registry's staking parameters (the rest: the public deployment's defaults). */
export const StakingOverridesSchema = z.strictObject({
  minStake: wei.optional(),
  stakeCap: wei.optional(),
  unbondingDelay: z.number().int().min(PARAM_BOUNDS.unbondingDelay[0]).max(PARAM_BOUNDS.unbondingDelay[1]).optional(),
  activationDelay: z.number().int().min(PARAM_BOUNDS.activationDelay[0]).max(PARAM_BOUNDS.activationDelay[1]).optional(),
  initialTrust: z.number().int().min(PARAM_BOUNDS.initialTrust[0]).max(PARAM_BOUNDS.initialTrust[1]).optional(),
  trustGainPerPeriod: z.number().int().min(PARAM_BOUNDS.trustGainPerPeriod[0]).max(PARAM_BOUNDS.trustGainPerPeriod[1]).optional(),
  trustPeriod: z.number().int().min(PARAM_BOUNDS.trustPeriod[0]).max(PARAM_BOUNDS.trustPeriod[1]).optional(),
});

/** Overrides of ProofOfQuality's task parameters (protocol fee, minimum fee, committee and windows). */
export const TaskOverridesSchema = z.strictObject({
  minFeePerMember: wei.optional(),
  taskFee: wei.optional(),
  protocolFeeBps: z.number().int().min(PARAM_BOUNDS.protocolFeeBps[0]).max(PARAM_BOUNDS.protocolFeeBps[1]).optional(),
  minK: z.number().int().min(PARAM_BOUNDS.minK[0]).max(PARAM_BOUNDS.minK[1]).optional(),
  /** Cancel a task whose price only evaluators holding less than this share (bps) of the profile's weight accept. */
  minEligibleBps: z.number().int().min(0).max(10_000).optional(),
  minCommitWindow: z.number().int().min(PARAM_BOUNDS.window[0]).max(PARAM_BOUNDS.window[1]).optional(),
  maxCommitWindow: z.number().int().min(PARAM_BOUNDS.window[0]).max(PARAM_BOUNDS.window[1]).optional(),
  minRevealWindow: z.number().int().min(PARAM_BOUNDS.window[0]).max(PARAM_BOUNDS.window[1]).optional(),
  maxRevealWindow: z.number().int().min(PARAM_BOUNDS.window[0]).max(PARAM_BOUNDS.window[1]).optional(),
});

/** One sweep grid: every combination is simulated. */
export const SweepSchema = z.strictObject({
  /** Label of this grid in the rows (several grids can share one config). */
  name: z.string().min(1).default("main"),
  attacks: z.array(enumOf(ATTACKS, "attack")).min(1),
  attackerRatios: z
    .array(z.number().finite().min(0, "attacker ratio must be in [0,1]").max(1, "attacker ratio must be in [0,1]"))
    .min(1),
  defenses: z.array(enumOf(DEFENSES, "defense")).min(1),
  signals: z.array(enumOf(SIGNALS, "signal")).min(1),
  committeeSizes: z.array(z.number().int().min(3).max(32)).min(1),
  /** Prices per committee member swept (token wei; default: economics.feePerMember). */
  feesPerMember: z.array(wei).min(1).optional(),
  /** Settlement overrides for this grid only (on top of the config-wide ones). */
  settlement: SettlementOverridesSchema.optional(),
  /** Protocol overrides for this grid only (on top of the config-wide ones), e.g. a counterfactual parameter. */
  protocol: z.strictObject({ staking: StakingOverridesSchema.optional(), tasks: TaskOverridesSchema.optional() }).optional(),
});
export type SweepGrid = z.output<typeof SweepSchema>;

export const SimConfigSchema = z
  .strictObject({
    name: z.string().min(1).default("simulation"),
    data: z.strictObject({
      /** Scored JSON Lines files (`poq score` output); relative to the config file. */
      scored: z.array(z.string().min(1)).min(1),
      /** Calibrated profile (`poq audit` output) for the `calibrated` signal; relative to the config file. */
      profile: z.string().min(1).optional(),
      /**
       * The same records scored by `poq score --profile <calibrated profile>`: their `composite`
       * (matched by id) is the `calibrated` signal. Preferred over `profile`, because rescoring
       * also recomputes the model prior from the calibrated ratings.
       */
      calibratedScored: z.array(z.string().min(1)).min(1).optional(),
      /** Keep only these datasets (default: all in the files). */
      datasets: z.array(z.string().min(1)).min(1).optional(),
      /** Simulate each dataset on its own (rows carry `dataset`) instead of one mixed pool. */
      splitByDataset: z.boolean().default(true),
    }),
    rounds: z.number().int().min(1).max(1_000_000),
    /** Independent replicates; CIs are over seeds. */
    seeds: z.number().int().min(1).max(1000).default(8),
    baseSeed: z.number().int().min(0).max(2 ** 31).default(1),
    /** Registered evaluators (honest + attackers). */
    evaluatorPool: z.number().int().min(1).max(128),
    /** Most outputs per task (a group with more is sub-sampled each round). */
    outputsPerTask: z.number().int().min(2).max(15).default(5),
    /** One grid or a list of named grids. */
    sweep: z.preprocess((v) => (Array.isArray(v) || v === undefined ? v : [v]), z.array(SweepSchema).min(1)),
    attack: z
      .strictObject({
        /** Common target of colluding / intermittent groups: the worst or best node by human score, a random node, or a node id. */
        target: z.string().min(1).default("worst"),
        boostScore: unit.default(DEFAULT_ATTACK_PARAMS.boostScore),
        sabotageScore: unit.default(DEFAULT_ATTACK_PARAMS.sabotageScore),
        colludeSabotage: z.boolean().default(DEFAULT_ATTACK_PARAMS.colludeSabotage),
        noiseSd: z.number().finite().min(0).max(1).default(DEFAULT_ATTACK_PARAMS.noiseSd),
        intermittentProb: unit.default(DEFAULT_ATTACK_PARAMS.intermittentProb),
        lazyScore: unit.default(DEFAULT_ATTACK_PARAMS.lazyScore),
        copyMode: z.enum(["previous", "silent"]).default(DEFAULT_ATTACK_PARAMS.copyMode),
        /** self-deal: the attacker's own minimum-price tasks per round. */
        selfDealTasksPerRound: z.number().int().min(0).max(10).default(DEFAULT_ATTACK_PARAMS.selfDealTasksPerRound),
        /** self-deal: the sybils stiff the nodes of the attacker's own tasks, or only farm trust there. */
        selfDealMode: z.enum(["stiff", "farm"]).default(DEFAULT_ATTACK_PARAMS.selfDealMode),
        /** whitewash: re-register below this trust (bps; 0 = the protocol's initialTrust). */
        washBelow: z.number().int().min(0).max(100_000).default(DEFAULT_ATTACK_PARAMS.washBelow),
        /** short-window: honest members' largest response latency (seconds) for a commit and for a reveal. */
        honestLatencySeconds: z.number().finite().min(0).max(7 * 24 * 3600).default(DEFAULT_ATTACK_PARAMS.honestLatencySeconds),
      })
      .prefault({}),
    honest: z
      .strictObject({
        /** Pin the `single` signal of every honest evaluator to one evaluator id (default: round-robin over the pool). */
        singleEvaluator: z.string().min(1).optional(),
        /**
         * The evaluator pool per task family behind "single" and "median": "profile" (default) =
         * the default scoring profile's agreement pool for that family, "all" = every evaluator
         * scored on all records, or explicit lists by task family.
         */
        evaluators: z.union([z.enum(["profile", "all"]), z.record(z.string(), z.array(z.string().min(1)).min(1))]).default("profile"),
      })
      .prefault({}),
    economics: z
      .strictObject({
        /** Stake of every evaluator (token wei); self-dealing sybils stake the protocol minimum. */
        stake: wei.default(1000n * 10n ** 18n),
        /** Declared costs per evaluation (token wei): pool member i declares evaluatorCosts[i mod n]; its real work cost is workCostBps of it. */
        evaluatorCosts: z.array(wei).min(1).default([5n * 10n ** 17n, 10n ** 18n, 15n * 10n ** 17n, 2n * 10n ** 18n]),
        /** Price per committee member of honest requesters' tasks (token wei); a grid may sweep feesPerMember. */
        feePerMember: wei.default(2n * 10n ** 18n),
        /** Inference budget per task paid to nodes (token wei). */
        nodeBudget: wei.default(100n * 10n ** 18n),
        /** Real cost of one evaluation as a share of the declared cost (bps): what an evaluator that runs a scorer spends. */
        workCostBps: bps(100_000).default(8_000),
      })
      .prefault({}),
    /** Protocol parameters: overrides of the public deployment's defaults (DEFAULT_PROTOCOL_PARAMS). */
    protocol: z
      .strictObject({
        staking: StakingOverridesSchema.prefault({}),
        tasks: TaskOverridesSchema.prefault({}),
      })
      .prefault({}),
    /** The clock: seconds between two honest requesters' tasks (trust periods and delays run on it). */
    secondsPerTask: z.number().int().min(1).max(30 * 24 * 3600).default(3_600),
    /** Commit and reveal windows of ordinary tasks (seconds). */
    windows: z
      .strictObject({ commit: z.number().int().min(10).default(3_600), reveal: z.number().int().min(10).default(3_600) })
      .prefault({}),
    /** Settlement parameter overrides (bps); the rest are the contract's defaults. */
    settlement: SettlementOverridesSchema.prefault({}),
    report: z
      .strictObject({
        /** The configuration the summary checks against the targets. */
        headline: z
          .strictObject({
            attack: enumOf(ATTACKS, "attack").default("collude"),
            attackerRatio: unit.default(0.3),
            defense: enumOf(DEFENSES, "defense").default("TRUST_WEIGHTED_MEDIAN"),
            signal: enumOf(SIGNALS, "signal").default("calibrated"),
            /** Default: the committee size closest to 7 in the grid. */
            committeeSize: z.number().int().min(1).max(32).optional(),
          })
          .prefault({}),
        /** A defense "breaks" at the first attacker ratio where rewardSpearman < threshold x the attack-free value. */
        fidelityThreshold: unit.default(0.9),
        /** Attacker ratio shown in the trust-trajectory figure (closest swept value). */
        trajectoryRatio: unit.default(0.3),
      })
      .prefault({}),
    /** Points kept per trust trajectory. */
    trajectoryPoints: z.number().int().min(2).max(10_000).default(100),
  })
  .superRefine((c, ctx) => {
    if (c.data.profile !== undefined && c.data.calibratedScored !== undefined) {
      ctx.addIssue({ code: "custom", path: ["data", "profile"], message: "give data.profile or data.calibratedScored, not both" });
    }
    c.sweep.forEach((g, gi) => {
      const at = (...p: PropertyKey[]) => ["sweep", gi, ...p];
      g.committeeSizes.forEach((k, i) => {
        if (k > c.evaluatorPool) {
          ctx.addIssue({
            code: "custom",
            path: at("committeeSizes", i),
            message: `committee size ${k} is larger than the evaluator pool (${c.evaluatorPool})`,
          });
        }
      });
      if (g.signals.includes("calibrated") && c.data.profile === undefined && c.data.calibratedScored === undefined) {
        ctx.addIssue({
          code: "custom",
          path: at("signals"),
          message: 'signal "calibrated" needs data.profile (a calibrated profile) or data.calibratedScored (records rescored with it)',
        });
      }
    });
    if (new Set(c.sweep.map((g) => g.name)).size !== c.sweep.length) {
      ctx.addIssue({ code: "custom", path: ["sweep"], message: "sweep grids need distinct names" });
    }
    const baseTasks = { ...DEFAULT_PROTOCOL_PARAMS.governance.tasks, ...stripUndefined(c.protocol.tasks) };
    c.sweep.forEach((g, gi) => {
      const tasks = { ...baseTasks, ...stripUndefined(g.protocol?.tasks ?? {}) };
      g.committeeSizes.forEach((k, i) => {
        if (k < tasks.minK) {
          ctx.addIssue({ code: "custom", path: ["sweep", gi, "committeeSizes", i], message: `committee size ${k} is below the protocol minimum minK = ${tasks.minK}` });
        }
      });
      (g.feesPerMember ?? [c.economics.feePerMember]).forEach((f, i) => {
        if (f < tasks.minFeePerMember) {
          ctx.addIssue({
            code: "custom",
            path: g.feesPerMember ? ["sweep", gi, "feesPerMember", i] : ["economics", "feePerMember"],
            message: `fee per member ${f} wei is below the protocol minimum minFeePerMember = ${tasks.minFeePerMember} wei`,
          });
        }
      });
    });
    if (c.windows.commit < baseTasks.minCommitWindow || c.windows.reveal < baseTasks.minRevealWindow) {
      ctx.addIssue({ code: "custom", path: ["windows"], message: `windows must be at least the protocol minimum (${baseTasks.minCommitWindow} s / ${baseTasks.minRevealWindow} s)` });
    }
  });

/** Drops undefined fields (so that spreading overrides keeps the defaults). */
export function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The protocol parameters a config (and a grid of it) simulates: the public deployment's defaults with the overrides. */
export function protocolOf(cfg: Pick<SimConfig, "protocol">, g?: Pick<SweepGrid, "protocol">): ProtocolParams {
  const d = DEFAULT_PROTOCOL_PARAMS;
  return {
    staking: { ...d.staking, ...stripUndefined(cfg.protocol.staking), ...stripUndefined(g?.protocol?.staking ?? {}) },
    governance: {
      tasks: { ...d.governance.tasks, ...stripUndefined(cfg.protocol.tasks), ...stripUndefined(g?.protocol?.tasks ?? {}) },
      settlement: d.governance.settlement,
    },
  };
}

export type SimConfig = z.output<typeof SimConfigSchema>;
export type SimConfigInput = z.input<typeof SimConfigSchema>;

function formatPath(p: readonly PropertyKey[]): string {
  return p.reduce<string>((acc, k) => (typeof k === "number" ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), "") || "(root)";
}

/** Validates a parsed config; throws one InputError naming every problem (field: reason). */
export function parseSimConfig(raw: unknown, source = "config"): SimConfig {
  const r = SimConfigSchema.safeParse(raw);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
    throw new InputError(`invalid simulation config ${source}: ${problems.join("; ")}`, {
      field: formatPath(r.error.issues[0]!.path),
      reason: r.error.issues[0]!.message,
    });
  }
  return r.data;
}

/** Reads, parses and validates a config file; data paths become absolute (relative to the file). */
export async function loadSimConfig(file: string): Promise<SimConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new InputError(`cannot read simulation config ${file}: ${(err as Error).message}`, { field: "config", reason: "unreadable" });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InputError(`simulation config ${file} is not JSON: ${(err as Error).message}`, { field: "config", reason: "not JSON" });
  }
  const cfg = parseSimConfig(raw, file);
  const dir = path.dirname(path.resolve(file));
  return {
    ...cfg,
    data: {
      ...cfg.data,
      scored: cfg.data.scored.map((p) => path.resolve(dir, p)),
      profile: cfg.data.profile === undefined ? undefined : path.resolve(dir, cfg.data.profile),
      calibratedScored: cfg.data.calibratedScored?.map((p) => path.resolve(dir, p)),
    },
  };
}
