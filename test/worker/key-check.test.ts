import { describe, it, expect } from "vitest";
import { network } from "hardhat";
import pino from "pino";
import type { EIP1193Provider, PublicClient } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { fund } from "../../oracle/ops/devchain.js";
import { checkEvaluatorKeys, warnUnreadyKeys } from "../../oracle/worker/key-check.js";
import { setupStackOn } from "../e2e/harness.js";
import { defaultProfile, profileHash } from "../../oracle/scoring/profile.js";

/** A worker says at start which of its keys cannot serve (real contracts, in-process network). */
describe("worker key check", () => {
  it("names the unregistered key, the key without gas, a registration not yet effective and profiles served but not loaded (or loaded but not served); a ready evaluator passes", async () => {
    const conn = await network.create();
    const client = (await conn.viem.getPublicClient()) as unknown as PublicClient;
    const dc = { client, provider: conn.provider as unknown as EIP1193Provider, viem: conn.viem };
    const s = await setupStackOn(dc, 2);
    const ready = s.evaluators[0]!.address;
    const unregistered = privateKeyToAccount(generatePrivateKey()).address;
    await fund(dc, [unregistered]);
    const broke = privateKeyToAccount(generatePrivateKey()).address; // neither registered nor funded
    const paying = [s.profileHash];
    const r = await checkEvaluatorKeys(s.reader, client, [ready, unregistered, broke], paying);
    expect(r[0]).toEqual({ address: ready, problems: [] });
    expect(r[1]!.problems).toEqual([expect.stringMatching(/^not a registered evaluator/)]);
    expect(r[2]!.problems).toEqual([expect.stringMatching(/^not a registered evaluator/), expect.stringMatching(/holds no ether/)]);

    // A worker loading a profile the key does not serve, and a key serving one the worker does not load.
    // (the default profile: a worker may load it, as config "profiles" allows; it is never registered on chain)
    const other = profileHash(defaultProfile());
    const [both] = await checkEvaluatorKeys(s.reader, client, [ready], [s.profileHash, other]);
    expect(both!.problems).toEqual([expect.stringMatching(new RegExp(`^does not serve profile\\(s\\) ${other}`))]);
    const [none] = await checkEvaluatorKeys(s.reader, client, [ready], []);
    expect(none!.problems).toEqual([expect.stringMatching(new RegExp(`^declares profile\\(s\\) ${s.profileHash} that this worker does not load`))]);

    // Registered now, sampled only after the activation delay.
    const late = privateKeyToAccount(generatePrivateKey());
    await fund(dc, [late.address]);
    await s.actions(s.admin).tokenTransfer(late.address, 10n ** 21n);
    await s.actions(late).registerEvaluator(10n ** 21n, 10n ** 18n, paying);
    const [pending] = await checkEvaluatorKeys(s.reader, client, [late.address], paying);
    expect(pending!.problems).toEqual([expect.stringMatching(/^registration not effective yet: sampled from \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/)]);

    const lines: string[] = [];
    const log = pino({ level: "warn" }, { write: (l: string) => void lines.push(l) });
    expect(await warnUnreadyKeys(s.reader, client, [ready, unregistered], log, paying)).toBe(1);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: "key cannot serve yet", evaluator: unregistered });
  }, 120_000);
});
