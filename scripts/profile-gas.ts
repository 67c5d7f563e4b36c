/**
 * Where a sealed round's gas goes: createTask, drawCommittee, commitAll and finalizeSealed of
 * k = 7, m = 4, TRUST_WEIGHTED_MEDIAN tasks on n = 11 evaluators, each transaction traced
 * (debug_traceTransaction) and its gas split by kind of work and by the contract whose code ran.
 * Draws use a fixed seed per task (FixedRandomness), so two versions of the code draw the same
 * committees and their figures compare exactly. bench:gas stays the reference for the targets.
 *
 *   npm run bench:gas:profile [-- --reps 6 --json docs/gas-profile.json --md docs/gas-profile.md]
 *
 * --batch B sends each step of B tasks as one transaction, as bench:gas's batched rows do (one
 * createTasks, one drawCommittees, a multicall of commitAll and one of finalizeSealed; with
 * --multicall the creates and draws too go as single calls in a multicall) and reports the gas
 * per task; the draws then use a seed per task id (TaskSeededRandomness).
 */
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { network } from "hardhat";
import { encodeFunctionData, getAddress, keccak256, toHex, type Address, type Hex } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { commitmentHash, sealedCommitTypedData } from "../oracle/contract/commitment.js";
import { deployLocalStack } from "../oracle/contract/local.js";
import { Rule } from "../oracle/rules/index.js";

const E18 = 10n ** 18n;
const PROFILE = keccak256(toHex("poq.profile.default"));
const K = 7;
const M = 4;
const N = 11;
const WARM = 6; // tasks before the measured ones: every member has been credited once
const OPS = ["createTask", "drawCommittee", "commitAll", "finalizeSealed"] as const;
type Op = (typeof OPS)[number];

const addr = (n: number): Address => getAddress(`0x${(0x6000_0000n + BigInt(n)).toString(16).padStart(40, "0")}`);

/** One step of a struct-log trace (what EDR's debug_traceTransaction returns). */
type Step = { op: string; gas: number; gasCost: number; depth: number; pc: number; stack?: string[] };

/** --pcs FILE: gas by program counter for each "op|code" (to map onto source lines with solc's source maps). */
const byPc: Record<string, Record<number, number>> = {};
let pcLabel: string | undefined;
/** --pcs-kind KIND: only that kind of work in --pcs (e.g. "computation"). */
let pcKind: string | undefined;
/** --dump FILE: every step of the measured transactions as [op, code, pc, gas, kind] (with --pcs). */
let dumpOut: [string, string, number, number, string][] | undefined;

/** What a step's gas is spent on. */
function kindOf(s: Step): string {
  if (s.op === "SLOAD") return s.gasCost >= 2_100 ? "storage read, cold" : "storage read, warm";
  if (s.op === "SSTORE") return s.gasCost >= 20_000 ? "storage write, empty word" : s.gasCost >= 2_900 ? "storage write" : "storage write, same transaction";
  if (s.op.startsWith("LOG")) return "events";
  if (s.op.startsWith("CREATE")) return "blobs (CREATE)";
  if (s.op.includes("CALL") || s.op.startsWith("EXTCODE")) return "calls (ecrecover included) and code reads";
  if (s.op === "KECCAK256") return "hashing";
  return "computation";
}

/**
 * Gas of one traced transaction by kind and by the contract whose code ran (a call's own cost,
 * without what its callee spent, goes to the caller).
 */
function split(steps: Step[], gasUsed: number, names: Map<string, string>) {
  const byKind = new Map<string, number>();
  const byCode = new Map<string, number>();
  const add = (m: Map<string, number>, key: string, v: number) => m.set(key, (m.get(key) ?? 0) + v);
  const frames = ["ProofOfQuality"];
  let traced = 0;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    frames.length = s.depth;
    let cost = s.gasCost;
    const enters = i + 1 < steps.length && steps[i + 1]!.depth > s.depth;
    if (/CALL|CREATE/.test(s.op)) {
      // own cost = gas before - gas after the return - what the callee's steps spent
      let j = i + 1;
      while (j < steps.length && steps[j]!.depth > s.depth) j++;
      const after = j < steps.length ? steps[j]!.gas : s.gas - s.gasCost;
      const inner = enters ? steps[i + 1]!.gas - (steps[j - 1]!.gas - steps[j - 1]!.gasCost) : 0;
      cost = s.gas - after - inner;
      if (enters) {
        const target = s.op.startsWith("CREATE") ? "blob" : `0x${BigInt(s.stack?.at(-2) ?? "0").toString(16).padStart(40, "0")}`;
        frames.push(names.get(target) ?? target);
      }
    }
    add(byKind, kindOf(s), cost);
    if (dumpOut && pcLabel) dumpOut.push([pcLabel, frames[s.depth - 1] ?? "?", s.pc, cost, kindOf(s)]);
    if (pcLabel && (!pcKind || kindOf(s) === pcKind)) {
      const o = (byPc[`${pcLabel}|${frames[s.depth - 1] ?? "?"}`] ??= {});
      o[s.pc] = (o[s.pc] ?? 0) + cost;
    }
    add(byCode, frames[s.depth - 1] ?? "?", cost);
    traced += cost;
  }
  add(byKind, "transaction and calldata, less refunds", gasUsed - traced);
  add(byCode, "transaction and calldata, less refunds", gasUsed - traced);
  return { byKind, byCode };
}

async function main() {
  const { values } = parseArgs({ options: { reps: { type: "string" }, json: { type: "string" }, md: { type: "string" }, pcs: { type: "string" }, "pcs-kind": { type: "string" }, dump: { type: "string" }, batch: { type: "string" }, multicall: { type: "boolean" } } });
  pcKind = values["pcs-kind"];
  if (values.dump) dumpOut = [];
  const reps = Number(values.reps ?? 6);
  const batch = Number(values.batch ?? 1);
  const { viem, networkHelpers, provider } = await network.create();
  // the clock starts at the same instant in every run (a trust period's start): draws read the
  // current period's trust
  await networkHelpers.time.increaseTo(2_000_073_600);
  const stack = await deployLocalStack(viem, { profiles: [PROFILE] });
  const { poq, token, registry } = stack;
  const pc = await viem.getPublicClient();
  const chainId = await pc.getChainId();
  const fixed = await viem.deployContract("FixedRandomness");
  await poq.write.setRandomnessSource([fixed.address]);
  const byTask = await viem.deployContract("TaskSeededRandomness", [keccak256(toHex("poq.profile"))]);
  const names = new Map<string, string>([
    [byTask.address.toLowerCase(), "randomness source (seed by task id)"],
    [poq.address.toLowerCase(), "ProofOfQuality"],
    [registry.address.toLowerCase(), "EvaluatorRegistry"],
    [token.address.toLowerCase(), "token"],
    [stack.settlement.address.toLowerCase(), "TaskSettlement"],
    [stack.sealing.address.toLowerCase(), "Sealing"],
    [stack.governance.address.toLowerCase(), "Governance"],
    [stack.profileRegistry.address.toLowerCase(), "ProfileRegistry"],
    [fixed.address.toLowerCase(), "randomness source (fixed seed)"],
  ]);

  const fund = async (a: Address) => {
    await networkHelpers.impersonateAccount(a);
    await networkHelpers.setBalance(a, 10n ** 22n);
  };
  const requester = addr(1);
  await fund(requester);
  await token.write.mint([requester, 10n ** 9n * E18]);
  await token.write.approve([poq.address, 2n ** 256n - 1n], { account: requester });
  const keys = new Map<Address, PrivateKeyAccount>();
  for (let i = 0; i < N; i++) {
    const key = privateKeyToAccount(keccak256(toHex(`poq.bench-evaluator-${i}`)));
    keys.set(key.address, key);
    await fund(key.address);
    await token.write.mint([key.address, 10_000n * E18]);
    await token.write.approve([registry.address, 2n ** 256n - 1n], { account: key.address });
    await registry.write.register([1_000n * E18, 1n * E18, [PROFILE]], { account: key.address });
  }
  await networkHelpers.time.increase(3_600n);
  const nodes: Address[] = [];
  for (let j = 0; j < M; j++) {
    await fund(addr(300 + j));
    await poq.write.registerNode([addr(400 + j), keccak256(toHex(`model-${j}`))], { account: addr(300 + j) });
    nodes.push(addr(300 + j));
  }

  const totals = new Map<Op, { gas: number; byKind: Map<string, number>; byCode: Map<string, number> }>(
    OPS.map((op) => [op, { gas: 0, byKind: new Map(), byCode: new Map() }]),
  );
  const record = async (op: Op, hash: Hex, measured: boolean) => {
    const receipt = await pc.waitForTransactionReceipt({ hash });
    if (!measured) return;
    const trace = (await provider.request({ method: "debug_traceTransaction", params: [hash, { disableStorage: true, disableMemory: true }] })) as { structLogs: Step[] };
    pcLabel = values.pcs ? op : undefined;
    const { byKind, byCode } = split(trace.structLogs, Number(receipt.gasUsed), names);
    const t = totals.get(op)!;
    t.gas += Number(receipt.gasUsed);
    for (const [k, v] of byKind) t.byKind.set(k, (t.byKind.get(k) ?? 0) + v);
    for (const [k, v] of byCode) t.byCode.set(k, (t.byCode.get(k) ?? 0) + v);
  };

  const specFor = (t: number) => ({
    family: 0, rule: Rule.TRUST_WEIGHTED_MEDIAN, k: K, commitWindow: 600, revealWindow: 600,
    nodeBudget: 100n * E18, evalBudget: BigInt(K) * E18, queryHash: keccak256(toHex(`q-${t}`)), profileHash: PROFILE,
    refundTo: "0x0000000000000000000000000000000000000000" as Address, nodes, outputHashes: nodes.map((_, j) => keccak256(toHex(`o-${t}-${j}`))),
  });
  /** The sealed round's two calls for a drawn task: honest members near a truth, member 0 far off. */
  const sealedCalls = async (t: number, taskId: bigint) => {
    const [members] = await poq.read.getCommittee([taskId]);
    const scores = members.map((_, i) => nodes.map((_, j) => 3_000 + ((t * 7 + i * 13 + j * 31) % 900) + (i === 0 ? 4_000 : 0)));
    const salts = members.map((_, i) => keccak256(toHex(`salt-${t}-${i}`)));
    const commitments = members.map((a, i) => commitmentHash({ chainId, contract: poq.address, taskId, evaluator: a, scores: scores[i]!, salt: salts[i]! }));
    const signatures = await Promise.all(members.map((a, i) => keys.get(a)!.signTypedData(sealedCommitTypedData({ chainId, contract: poq.address, taskId, commitment: commitments[i]! }))));
    return { commitAll: [taskId, commitments, signatures] as const, finalizeSealed: [taskId, { commitments, scores, salts }] as const };
  };

  // batched: a seed per task id (the fixed source would draw one committee for all B)
  if (batch > 1) await poq.write.setRandomnessSource([byTask.address]);
  for (let t = batch > 1 ? -1 : -WARM; t < reps; t++) {
    const measured = t >= 0;
    if (batch === 1) {
      await record("createTask", await poq.write.createTask([specFor(t)], { account: requester }), measured);
      const taskId = await poq.read.taskCount();
      await fixed.write.set([keccak256(toHex(`seed-${t}`))]);
      await record("drawCommittee", await poq.write.drawCommittee([taskId], { account: requester }), measured);
      const x = await sealedCalls(t, taskId);
      await record("commitAll", await poq.write.commitAll(x.commitAll, { account: requester }), measured);
      await record("finalizeSealed", await poq.write.finalizeSealed(x.finalizeSealed, { account: requester }), measured);
      continue;
    }
    const tags = Array.from({ length: batch }, (_, b) => t * batch + b);
    const multicall = (calls: Hex[]) => poq.write.multicall([calls], { account: requester, gas: 16_000_000n });
    // the batch entry points (one blob for the batch's tasks, one for its committees), or with
    // --multicall the single calls in a multicall (one blob a task and a committee)
    await record(
      "createTask",
      values.multicall
        ? await multicall(tags.map((x) => encodeFunctionData({ abi: poq.abi, functionName: "createTask", args: [specFor(x)] })))
        : await poq.write.createTasks([tags.map((x) => specFor(x))], { account: requester, gas: 16_000_000n }),
      measured,
    );
    const last = await poq.read.taskCount();
    const ids = tags.map((_, b) => last - BigInt(batch - 1 - b));
    await record(
      "drawCommittee",
      values.multicall
        ? await multicall(ids.map((id) => encodeFunctionData({ abi: poq.abi, functionName: "drawCommittee", args: [id] })))
        : await poq.write.drawCommittees([ids], { account: requester, gas: 16_000_000n }),
      measured,
    );
    const xs = await Promise.all(ids.map((id, b) => sealedCalls(tags[b]!, id)));
    await record("commitAll", await multicall(xs.map((x) => encodeFunctionData({ abi: poq.abi, functionName: "commitAll", args: x.commitAll }))), measured);
    await record("finalizeSealed", await multicall(xs.map((x) => encodeFunctionData({ abi: poq.abi, functionName: "finalizeSealed", args: x.finalizeSealed }))), measured);
  }

  const mean = (v: number) => Math.round(v / (reps * batch));
  const fmt = (v: number) => v.toLocaleString("en-US");
  const out = OPS.map((op) => {
    const t = totals.get(op)!;
    const sorted = (m: Map<string, number>) => Object.fromEntries([...m.entries()].filter(([, v]) => mean(v) !== 0).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, mean(v)]));
    return { op, k: K, m: M, n: N, gas: mean(t.gas), byKind: sorted(t.byKind), byCode: sorted(t.byCode) };
  });
  const total = out.reduce((a, x) => a + x.gas, 0);
  const lines = [
    `Sealed round, k = ${K}, m = ${M}, n = ${N}, TRUST_WEIGHTED_MEDIAN, mean of ${reps * batch} tasks (${batch === 1 ? "fixed seeds" : `${batch} a transaction${values.multicall ? " (multicall of single calls)" : ""}, seeds by task id`}): ${fmt(total)} gas a task, ${fmt(Math.round(total / (K * M)))} per evaluator-output.`,
    "",
  ];
  for (const x of out) {
    lines.push(`### ${x.op}: ${fmt(x.gas)}`, "", "| by kind of work | gas | | by code | gas |", "|---|---:|---|---|---:|");
    const kinds = Object.entries(x.byKind);
    const codes = Object.entries(x.byCode);
    for (let i = 0; i < Math.max(kinds.length, codes.length); i++) {
      const [k, kv] = kinds[i] ?? ["", undefined];
      const [c, cv] = codes[i] ?? ["", undefined];
      lines.push(`| ${k} | ${kv === undefined ? "" : fmt(kv)} | | ${c} | ${cv === undefined ? "" : fmt(cv)} |`);
    }
    lines.push("");
  }
  process.stdout.write(`${lines.join("\n")}\n`);
  if (values.pcs) await writeFile(values.pcs, JSON.stringify(byPc));
  if (dumpOut) await writeFile(values.dump!, JSON.stringify(dumpOut));
  if (values.json) await writeFile(values.json, `${JSON.stringify({ k: K, m: M, n: N, reps, batch, perTask: total, perEvaluatorOutput: Math.round(total / (K * M)), ops: out }, null, 2)}\n`);
  if (values.md) {
    const md = [
      "# Where a sealed task's gas goes",
      "",
      `Generated by \`npm run bench:gas:profile -- ${batch > 1 ? `--batch ${batch} --reps ${reps} ${values.multicall ? "--multicall " : ""}` : ""}--md ${values.md}\` (scripts/profile-gas.ts):`,
      "each transaction of a sealed round traced with `debug_traceTransaction`, its gas split by the",
      "kind of work (a cold storage read is the first touch of a word in the transaction, 2,100 gas;",
      "an empty word's first write 22,100; a rewrite 5,000 with its read) and by the contract whose",
      "code ran (a call's own cost goes to the caller; \"blob\" is the code of a task or committee",
      "data contract being written). Draws use a fixed seed per task, so two versions of the code",
      "draw the same committees. The targets are measured by `npm run bench:gas` (docs/gas.md), whose",
      "tasks have other scores and seeds (a draw's gas depends on its seed), so its totals differ from",
      "these by a few hundred gas per evaluator-output.",
      ...(batch > 1
        ? [
            "",
            values.multicall
              ? `Here each step of ${batch} tasks is one multicall of single calls (createTask, drawCommittee, commitAll, finalizeSealed):`
              : `Here each step of ${batch} tasks is one transaction, as in bench:gas's batched rows: one \`createTasks\` and one \`drawCommittees\` (one blob for the batch's tasks, one for its committees), then a multicall of \`commitAll\` and one of \`finalizeSealed\`:`,
            "storage an earlier task of the same transaction touched is warm, and each draw's seed is keccak256(salt, taskId)",
            "(TaskSeededRandomness; the fixed source would draw one committee for all).",
          ]
        : []),
      "",
      ...lines,
    ].join("\n");
    await writeFile(values.md, md);
  }
}

await main().catch((e: unknown) => {
  process.stderr.write(`profile-gas: ${String(e).slice(0, 2_000)}\n`);
  process.exit(1);
});
