import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { keccak256, parseEther, toHex, type Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { fund } from "../../oracle/ops/devchain.js";
import { createTasks, qaTask, runCli, setupStack, startHardhatNode, type Stack } from "./harness.js";
import { spawn } from "node:child_process";

/**
 * Joining with the CLI on a running node: a requester funds a new evaluator key with tokens,
 * the key registers in the EvaluatorRegistry (stake, cost, the paying profile by default) and
 * another as an inference node (model, payout address); the contracts' views show what the
 * commands printed. Mistakes (a low stake, an unregistered profile, ...) end in one clear line
 * and exit code 1.
 */
let node: Awaited<ReturnType<typeof startHardhatNode>>;
let s: Stack;

beforeAll(async () => {
  node = await startHardhatNode({ quiet: true });
  s = await setupStack(node.url, 3);
}, 180_000);

afterAll(async () => {
  await node?.stop();
});

describe("participant CLI", () => {
  it("token transfer and balance, register evaluator, register node; clear errors for a low stake, an unknown profile, a long model name, an overdraft", async () => {
    const evKey = generatePrivateKey();
    const ev = privateKeyToAccount(evKey);
    const nodeKey = generatePrivateKey();
    const inference = privateKeyToAccount(nodeKey);
    const payout = privateKeyToAccount(generatePrivateKey()).address;
    await fund(s.dc, [ev.address, inference.address]); // gas money (a local chain's faucet)
    const base = { POQ_RPC_URL: node.url, POQ_CONTRACT: s.dep.poq, POQ_CONTENT_DIR: s.contentDir };
    const as = (key: string) => ({ ...base, POQ_PRIVATE_KEYS: key });

    const sent = await runCli(["token", "transfer", "--to", ev.address, "--amount", "150", "--json"], as(s.requesterKey));
    expect(sent.stderr).toBe("");
    expect(sent.code).toBe(0);
    expect(BigInt((JSON.parse(sent.stdout) as { toBalance: string }).toBalance)).toBe(parseEther("150"));
    const shown = await runCli(["token", "balance", "--of", ev.address], base);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toBe(`${ev.address}: 150\n`);

    const low = await runCli(["register", "evaluator", "--stake", "5", "--cost", "1"], as(evKey));
    expect(low.code).toBe(1);
    expect(low.stderr).toMatch(/StakeBelowMinimum\(5 tokens, 100 tokens\)/); // amounts in tokens, like the flags
    expect((await s.reader.getEvaluator(ev.address)).registered).toBe(false);

    const unknown = keccak256(toHex("a profile nobody registered"));
    const noProfile = await runCli(["register", "evaluator", "--stake", "100", "--cost", "2", "--profile", unknown], as(evKey));
    expect(noProfile.code).toBe(1);
    expect(noProfile.stderr).toMatch(new RegExp(`^poq: profile ${unknown} is not registered on chain \\(UnknownProfile: .*registered: 0x[0-9a-f]{64} \\(`));
    expect(noProfile.stderr.split("\n")).toHaveLength(2); // one line
    expect((await s.reader.getEvaluator(ev.address)).registered).toBe(false);

    const reg = await runCli(["register", "evaluator", "--stake", "100", "--cost", "2", "--json"], as(evKey));
    expect(reg.stderr).toBe("");
    expect(reg.code).toBe(0);
    const printed = JSON.parse(reg.stdout) as { address: Address; stake: string; cost: string; registered: boolean; profiles: string[] };
    const info = await s.reader.getEvaluator(ev.address);
    expect(info.registered).toBe(true);
    expect(info.stake).toBe(parseEther("100"));
    expect(info.cost).toBe(parseEther("2"));
    expect(info.profiles).toEqual([s.profileHash]); // the paying (calibrated) profile by default
    expect(info.effectiveStake).toBe(0n); // sampled only after the activation delay
    expect(info.pendingAt).toBeGreaterThan(0n);
    expect(BigInt(printed.stake)).toBe(info.stake);
    expect(printed.profiles).toEqual([s.profileHash]);
    expect(await s.reader.tokenBalance(ev.address)).toBe(parseEther("50"));
    expect((await s.reader.getEvaluators()).map((e) => e.address)).toContain(ev.address);

    const over = await runCli(["token", "transfer", "--to", payout, "--amount", "51"], as(evKey));
    expect(over.code).toBe(1);
    expect(over.stderr).toBe(`poq: ${ev.address} holds 50 tokens, cannot send 51\n`);

    const long = await runCli(["register", "node", "--model", "m".repeat(33)], as(nodeKey));
    expect(long.code).toBe(1);
    expect(long.stderr).toMatch(/model name must be 1 to 32 bytes/);
    const badPayout = await runCli(["register", "node", "--model", "gpt4", "--payout", "0x123"], as(nodeKey));
    expect(badPayout.code).toBe(1);
    expect(badPayout.stderr).toMatch(/--payout: not an address/);

    const nodeReg = await runCli(["register", "node", "--model", "gpt4", "--payout", payout], as(nodeKey));
    expect(nodeReg.stderr).toBe("");
    expect(nodeReg.code).toBe(0);
    expect(nodeReg.stdout).toBe(`registered inference node ${inference.address}: model gpt4, payouts to ${payout}\n`);
    const n = await s.reader.getNode(inference.address);
    expect(n.model).toBe("gpt4");
    expect(n.payout).toBe(payout);
  }, 240_000);

  it("errors decoded for people: a token's own revert by name with amounts in tokens; a reader that stops early ends the command quietly", async () => {
    const key = generatePrivateKey();
    const who = privateKeyToAccount(key);
    await fund(s.dc, [who.address]); // gas, no tokens
    const base = { POQ_RPC_URL: node.url, POQ_CONTRACT: s.dep.poq, POQ_CONTENT_DIR: s.contentDir };
    const broke = await runCli(["register", "evaluator", "--stake", "100", "--cost", "1"], { ...base, POQ_PRIVATE_KEYS: key });
    expect(broke.code).toBe(1);
    expect(broke.stderr).toMatch(new RegExp(`ERC20InsufficientBalance\\(${who.address}, 0 tokens, 100 tokens\\)`));
    expect(broke.stderr).not.toMatch(/unknown error|0xe450d38c/);
    expect(broke.stderr.split("\n")).toHaveLength(2);

    // `poq task show N | true`: the reader is gone before the first write (EPIPE).
    const [taskId] = await createTasks(s, [qaTask(1)]);
    const piped = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const sh = spawn("bash", ["-c", `"${process.execPath}" bin/poq.mjs task show ${taskId} | true; exit \${PIPESTATUS[0]}`], {
        env: { ...process.env, VITEST: "", POQ_LOG_LEVEL: "warn", ...base },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let err = "";
      sh.stderr!.on("data", (d: Buffer) => (err += d.toString()));
      sh.on("exit", (code) => resolve({ code, stderr: err }));
    });
    expect(piped.stderr).toBe("");
    expect(piped.code).toBe(0);
  }, 240_000);
});
