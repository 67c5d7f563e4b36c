/** The adversarial PoQ simulator: public API (the CLI and the benchmark use only this). */
export { ATTACKS, strategyOf, DEFAULT_ATTACK_PARAMS, type AttackId, type AttackParams, type AttackStrategy } from "./attacks/index.js";
export { DEFENSES, SimConfigSchema, parseSimConfig, loadSimConfig, protocolOf, type DefenseId, type SimConfig, type SimConfigInput, type SweepGrid } from "./config.js";
export { parseScoredJsonl, loadScoredFiles, groupTasks, nodeId, type ScoredRecord, type SimTask } from "./data.js";
export { createRun, runSimulation, resolveTarget, RULE_OF, SIM_EPOCH, SIM_PROFILE_BIT, type Economics, type RunSpec, type Run, type RunTotals, type RoundRecord, type EvaluatorState } from "./engine.js";
export { spearman, pearson, ranks, median, lowQualityRewardShare, summarize, type Summary } from "./metrics.js";
export { prepareData, type Partition, type PreparedData } from "./prepare.js";
export { runMetrics, nodeRates, type RunMetrics } from "./run-metrics.js";
export { SIGNALS, buildDataset, honestScore, type SignalId, type Dataset } from "./signals.js";
export { runSweep, countRuns, feesOf, attackersOf, type SimRow, type SweepResult, type Trajectory } from "./sweep.js";
export { writeOutputs, renderSummary, breakPoints, headlineChecks, type BreakPoint, type HeadlineCheck } from "./report.js";
