import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import path from "node:path";
import { Wallet } from "ethers";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import type { Hex } from "viem";
import { PoqError, InputError } from "../core/errors.js";

/**
 * Operator keys. Two sources only:
 *  - a standard encrypted JSON keystore (Web3 Secret Storage v3, scrypt; written and read by
 *    ethers, which viem does not implement), password from an env variable or a prompt;
 *  - raw private keys from an environment variable (for CI / dev chains).
 * A private key is never written to disk in plain text and never read from a config file.
 */

const KEY_RE = /^0x[0-9a-fA-F]{64}$/;

export function parsePrivateKey(raw: string, where: string): Hex {
  const k = raw.trim().startsWith("0x") ? raw.trim() : `0x${raw.trim()}`;
  if (!KEY_RE.test(k)) throw new InputError(`${where}: not a 32-byte hex private key`, { field: where, reason: "malformed key" });
  return k as Hex;
}

/** Encrypts `privateKey` with `password` into a keystore file (mode 0600). Returns the address. */
export async function writeKeystore(file: string, privateKey: Hex, password: string, opts: { overwrite?: boolean } = {}): Promise<Hex> {
  if (password.length < 8) throw new InputError("keystore password must have at least 8 characters", { field: "password", reason: "too short" });
  if (existsSync(file) && !opts.overwrite) throw new InputError(`refusing to overwrite existing keystore ${file}`, { field: "out", reason: "exists" });
  const wallet = new Wallet(privateKey);
  const json = await wallet.encrypt(password);
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, json, { mode: 0o600 });
  return wallet.address as Hex;
}

/** Creates a new random key and stores it encrypted. */
export async function newKeystore(file: string, password: string): Promise<Hex> {
  const w = Wallet.createRandom();
  return writeKeystore(file, w.privateKey as Hex, password);
}

/** Address recorded in a keystore file (readable without the password). */
export function keystoreAddress(file: string): Hex {
  const j = JSON.parse(readFileSync(file, "utf8")) as { address?: string };
  if (!j.address) throw new InputError(`${file}: keystore has no address field`, { field: "address", reason: "missing" });
  return (`0x${j.address.replace(/^0x/, "")}`) as Hex;
}

/** Decrypts a keystore into a viem account. A wrong password is a clear PoqError. */
export async function loadKeystore(file: string, password: string): Promise<PrivateKeyAccount> {
  let json: string;
  try {
    json = readFileSync(file, "utf8");
  } catch (err) {
    throw new InputError(`cannot read keystore ${file}: ${(err as Error).message}`, { field: "keystore", reason: "unreadable" });
  }
  try {
    const w = await Wallet.fromEncryptedJson(json, password);
    return privateKeyToAccount(w.privateKey as Hex);
  } catch (err) {
    throw new PoqError("E_KEYSTORE", `cannot decrypt keystore ${file}: ${(err as Error).message}`, { file });
  }
}

export interface KeySourceConfig {
  keystores: string[];
  passwordEnv: string;
  privateKeysEnv: string;
}

/**
 * All evaluator accounts this process may sign for: every keystore (password from the
 * configured env variable, else `prompt`), plus the keys in the private-keys env variable.
 */
export async function loadAccounts(
  src: KeySourceConfig,
  env: NodeJS.ProcessEnv = process.env,
  prompt?: (question: string) => Promise<string>,
): Promise<PrivateKeyAccount[]> {
  const out: PrivateKeyAccount[] = [];
  for (const file of src.keystores) {
    let password = env[src.passwordEnv];
    if (password === undefined) {
      if (!prompt) throw new InputError(`keystore ${file} needs a password: set ${src.passwordEnv}`, { field: src.passwordEnv, reason: "missing" });
      password = await prompt(`password for ${file}: `);
    }
    out.push(await loadKeystore(file, password));
  }
  const raw = env[src.privateKeysEnv];
  if (raw) raw.split(",").map((s) => s.trim()).filter(Boolean).forEach((k, i) => out.push(privateKeyToAccount(parsePrivateKey(k, `${src.privateKeysEnv}[${i}]`))));
  const seen = new Set<string>();
  return out.filter((a) => (seen.has(a.address) ? false : (seen.add(a.address), true)));
}

/**
 * Reads a line from the terminal without echoing it (for passwords and keys). Without a
 * terminal it fails, naming `envName`, the variable that would have answered instead.
 */
export async function promptHidden(question: string, envName?: string): Promise<string> {
  const { stdin, stderr } = process;
  if (!stdin.isTTY) throw new InputError(`${question.trim()} no terminal to prompt on; ${envName ? `set ${envName}` : "use the environment instead"}`, { field: envName, reason: "no tty" });
  stderr.write(question);
  return new Promise((resolve, reject) => {
    let buf = "";
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding("utf8");
    const onData = (ch: string) => {
      for (const c of ch) {
        if (c === "\r" || c === "\n") {
          cleanup();
          stderr.write("\n");
          resolve(buf);
          return;
        }
        if (c === "\u0003") {
          cleanup();
          reject(new PoqError("E_ABORTED", "aborted"));
          return;
        }
        if (c === "\u007f") buf = buf.slice(0, -1);
        else buf += c;
      }
    };
    const cleanup = () => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
    };
    stdin.on("data", onData);
  });
}
