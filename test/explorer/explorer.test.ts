/**
 * Browser tests of the explorer: Debian's Chromium driven by playwright-core, headless, on
 * the pages the indexer serves after a demo round (random tasks with misses, slashes, claims
 * on a Hardhat node). Numbers shown are checked against the contracts' views; screenshots go
 * to docs/explorer/.
 */
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { formatEther, type Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexer, type IndexerProcess } from "../../indexer/launch.js";
import { mineEmpty, playClaims, playRound, rng, setupWorld, type World } from "../../indexer/scenario.js";
import { shippedProfiles } from "../../oracle/contract/shipped-profiles.js";
import { freePort, root, startHardhatNode } from "../../oracle/ops/devnode.js";

const CHROMIUM = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"].find((p) => existsSync(p));
const SHOTS = path.join(root, "docs", "explorer");

describe("explorer in Chromium", () => {
  let node: Awaited<ReturnType<typeof startHardhatNode>>;
  let w: World;
  let ix: IndexerProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!CHROMIUM) throw new Error("Chromium not found: apt-get install -y chromium (.ci/run does it)");
    node = await startHardhatNode({ quiet: true });
    w = await setupWorld(node.url);
    const r = rng(2026);
    for (let round = 0; round < 3; round++) {
      await playRound(w, { tasks: 3, rand: r, silent: 0.12 });
      await playClaims(w, r);
    }
    await mineEmpty(w);
    ix = startIndexer({ rpcUrl: node.url, chainId: w.chainId, port: await freePort(), schema: `poq_browser_${process.pid}`, deploymentsDir: w.deploymentsDir, pgliteDir: mkdtempSync(path.join(tmpdir(), "poq-pglite-")) });
    await ix.waitSynced(await w.dc.client.getBlockNumber());
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
    });
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    mkdirSync(SHOTS, { recursive: true });
  }, 400_000);

  afterAll(async () => {
    await browser?.close();
    await ix?.stop();
    await node?.stop();
  });

  const wei = async (sel: string) => BigInt((await page.locator(`${sel} .amount`).first().getAttribute("data-wei"))!);
  const text = async (sel: string) => (await page.locator(sel).first().innerText()).trim();

  it("overview: tasks settled, escrow, claimable and active evaluators equal the contracts' views; fits a phone", async () => {
    await page.goto(`${ix.url}/`);
    const { stack } = w;
    let settled = 0;
    for (let id = 1n; id <= (await stack.poq.read.taskCount()); id++) if ((await stack.poq.read.getTask([id])).status === 3) settled++;
    expect(Number(await text('[data-testid="tasks-settled"] .v'))).toBe(settled);
    const [escrowed, claimable] = await stack.poq.read.totals();
    expect(await wei('[data-testid="escrowed"]')).toBe(escrowed);
    expect(await wei('[data-testid="claimable"]')).toBe(claimable);
    expect(Number(await text('[data-testid="active-evaluators"] .v'))).toBe(Number(await stack.registry.read.evaluatorCount()));
    expect(await page.locator("svg.marks").count()).toBeGreaterThan(0); // the trust histogram
    await page.screenshot({ path: path.join(SHOTS, "overview.png"), fullPage: true });

    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await phone.goto(`${ix.url}/`);
    const overflow = await phone.evaluate(() => {
      const el = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
      return el.scrollWidth - el.clientWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.screenshot({ path: path.join(SHOTS, "overview-phone.png"), fullPage: true });
    await phone.close();
  }, 120_000);

  it("task page: consensus, committee reveals and scores equal the contract; a click leads to each evaluator", async () => {
    const { stack } = w;
    // a settled task with a member that missed, if the round made one
    let id = 1n;
    for (let t = 1n; t <= (await stack.poq.read.taskCount()); t++) {
      const task = await stack.poq.read.getTask([t]);
      if (task.status === 3 && task.hasConsensus && task.reveals < task.k) {
        id = t;
        break;
      }
    }
    await page.goto(`${ix.url}/task/${id}`);
    const [has, consensus] = await stack.poq.read.getConsensus([id]);
    const shown = await page.locator('[data-testid="outputs"] td[data-k="consensus"]').allInnerTexts();
    expect(shown).toEqual(has ? consensus.map(String) : consensus.map(() => "–"));
    const [members] = await stack.poq.read.getCommittee([id]);
    const rows = page.locator('[data-testid="committee"] tbody tr');
    expect(await rows.count()).toBe(members.length);
    for (const m of members) {
      const row = page.locator(`tr[data-evaluator="${m.toLowerCase()}"]`);
      const [, , revealed, , scores] = await stack.poq.read.getMember([id, m]);
      // an abstainer revealed an empty score list
      expect((await row.locator('td[data-k="scores"]').innerText()).trim()).toBe(!revealed ? "–" : scores.length === 0 ? "abstained" : scores.join(", "));
      const ev = await stack.registry.read.getEvaluator([m]);
      expect(ev.tasksAssigned).toBeGreaterThan(0);
    }
    await page.screenshot({ path: path.join(SHOTS, "task.png"), fullPage: true });

    // click through to each member's evaluator page
    for (const m of members) {
      await page.goto(`${ix.url}/task/${id}`);
      await page.locator(`tr[data-evaluator="${m.toLowerCase()}"] a[data-testid="member-link"]`).click();
      await page.waitForURL(`**/evaluator/${m.toLowerCase()}`);
      const ev = await stack.registry.read.getEvaluator([m]);
      expect(await text('[data-testid="trust"] .v')).toBe((ev.trust / 10_000).toFixed(4));
      expect(await wei('[data-testid="stake"]')).toBe(ev.stake);
      expect(await wei('[data-testid="unbonding"]')).toBe(ev.unbonding);
      expect(await text('[data-testid="missed"] .v')).toBe(`${ev.tasksMissed} / ${ev.tasksAssigned}`);
      expect(await wei('[data-testid="claimable"]')).toBe(await stack.poq.read.claimableOf([m]));
      expect(await page.locator('[data-testid="evaluator-tasks"] a', { hasText: `#${id}` }).count()).toBe(1);
    }
    expect(await page.locator("svg.marks").count()).toBe(2); // trust and stake charts
    await page.screenshot({ path: path.join(SHOTS, "evaluator.png"), fullPage: true });
  }, 180_000);

  it("profile page: reached from a task, names the shipped profile and shows its calibration figures", async () => {
    await page.goto(`${ix.url}/task/1`);
    await page.locator('[data-testid="spec"] a[href^="/profile/"]').click();
    await page.waitForURL(`**/profile/${w.profile.toLowerCase()}`);
    const name = shippedProfiles().find((p) => p.hash.toLowerCase() === w.profile.toLowerCase())!.name;
    expect(await text("dl dd")).toBe(name);
    if (name === "calibrated") {
      const widths = await page.locator("img.fig").evaluateAll((imgs) => imgs.map((i) => (i as unknown as { naturalWidth: number }).naturalWidth));
      expect(widths.length).toBe(3);
      for (const wd of widths) expect(wd).toBeGreaterThan(0);
    }
    await page.screenshot({ path: path.join(SHOTS, "profile.png"), fullPage: true });
  }, 60_000);

  it("node page: lifetime and pending pay equal getNode", async () => {
    const { stack, actors } = w;
    for (const [i, n] of actors.nodes.entries()) {
      await page.goto(`${ix.url}/node/${n.toLowerCase()}`);
      const nd = await stack.poq.read.getNode([n as Address]);
      expect(await wei('[data-testid="earned"]')).toBe(nd.lifetime);
      expect(await wei('[data-testid="pending"]')).toBe(nd.pending);
      expect(await text('[data-testid="earned"] .v')).toBe(formatEther(nd.lifetime));
      if (i === 0) await page.screenshot({ path: path.join(SHOTS, "node.png"), fullPage: true });
    }
  }, 120_000);
});
