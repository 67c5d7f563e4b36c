import { describe, it, expect } from "vitest";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { writeKeystore, loadKeystore, loadAccounts, keystoreAddress } from "../../oracle/chain/keys.js";
import { runCli } from "../../oracle/ops/cli-runner.js";

const dir = mkdtempSync(path.join(tmpdir(), "poq-keys-"));

describe("keys", () => {
  it("round-trips a key through a standard encrypted keystore, never in plain text", async () => {
    const pk = generatePrivateKey();
    const f = path.join(dir, "k.json");
    const addr = await writeKeystore(f, pk, "correct horse");
    expect(addr.toLowerCase()).toBe(privateKeyToAccount(pk).address.toLowerCase());
    const raw = readFileSync(f, "utf8");
    expect(raw).not.toContain(pk.slice(2));
    expect(JSON.parse(raw).crypto ?? JSON.parse(raw).Crypto).toBeTruthy();
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(keystoreAddress(f).toLowerCase()).toBe(addr.toLowerCase());
    const acct = await loadKeystore(f, "correct horse");
    expect(acct.address).toBe(privateKeyToAccount(pk).address);
    await expect(loadKeystore(f, "wrong password")).rejects.toThrow(/cannot decrypt keystore/);
    await expect(writeKeystore(f, pk, "correct horse")).rejects.toThrow(/refusing to overwrite/);
    const accts = await loadAccounts(
      { keystores: [f], passwordEnv: "PW", privateKeysEnv: "PKS" },
      { PW: "correct horse", PKS: `${generatePrivateKey()}, ${pk}` },
    );
    expect(accts).toHaveLength(2); // the duplicate of the keystore key is dropped
  });
  it("refuses malformed env keys and a missing password", async () => {
    await expect(loadAccounts({ keystores: [], passwordEnv: "PW", privateKeysEnv: "PKS" }, { PKS: "0x1234" })).rejects.toThrow(/PKS\[0\].*not a 32-byte/);
    await expect(loadAccounts({ keystores: ["x.json"], passwordEnv: "PW", privateKeysEnv: "PKS" }, {})).rejects.toThrow(/set PW/);
  });

  it("poq keys import without a terminal names the variable to set; with it, writes a keystore the CLI can read back", async () => {
    const noTty = await runCli(["keys", "import", "--out", path.join(dir, "cli2.json")], { POQ_IMPORT_PRIVATE_KEY: undefined, POQ_KEYSTORE_PASSWORD: undefined }, 60_000);
    expect(noTty.code).toBe(1);
    expect(noTty.stderr).toBe("poq: private key (hex): no terminal to prompt on; set POQ_IMPORT_PRIVATE_KEY\n");
    const pk = generatePrivateKey();
    const env = { POQ_IMPORT_PRIVATE_KEY: pk, POQ_KEYSTORE_PASSWORD: undefined };
    const noPw = await runCli(["keys", "import", "--out", path.join(dir, "cli2.json")], env, 60_000);
    expect(noPw.stderr).toBe("poq: keystore password: no terminal to prompt on; set POQ_KEYSTORE_PASSWORD\n");
    const ok = await runCli(["keys", "import", "--out", path.join(dir, "cli2.json"), "--json"], { ...env, POQ_KEYSTORE_PASSWORD: "correct horse" }, 60_000);
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.stdout) as { address: string }).address.toLowerCase()).toBe(privateKeyToAccount(pk).address.toLowerCase());
    expect((await loadKeystore(path.join(dir, "cli2.json"), "correct horse")).address).toBe(privateKeyToAccount(pk).address);
  }, 120_000);
});
