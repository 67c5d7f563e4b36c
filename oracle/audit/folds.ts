/**
 * Grouped K-fold assignment: whole groups (a question, an article) go to one fold, so no
 * output of a held-out group is ever seen in training. Stratified by task (each task's
 * groups are shuffled with a seeded RNG and dealt round-robin), deterministic for a seed.
 */
import { InputError } from "../core/errors.js";
import { Rng, deriveSeed } from "./rng.js";

export interface FoldItem {
  task: string;
  group: string;
}

/** Fold index (0..k-1) for each item. Every task needs at least k groups. */
export function groupedFolds(items: readonly FoldItem[], k: number, seed: number): Int32Array {
  if (!Number.isInteger(k) || k < 2) throw new InputError(`folds must be an integer >= 2, got ${k}`, { field: "folds", reason: "too few folds" });
  const groupsByTask = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const it of items) {
    const key = `${it.task}\u0000${it.group}`;
    if (seen.has(key)) continue;
    seen.add(key);
    let list = groupsByTask.get(it.task);
    if (!list) groupsByTask.set(it.task, (list = []));
    list.push(it.group);
  }
  const foldOf = new Map<string, number>();
  for (const task of [...groupsByTask.keys()].sort()) {
    const groups = groupsByTask.get(task)!.slice().sort();
    if (groups.length < k) {
      throw new InputError(`task "${task}" has ${groups.length} groups; grouped ${k}-fold cross-validation needs at least ${k}`, {
        field: "group",
        reason: "too few groups",
      });
    }
    new Rng(deriveSeed(seed, `folds:${task}`)).shuffle(groups);
    groups.forEach((g, i) => foldOf.set(`${task}\u0000${g}`, i % k));
  }
  return Int32Array.from(items, (it) => foldOf.get(`${it.task}\u0000${it.group}`)!);
}
