/**
 * The scoring engine: validated records in, scored records out (evaluators -> six dimensions
 * -> composite under a profile). The typed library API behind `poq score` and the queue
 * workers. Records are processed in chunks; inside a chunk every distinct text (outputs,
 * queries/sources, references, sentences) is embedded once, so a source shared by many
 * outputs costs one encoder pass. A record that fails is reported as a RecordError and the
 * others are still scored.
 */
import type { NliModel, SentenceEncoder } from "../models/index.js";
import { PoqError, errorMessage } from "../core/errors.js";
import { explainComposite } from "./composite.js";
import { resolveTaskConfig } from "./mix.js";
import { cheapFirst } from "./cheap-first.js";
import { cuesFor, indexSource, type CueReport } from "./cues.js";
import { agreementDimension } from "./dimensions/agreement.js";
import { alignmentDimension } from "./dimensions/alignment.js";
import { costPriorDimension } from "./dimensions/cost-prior.js";
import { modelPriorDimension } from "./dimensions/model-prior.js";
import { semanticDimension } from "./dimensions/semantic.js";
import { structureDimension } from "./dimensions/structure.js";
import { RecordError } from "./errors.js";
import { TokenSimilarity } from "./evaluators/similarity.js";
import { alignmentSentences, type BertScore, dot, normalizeStates, rescale, sentenceAlignment } from "./evaluators/embedding.js";
import { aggregate, distinctNgrams, lexicalScoresFromFeatures, ngramSet, novelRecall, sourceOverlap, textFeatures, type TextFeatures } from "./evaluators/lexical.js";
import { distinctReferences, words } from "./text.js";
import { capReason, committal, contentSupport, entitySupport, numberAgreement, sourceConsistency, sourceViews, vocabulary } from "./evaluators/grounding.js";
import { EVALUATOR_ORDER } from "./evaluators/registry.js";
import { DIMENSIONS, profileHash, type Dimension, type DimensionScores, type Profile } from "./profile.js";
import { validateRecord, type InputRecord, type ScoredRecord } from "./record.js";

export interface ScoreOptions {
  profile: Profile;
  encoder: SentenceEncoder;
  /** Optional NLI cross-encoder for the alignment dimension (see profile.models.nli). */
  nli?: NliModel | null;
  /** Called after each chunk with (records done, total). */
  onProgress?: (done: number, total: number) => void;
  /** Records per chunk (default 256). Chunking does not change results. */
  chunkSize?: number;
  /** 1-based line numbers of the records (for error messages); default index + 1. */
  lines?: readonly number[];
  /** When given, milliseconds spent per stage are added here (benchmarks). */
  timings?: Record<string, number>;
  /** onnxruntime threads for the token-similarity GEMM (default 2). */
  similarityThreads?: number;
  /** Accept an encoder whose id differs from profile.models.encoder (default false). */
  allowEncoderMismatch?: boolean;
}

export type ScoreExplanation = Record<Dimension | "composite", string>;

export type ScoreResult =
  | { ok: true; index: number; record: ScoredRecord; explain: ScoreExplanation }
  | { ok: false; index: number; error: RecordError };

const DECIMALS = 1e6;
/** Scores are written rounded to 6 decimals; the composite is computed from the rounded dimensions. */
export const round6 = (x: number): number => Math.round(x * DECIMALS) / DECIMALS;

interface Plan {
  rec: InputRecord;
  /** What the encoder sees: trimmed output, non-empty trimmed references, trimmed query. */
  out: string;
  refs: string[];
  query: string;
  index: number;
  line: number;
  outSentences: string[];
  sourceSentences: string[];
  sourceTexts: string[];
}

/**
 * Whether a loaded encoder id satisfies the profile's `models.encoder`: an exact id
 * ("use-lite@5:4c6db373cea2"), a version ("use-lite@5" matches "use-lite@5:<build key>") or
 * a family ("use-lite" matches "use-lite@<any version>").
 */
export function encoderMatches(wanted: string, actual: string): boolean {
  return actual === wanted || actual.startsWith(`${wanted}:`) || (!wanted.includes("@") && actual.startsWith(`${wanted}@`));
}

/**
 * The NLI model given must be the one the profile names, and none when it names none: the
 * profile's hash covers its NLI model, so scoring without it (or with another) would put that
 * hash on different numbers. Load it with `loadProfileNli` (oracle/scoring/nli-model.ts).
 */
function checkNli(profile: Profile, nli: NliModel | null): void {
  const want = profile.models.nli;
  if (want && !nli)
    throw new PoqError("E_MODEL_MISMATCH", `profile "${profile.name}" names NLI model "${want.id}" but no NLI model was loaded (load it with loadProfileNli)`, { field: "models.nli", expected: want.id, actual: null });
  if (!want && nli) throw new PoqError("E_MODEL_MISMATCH", `profile "${profile.name}" names no NLI model but "${nli.id}" was given`, { field: "models.nli", expected: null, actual: nli.id });
  if (want && nli && nli.id !== want.id)
    throw new PoqError("E_MODEL_MISMATCH", `profile "${profile.name}" names NLI model "${want.id}" but the loaded one is "${nli.id}"`, { field: "models.nli.id", expected: want.id, actual: nli.id });
}

/** Bounded insertion-ordered cache (evicts the oldest entries once the total weight exceeds the bound). */
class BoundedCache<V> {
  private readonly map = new Map<string, { v: V; w: number }>();
  private total = 0;
  constructor(
    private readonly maxWeight: number,
    private readonly weigh: (v: V) => number = () => 1,
  ) {}
  get(k: string): V | undefined {
    return this.map.get(k)?.v;
  }
  set(k: string, v: V): void {
    const old = this.map.get(k);
    if (old) {
      this.total -= old.w;
      this.map.delete(k);
    }
    const w = this.weigh(v);
    this.map.set(k, { v, w });
    this.total += w;
    for (const [key, e] of this.map) {
      if (this.total <= this.maxWeight || key === k) break;
      this.map.delete(key);
      this.total -= e.w;
    }
  }
}

/**
 * A reusable scorer: keeps sentence splits and token states of shared texts between calls.
 * `scoreRecords` is the one-shot form.
 */
export class Scorer {
  readonly profileHash: `0x${string}`;
  private readonly enabled: Set<string>;
  private readonly splits = new BoundedCache<string[]>(4096);
  /** Unit-length token states of recent texts, bounded to 8 M floats (32 MiB). */
  private readonly states = new BoundedCache<Float32Array[]>(8_000_000, (st) => 1 + st.reduce((a, v) => a + v.length, 0));
  private similarity: Promise<TokenSimilarity> | null = null;
  private readonly features = new BoundedCache<TextFeatures>(8192);
  private readonly sourceGrams = new BoundedCache<Set<string>>(512);
  private readonly sourceAnalysis = new BoundedCache<{ vocab: Set<string>; views: ReturnType<typeof sourceViews> }>(512);

  private analysed(text: string): { vocab: Set<string>; views: ReturnType<typeof sourceViews> } {
    let a = this.sourceAnalysis.get(text);
    if (a === undefined) {
      a = { vocab: vocabulary([text]), views: sourceViews(text) };
      this.sourceAnalysis.set(text, a);
    }
    return a;
  }

  private sourceNgrams(text: string): Set<string> {
    let g = this.sourceGrams.get(text);
    if (g === undefined) {
      g = ngramSet(words(text));
      this.sourceGrams.set(text, g);
    }
    return g;
  }

  constructor(private readonly opts: ScoreOptions) {
    const { profile, encoder } = opts;
    if (!opts.allowEncoderMismatch && !encoderMatches(profile.models.encoder, encoder.id)) {
      throw new PoqError(
        "E_MODEL_MISMATCH",
        `profile "${profile.name}" was made for encoder "${profile.models.encoder}" but the loaded encoder is "${encoder.id}"`,
        { expected: profile.models.encoder, actual: encoder.id },
      );
    }
    checkNli(profile, opts.nli ?? null);
    this.profileHash = profileHash(profile);
    this.enabled = new Set(profile.evaluators.enabled);
  }

  private feats(text: string): TextFeatures {
    let f = this.features.get(text);
    if (f === undefined) {
      f = textFeatures(text);
      this.features.set(text, f);
    }
    return f;
  }

  private sentences(text: string): string[] {
    let s = this.splits.get(text);
    if (s === undefined) {
      s = alignmentSentences(text);
      this.splits.set(text, s);
    }
    return s;
  }

  /** Releases the similarity session (the encoder and NLI model belong to the caller). */
  async close(): Promise<void> {
    const s = this.similarity;
    this.similarity = null;
    if (s) await (await s).close();
  }

  async score(records: readonly unknown[]): Promise<ScoreResult[]> {
    const { profile } = this.opts;
    const chunkSize = this.opts.chunkSize ?? 256;
    const results: ScoreResult[] = new Array(records.length);
    this.opts.onProgress?.(0, records.length);
    for (let start = 0; start < records.length; start += chunkSize) {
      const end = Math.min(records.length, start + chunkSize);
      const plans: Plan[] = [];
      const t0 = this.opts.timings ? performance.now() : 0;
      for (let i = start; i < end; i++) {
        const line = this.opts.lines?.[i] ?? i + 1;
        try {
          const rec = validateRecord(records[i], profile, line);
          plans.push(this.plan(rec, i, line));
        } catch (err) {
          results[i] = { ok: false, index: i, error: asRecordError(err, records[i], line) };
        }
      }
      if (this.opts.timings) this.opts.timings.validate = (this.opts.timings.validate ?? 0) + performance.now() - t0;
      const full = profile.cheapFirst ? this.skipDecided(plans, results) : plans;
      try {
        for (const r of await this.scoreChunk(full)) results[r.index] = r;
      } catch {
        // isolate the failing record(s): score one by one
        for (const p of full) {
          try {
            const [r] = await this.scoreChunk([p]);
            results[p.index] = r!;
          } catch (err) {
            results[p.index] = { ok: false, index: p.index, error: asRecordError(err, p.rec, p.line, "(scoring)") };
          }
        }
      }
      this.opts.onProgress?.(end, records.length);
    }
    return results;
  }

  /** Cheap-first: settles the records whose pay decision the encoder cannot change; returns the others. */
  private skipDecided(plans: readonly Plan[], results: ScoreResult[]): Plan[] {
    const t0 = this.opts.timings ? performance.now() : 0;
    const rest: Plan[] = [];
    for (const p of plans) {
      try {
        const r = this.cheapResult(p);
        if (r) results[p.index] = r;
        else rest.push(p);
      } catch (err) {
        results[p.index] = { ok: false, index: p.index, error: asRecordError(err, p.rec, p.line, "(scoring)") };
      }
    }
    if (this.opts.timings) this.opts.timings.cheapFirst = (this.opts.timings.cheapFirst ?? 0) + performance.now() - t0;
    return rest;
  }

  private plan(rec: InputRecord, index: number, line: number): Plan {
    const cfg = this.opts.profile.tasks[rec.task]!;
    // distinct, trimmed, non-empty references (long alias lists shrink to their distinct entries)
    const refs = distinctReferences(rec.references);
    let sourceTexts = cfg.alignment.against.flatMap((a) => (a === "query" ? [rec.query] : refs)).filter((t) => t.trim().length > 0);
    if (sourceTexts.length === 0 && rec.query.trim().length > 0) sourceTexts = [rec.query];
    const wantAlign = this.enabled.has("summac.align") || this.opts.nli;
    return {
      rec,
      out: rec.output.trim(),
      refs,
      query: rec.query.trim(),
      index,
      line,
      outSentences: wantAlign ? this.sentences(rec.output) : [],
      sourceSentences: wantAlign ? sourceTexts.flatMap((t) => this.sentences(t)) : [],
      sourceTexts,
    };
  }

  /** The evaluators computed from the texts alone (lexical tier), unrounded. */
  private lexicalEvaluators(p: Plan): Record<string, number> {
    const { rec, refs } = p;
    const en = this.enabled;
    const cfg = this.opts.profile.tasks[rec.task]!;
    const how = cfg.referenceAggregation;
    const ev: Record<string, number> = {};
    if (refs.length > 0) {
      const lex = lexicalScoresFromFeatures(this.feats(rec.output), refs.map((r) => this.feats(r)), how);
      for (const [id, v] of Object.entries(lex)) if (en.has(id)) ev[id] = v;
      // the query is a question only for tasks that do not align against it (QA)
      if (en.has("qa.recall.novel") && !cfg.alignment.against.includes("query")) {
        const out = this.feats(rec.output);
        const question = this.feats(rec.query).answerSet;
        ev["qa.recall.novel"] = aggregate(refs.map((r) => novelRecall(out.answerToks, out.answerSet, this.feats(r).answerToks, question)), how);
      }
      if (!cfg.alignment.against.includes("query")) {
        if (en.has("qa.support")) ev["qa.support"] = contentSupport(rec.output, vocabulary(refs), this.analysed(rec.query).vocab);
        if (en.has("qa.entities")) ev["qa.entities"] = entitySupport(rec.output, vocabulary([rec.query, ...refs]));
        if (en.has("qa.numbers")) ev["qa.numbers"] = numberAgreement(rec.output, refs);
      }
    }
    // the query is a source document only for tasks that align against it (not QA's questions)
    if (en.has("source.overlap") && cfg.alignment.against.includes("query") && p.query.length > 0) {
      ev["source.overlap"] = sourceOverlap(this.feats(rec.output).words, this.sourceNgrams(rec.query));
    }
    if (cfg.alignment.against.includes("query") && p.query.length > 0) {
      if (en.has("source.support")) ev["source.support"] = contentSupport(rec.output, this.analysed(rec.query).vocab);
      if (en.has("source.consistency")) ev["source.consistency"] = sourceConsistency(rec.output, this.analysed(rec.query).views).score;
    }
    if (en.has("answer.committal")) ev["answer.committal"] = committal(rec.output);
    if (en.has("distinct.3gram")) ev["distinct.3gram"] = distinctNgrams(this.feats(rec.output).words);
    return ev;
  }

  /**
   * Cheap-first (profile.cheapFirst): the record's scores without the encoder when its pay
   * decision is settled by the cheap parts alone (oracle/scoring/cheap-first.ts), else null.
   */
  private cheapResult(p: Plan): ScoreResult | null {
    const { profile } = this.opts;
    const { rec } = p;
    const cfg = profile.tasks[rec.task]!;
    const hasReferences = p.refs.length > 0;
    const lexical: Record<string, number> = {};
    for (const [id, v] of Object.entries(this.lexicalEvaluators(p))) lexical[id] = round6(v);
    const modelPrior = modelPriorDimension(profile, rec.model, rec.task);
    const costPrior = costPriorDimension(profile, rec, modelPrior.score);
    const structure = structureDimension(rec.output, rec.query, cfg.structure, rec.task);
    const ctx = { model: rec.model, hasReferences, degenerate: capReason(rec.output, lexical) !== null };
    const mixCfg = resolveTaskConfig(profile, rec.task, ctx)!.cfg;
    const r = cheapFirst({ profile, task: rec.task, ctx, mixCfg, cfg, lexical, hasReferences, modelPrior, costPrior, structure });
    if (!r.decisive) return null;
    const cf = profile.cheapFirst!;
    const evaluators = Object.fromEntries(Object.entries(r.evaluators).sort((a, b) => EVALUATOR_ORDER.get(a[0])! - EVALUATOR_ORDER.get(b[0])!));
    const side = r.hi < cf.floor - cf.margin ? `below the floor ${cf.floor}` : `at or above the floor ${cf.floor}`;
    const explain: ScoreExplanation = {
      modelPrior: modelPrior.explain,
      costPrior: costPrior.explain,
      structure: structure.explain,
      semantic: `${r.semanticExplain} (cheap-first: not encoded; encoder-based evaluators at the profile's fill values)`,
      alignment: `alignment ${r.dimensions.alignment} (cheap-first fill: not encoded)`,
      agreement: `agreement ${r.dimensions.agreement} (cheap-first: from the fill values)`,
      composite: `composite ${r.composite} (cheap-first: the encoder was skipped, whatever it said the composite would lie in [${r.lo}, ${r.hi}], ${side} with margin ${cf.margin})`,
    };
    const record: ScoredRecord = { ...rec, dimensions: r.dimensions, evaluators, composite: r.composite, profileHash: this.profileHash };
    return { ok: true, index: p.index, record, explain };
  }

  private async scoreChunk(plans: readonly Plan[]): Promise<ScoreResult[]> {
    const { profile, encoder, nli } = this.opts;
    const timer = this.opts.timings;
    let last = timer ? performance.now() : 0;
    const lap = (stage: string): void => {
      if (!timer) return;
      const now = performance.now();
      timer[stage] = (timer[stage] ?? 0) + now - last;
      last = now;
    };
    const en = this.enabled;
    // 1. every distinct text to embed / to get token states for, in first-seen order
    const toEmbed = new Map<string, Float32Array | null>();
    const toStates = new Set<string>();
    const stateSnapshot = new Map<string, Float32Array[]>();
    const need = (t: string) => {
      if (!toEmbed.has(t)) toEmbed.set(t, null);
    };
    const wantBert = en.has("bertscore.f1") || en.has("bertscore.p") || en.has("bertscore.r");
    for (const p of plans) {
      if (en.has("use.cosine.ref") && p.refs.length > 0) {
        need(p.out);
        p.refs.forEach(need);
      }
      if (en.has("use.cosine.query") && p.query.length > 0) {
        need(p.out);
        need(p.query);
      }
      if (en.has("summac.align")) {
        p.outSentences.forEach(need);
        p.sourceSentences.forEach(need);
      }
      if (wantBert && p.refs.length > 0) {
        for (const t of [p.out, ...p.refs]) {
          const cached = this.states.get(t);
          if (cached === undefined) toStates.add(t);
          else stateSnapshot.set(t, cached);
        }
      }
    }
    lap("plan");
    const list = [...toStates];
    const texts = [...toEmbed.keys()];
    const keepStates = (st: Array<{ states: Float32Array[] }>) =>
      list.forEach((t, i) => {
        const n = normalizeStates(st[i]!.states);
        this.states.set(t, n);
        stateSnapshot.set(t, n);
      });
    let vecs: Float32Array[] = [];
    if (encoder.encode) {
      // one encoder pass for token states and embeddings: fuller length buckets, fewer runs
      const r = list.length + texts.length > 0 ? await encoder.encode({ embed: texts, states: list }) : { embeddings: [], states: [] };
      keepStates(r.states);
      vecs = r.embeddings;
      lap("encode");
    } else {
      // token states first: the encoder caches their embeddings too, so embed() below reuses that pass
      if (list.length > 0) keepStates(await encoder.tokenStates(list));
      lap("encode.tokenStates");
      vecs = texts.length > 0 ? await encoder.embed(texts) : [];
      lap("encode.embed");
    }
    texts.forEach((t, i) => toEmbed.set(t, vecs[i]!));
    const emb = (t: string): Float32Array => toEmbed.get(t)!;

    // 2. NLI pairs (aligned source sentence, output sentence), when configured
    const alignments = plans.map((p) =>
      en.has("summac.align") || nli ? sentenceAlignment(p.outSentences.map(emb), p.sourceSentences.map(emb), profile.tasks[p.rec.task]!.alignment.pooling) : null,
    );
    lap("alignment.match");
    let nliScores: Array<number | undefined> = plans.map(() => undefined);
    if (nli) {
      const pairs: Array<[string, string]> = [];
      const owner: number[] = [];
      plans.forEach((p, k) => {
        alignments[k]!.best.forEach((b, s) => {
          pairs.push([p.sourceSentences[b.source]!, p.outSentences[s]!]);
          owner.push(k);
        });
      });
      const probs = pairs.length > 0 ? await nli.classify(pairs) : [];
      const sum = new Float64Array(plans.length);
      const cnt = new Float64Array(plans.length);
      probs.forEach((pr, i) => {
        sum[owner[i]!] += (1 + pr.entailment - pr.contradiction) / 2;
        cnt[owner[i]!] += 1;
      });
      nliScores = plans.map((_, k) => (cnt[k]! > 0 ? sum[k]! / cnt[k]! : undefined));
    }

    lap("nli");
    // 3. BERTScore: one GEMM per record; records sharing their references share the stacked references
    const bert: Array<BertScore[] | null> = plans.map(() => null);
    if (wantBert) {
      this.similarity ??= TokenSimilarity.create(this.opts.similarityThreads ?? 2);
      const sim = await this.similarity;
      const byRefs = new Map<string, number[]>();
      plans.forEach((p, k) => {
        if (p.refs.length === 0) return;
        const key = JSON.stringify(p.refs);
        const group = byRefs.get(key);
        if (group) group.push(k);
        else byRefs.set(key, [k]);
      });
      for (const ks of byRefs.values()) {
        const refs = plans[ks[0]!]!.refs.map((r) => stateSnapshot.get(r)!);
        const scores = await sim.bertScoresMany(ks.map((k) => stateSnapshot.get(plans[k]!.out)!), refs);
        ks.forEach((k, i) => (bert[k] = scores[i]!));
      }
    }

    lap("bertscore");
    // 4. evaluators, dimensions, composite
    const cb = profile.evaluators.cosineBaseline;
    const bb = profile.evaluators.bertscoreBaseline;
    return plans.map((p, k): ScoreResult => {
      const { rec } = p;
      const cfg = profile.tasks[rec.task]!;
      const how = cfg.referenceAggregation;
      const refs = p.refs;
      const hasRefs = refs.length > 0;
      const ev: Record<string, number> = this.lexicalEvaluators(p);
      lap("lexical");
      if (hasRefs) {
        if (en.has("use.cosine.ref")) ev["use.cosine.ref"] = rescale(aggregate(refs.map((r) => dot(emb(p.out), emb(r))), how), cb);
        if (wantBert) {
          const bs = bert[k]!;
          if (en.has("bertscore.p")) ev["bertscore.p"] = rescale(aggregate(bs.map((b) => b.p), how), bb);
          if (en.has("bertscore.r")) ev["bertscore.r"] = rescale(aggregate(bs.map((b) => b.r), how), bb);
          if (en.has("bertscore.f1")) ev["bertscore.f1"] = rescale(aggregate(bs.map((b) => b.f1), how), bb);
        }
      }
      if (en.has("use.cosine.query") && p.query.length > 0) ev["use.cosine.query"] = rescale(dot(emb(p.out), emb(p.query)), cb);
      lap("cosine");
      const al = alignments[k];
      let cues: CueReport[] = [];
      if (al && al.best.length > 0) {
        if (en.has("summac.align")) ev["summac.align"] = rescale(al.score, cb);
        const src = indexSource(p.sourceTexts);
        cues = al.best.map((b, s) => cuesFor(p.outSentences[s]!, p.sourceSentences[b.source]!, src, cfg.alignment.cues));
        if (cfg.alignment.pooling === "max") {
          // one sentence carries the alignment: only its cues count
          let top = 0;
          al.best.forEach((b, s) => {
            if (b.cosine > al.best[top]!.cosine) top = s;
          });
          cues = [cues[top]!];
        }
      }
      lap("alignment.cues");
      if (nliScores[k] !== undefined) ev["nli.entail"] = nliScores[k]!;
      for (const id of Object.keys(ev)) ev[id] = round6(ev[id]!);
      const evaluators = Object.fromEntries(Object.entries(ev).sort((a, b) => EVALUATOR_ORDER.get(a[0])! - EVALUATOR_ORDER.get(b[0])!));

      lap("assemble");
      const mp = modelPriorDimension(profile, rec.model, rec.task);
      lap("dim.modelPrior");
      const cp = costPriorDimension(profile, rec, mp.score);
      lap("dim.costPrior");
      const st = structureDimension(rec.output, rec.query, cfg.structure, rec.task);
      lap("dim.structure");
      const degenerate = capReason(rec.output, evaluators);
      const ctx = { model: rec.model, hasReferences: hasRefs, degenerate: degenerate !== null };
      // a calibrated profile may score this record with another mix (unrated model, no references)
      const mixCfg = resolveTaskConfig(profile, rec.task, ctx)!.cfg;
      const se = semanticDimension(mixCfg.semantic, evaluators, hasRefs);
      lap("dim.semantic");
      const alDim = alignmentDimension(cfg.alignment, { embeddingAlignment: evaluators["summac.align"] ?? 0, cues, nli: evaluators["nli.entail"] });
      lap("dim.alignment");
      const ag = agreementDimension(cfg.agreementPool, evaluators);
      lap("dim.agreement");
      const parts: Record<Dimension, { score: number; explain: string }> = {
        modelPrior: mp,
        costPrior: cp,
        structure: st,
        semantic: se,
        alignment: alDim,
        agreement: ag,
      };
      const dimensions = {} as DimensionScores;
      const explain = {} as ScoreExplanation;
      for (const d of DIMENSIONS) {
        dimensions[d] = round6(parts[d].score);
        explain[d] = parts[d].explain;
      }
      const comp = explainComposite(dimensions, profile, rec.task, ctx);
      const composite = round6(comp.composite);
      const sum = DIMENSIONS.filter((d) => comp.weights[d] > 0)
        .map((d) => `${round6(comp.weights[d])} x ${d} ${round6(comp.normalized[d])}`)
        .join(" + ");
      const mixNote = comp.mix === "main" ? "" : ` (${comp.mix} mix)`;
      explain.composite = comp.calibrated
        ? `composite ${composite} = calibration map (${mixCfg.calibration!.target}) of ${round6(comp.raw)}${mixNote} = ${sum}`
        : `composite ${composite}${mixNote} = ${sum}`;
      if (comp.gatedOff.length) explain.composite += `; gated off: ${comp.gatedOff.join(", ")}`;
      if (comp.capped) explain.composite = `composite ${composite}: degenerate text (${degenerate}), capped at ${mixCfg.degenerateCap} (before the cap: ${explain.composite})`;
      const record: ScoredRecord = { ...rec, dimensions, evaluators, composite, profileHash: this.profileHash };
      lap("composite");
      return { ok: true, index: p.index, record, explain };
    });
  }
}

function asRecordError(err: unknown, raw: unknown, line: number, field = "(record)"): RecordError {
  if (err instanceof RecordError) return err;
  const id = raw && typeof raw === "object" && typeof (raw as { id?: unknown }).id === "string" ? ((raw as { id: string }).id) : null;
  return new RecordError({ recordId: id, line, field, reason: errorMessage(err) }, { cause: err });
}

/**
 * Scores records (untrusted values: each is validated) under a profile with the given
 * encoder. Returns one result per input, in input order: the scored record with per-dimension
 * explanations, or a RecordError naming record id, line, field and reason.
 */
export async function scoreRecords(records: readonly unknown[], opts: ScoreOptions): Promise<ScoreResult[]> {
  const scorer = new Scorer(opts);
  try {
    return await scorer.score(records);
  } finally {
    await scorer.close();
  }
}
