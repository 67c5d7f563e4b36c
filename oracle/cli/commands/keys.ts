import type { Command } from "commander";
import { InputError } from "../../core/errors.js";
import { newKeystore, writeKeystore, parsePrivateKey, promptHidden, keystoreAddress } from "../../chain/keys.js";

/**
 * `poq keys new|import|address`: operator keys as encrypted JSON keystores.
 * Password from POQ_KEYSTORE_PASSWORD or a hidden prompt; an imported key from
 * POQ_IMPORT_PRIVATE_KEY or a hidden prompt (never a command-line argument: argv is visible
 * to every user of the machine).
 */
async function password(env: NodeJS.ProcessEnv, confirm: boolean): Promise<string> {
  const fromEnv = env.POQ_KEYSTORE_PASSWORD;
  if (fromEnv !== undefined) return fromEnv;
  const p = await promptHidden("keystore password: ", "POQ_KEYSTORE_PASSWORD");
  if (confirm) {
    const again = await promptHidden("repeat password: ", "POQ_KEYSTORE_PASSWORD");
    if (again !== p) throw new InputError("passwords do not match", { field: "password", reason: "mismatch" });
  }
  return p;
}

export function register(program: Command): void {
  const keys = program.command("keys").description("create or import an evaluator/requester key as an encrypted JSON keystore");
  keys
    .command("new")
    .description("create a new random key, stored encrypted")
    .requiredOption("--out <file>", "keystore file to write")
    .option("--json", "print JSON")
    .action(async (o: { out: string; json?: boolean }) => {
      const address = await newKeystore(o.out, await password(process.env, true));
      process.stdout.write(o.json ? JSON.stringify({ address, keystore: o.out }) + "\n" : `created ${o.out}\naddress ${address}\n`);
    });
  keys
    .command("import")
    .description("encrypt an existing private key (from POQ_IMPORT_PRIVATE_KEY or a prompt) into a keystore")
    .requiredOption("--out <file>", "keystore file to write")
    .option("--json", "print JSON")
    .action(async (o: { out: string; json?: boolean }) => {
      const raw = process.env.POQ_IMPORT_PRIVATE_KEY ?? (await promptHidden("private key (hex): ", "POQ_IMPORT_PRIVATE_KEY"));
      const key = parsePrivateKey(raw, "POQ_IMPORT_PRIVATE_KEY");
      const address = await writeKeystore(o.out, key, await password(process.env, true));
      process.stdout.write(o.json ? JSON.stringify({ address, keystore: o.out }) + "\n" : `imported into ${o.out}\naddress ${address}\n`);
    });
  keys
    .command("address")
    .description("print the address stored in a keystore (no password needed)")
    .argument("<file>")
    .action((file: string) => {
      process.stdout.write(`${keystoreAddress(file)}\n`);
    });
}
