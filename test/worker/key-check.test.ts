import { describe, it, expect } from "vitest";
import { network } from "hardhat";
import pino from "pino";
import type { EIP1193Provider, PublicClient } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { fund } from "../../oracle/ops/devchain.js";
import { checkEvaluatorKeys, warnUnreadyKeys } from "../../oracle/worker/key-check.js";
import { setupStackOn } from "../e2e/harness.js";

/** A worker says at start which of its keys cannot serve (real contract, in-process network). */
describe("worker key check", () => {
  it("names the unregistered key and the key without gas; a registered, funded evaluator passes", async () => {
    const conn = await network.create();
    const client = (await conn.viem.getPublicClient()) as unknown as PublicClient;
    const dc = { client, provider: conn.provider as unknown as EIP1193Provider };
    const s = await setupStackOn(dc, 2);
    const ready = s.evaluators[0]!.address;
    const unregistered = privateKeyToAccount(generatePrivateKey()).address;
    await fund(dc, [unregistered]);
    const broke = privateKeyToAccount(generatePrivateKey()).address; // neither registered nor funded
    const r = await checkEvaluatorKeys(s.reader, client, [ready, unregistered, broke]);
    expect(r[0]).toEqual({ address: ready, problems: [] });
    expect(r[1]!.problems).toEqual([expect.stringMatching(/^not a registered evaluator/)]);
    expect(r[2]!.problems).toEqual([expect.stringMatching(/^not a registered evaluator/), expect.stringMatching(/holds no ether/)]);

    const lines: string[] = [];
    const log = pino({ level: "warn" }, { write: (l: string) => void lines.push(l) });
    expect(await warnUnreadyKeys(s.reader, client, [ready, unregistered], log)).toBe(1);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: "key cannot serve yet", evaluator: unregistered });
  }, 120_000);
});
