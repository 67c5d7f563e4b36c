/**
 * The NLI cross-encoder a profile names (`models.nli`), loaded the same way by every path that
 * scores: `poq score`, the `--queue` chunk workers and the chain worker's scoring thread. A
 * profile's hash covers its NLI model, so a path that scored without it (or with another one)
 * would put that hash on different numbers: the engine refuses that (E_MODEL_MISMATCH) and
 * every path loads the model through here, failing with one error (E_NLI_MODEL) that names
 * the profile and the file when the model cannot be loaded.
 */
import { PoqError, errorMessage } from "../core/errors.js";
import { loadOnnxCrossEncoder, type ExecutionProvider, type NliModel } from "../models/index.js";
import type { Profile } from "./profile-schema.js";

export interface NliLoadOptions {
  executionProviders?: ExecutionProvider[];
  intraOpThreads?: number;
}

type NliSpec = NonNullable<Profile["models"]["nli"]>;

const specKey = (n: NliSpec): string => JSON.stringify([n.id, n.modelPath, n.tokenizerPath, n.labels]);

/** Loads the profile's NLI model (null when it names none) and checks its id against the profile's. */
export async function loadProfileNli(profile: Profile, opts: NliLoadOptions = {}): Promise<NliModel | null> {
  const n = profile.models.nli;
  if (!n) return null;
  let model: NliModel;
  try {
    model = await loadOnnxCrossEncoder({ modelPath: n.modelPath, tokenizerPath: n.tokenizerPath, labels: n.labels, executionProviders: opts.executionProviders, intraOpThreads: opts.intraOpThreads });
  } catch (err) {
    throw new PoqError("E_NLI_MODEL", `profile "${profile.name}" names NLI model "${n.id}" at ${n.modelPath}, which could not be loaded: ${errorMessage(err)}`, { field: "models.nli", modelPath: n.modelPath }, { cause: err });
  }
  if (model.id !== n.id) {
    await model.close();
    throw new PoqError("E_MODEL_MISMATCH", `profile "${profile.name}" names NLI model "${n.id}" but ${n.modelPath} is "${model.id}"`, { field: "models.nli.id", expected: n.id, actual: model.id });
  }
  return model;
}

/**
 * NLI models shared by the profiles of one process (one session per distinct model, loaded on
 * first use). `close()` releases them all.
 */
export class NliModels {
  private readonly loaded = new Map<string, Promise<NliModel | null>>();
  constructor(private readonly opts: NliLoadOptions = {}) {}

  /** The profile's NLI model, or null when it names none. A failed load is retried on the next call. */
  for(profile: Profile): Promise<NliModel | null> {
    const n = profile.models.nli;
    if (!n) return Promise.resolve(null);
    const key = specKey(n);
    let p = this.loaded.get(key);
    if (!p) {
      p = loadProfileNli(profile, this.opts);
      this.loaded.set(key, p);
      p.catch(() => this.loaded.delete(key));
    }
    return p;
  }

  async close(): Promise<void> {
    const all = [...this.loaded.values()];
    this.loaded.clear();
    for (const p of all) await (await p.catch(() => null))?.close();
  }
}
