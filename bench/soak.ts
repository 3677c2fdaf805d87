/**
 * Soak: two compiled nodes, alice and bob, paired by invite over REST, left running under a steady
 * load for `--minutes`:
 *
 * - chat both ways: a tab on each node sends the other a message every ~100 ms;
 * - co-typing: alice shares `scratch:main`, bob opens `scratch:main@<alice>`, and a tab on each
 *   types into it every ~200 ms (trimming the note when it gets long);
 * - a churning tab: every few seconds a new tab on one node or the other joins the note, shows a
 *   caret, types a few characters and goes away (every other one says `leave` first, the rest just
 *   drop the socket, as a closed browser tab does).
 *
 * Every minute prints one JSON line: each node's RSS and open fds (from /proc), the bytes it has
 * logged, and the p50/p99 of an `/api/health` round trip sent every 200 ms (the node's event-loop
 * lag as a user would feel it), and this process's own loop lag, which says whether a slow round
 * trip was the bench's fault. When the time is up the load stops and the bench checks that every
 * chat message is stored exactly once on both nodes (paging `GET /api/chat/:id/messages`) and that
 * both nodes hold the same note, then prints a summary line.
 *
 * Pass rule: no node exited, every health check answered 200 within 5 s, each node's RSS at the
 * end at most `--rss-mb` (30) MB and its open fds at most `--fds` (16) above the baseline, no chat
 * error, every message once on both sides, the same note on both, and both nodes stop cleanly on
 * SIGTERM. Exits 1 otherwise. RSS and fds are sampled every 5 s; "the end" is the median of the
 * last 15 s and the baseline the median of the 15 s up to minute 1 (up to 20 s in a 1-minute
 * run), so a garbage collection landing on one sample neither hides a leak nor fails a good run.
 *
 *   bun bench/soak.ts [--minutes 1] [--binary dist/weft] [--rss-mb 30] [--fds 16]
 *
 * A missing binary is built first (scripts/build.ts). Each node's logs are kept in its folder,
 * printed in the summary as `dir`.
 */
import { existsSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { ChatPage } from "../protocol/chat.ts";
import type { NoticesList } from "../protocol/notices.ts";
import { seededRandom } from "../tests/helpers/seeded-random.ts";
import { median, quantile, round } from "./bench-stats.ts";
import {
  call,
  chatTab,
  history,
  noteTab,
  probeHealth,
  type SoakNode,
  sample,
  startNode,
  until,
} from "./soak-nodes.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    minutes: { type: "string" },
    binary: { type: "string" },
    "rss-mb": { type: "string" },
    fds: { type: "string" },
  },
});
const MINUTES = Number(values.minutes ?? 1);
const RSS_MB = Number(values["rss-mb"] ?? 30);
const FDS = Number(values.fds ?? 16);
if (!Number.isInteger(MINUTES) || MINUTES < 1 || !(RSS_MB > 0) || !(FDS >= 0)) {
  console.error("usage: bun bench/soak.ts [--minutes N] [--binary PATH] [--rss-mb MB] [--fds N]");
  process.exit(2);
}
const repo = join(import.meta.dir, "..");
const binary = resolve(values.binary ?? join(repo, "dist", "weft"));
const ROOM = "scratch:main";
/** Baseline up to minute 1; a 1-minute run has no later minute, so it takes it 20 s in. */
const BASELINE_S = MINUTES >= 2 ? 60 : 20;
const WINDOW_S = 15;
/** What went wrong, in words; the run passes when it stays empty. */
const failures: string[] = [];

if (!existsSync(binary)) {
  console.error(`soak: building ${binary}`);
  const built = Bun.spawnSync([process.execPath, join(repo, "scripts/build.ts"), "--outfile", binary], {
    cwd: repo,
    stdout: "ignore",
    stderr: "inherit",
  });
  if (built.exitCode !== 0) process.exit(1);
}

const nodes: SoakNode[] = [];
let exitCode = 1;
// Stopping the bench stops its nodes too, so a cancelled CI job leaves nothing running.
for (const sig of ["SIGINT", "SIGTERM"] as const)
  process.on(sig, () => {
    for (const n of nodes) if (n.proc.exitCode === null) n.proc.kill("SIGKILL");
    process.exit(130);
  });
try {
  const alice = await startNode(binary, "alice");
  nodes.push(alice);
  const bob = await startNode(binary, "bob");
  nodes.push(bob);
  const { invite } = await call<{ invite: string }>(alice, "POST", "/api/network/invite", {});
  const paired = await call<{ ok: boolean; error?: string }>(bob, "POST", "/api/network/pair", { invite });
  if (!paired.ok) throw new Error(`pairing failed: ${paired.error}`);
  const connected = (a: SoakNode, b: SoakNode) => async () =>
    (await call<{ peers: { node_id: string; status: string }[] }>(a, "GET", "/api/network/peers")).peers.some(
      (p) => p.node_id === b.id && p.status === "connected",
    );
  await until(connected(alice, bob), "alice to see bob connected");
  await until(connected(bob, alice), "bob to see alice connected");

  // The shared note: alice shares her own, bob opens it once the invitation is in his inbox.
  const aliceNote = await noteTab(alice, ROOM);
  aliceNote.share(bob.id);
  await until(
    async () =>
      (await call<NoticesList>(bob, "GET", "/api/notices?limit=50")).notices.some(
        (n) => n.kind === "share_received",
      ),
    "bob to be told of the share",
  );
  const shared = `${ROOM}@${alice.id}`;
  const bobNote = await noteTab(bob, shared);
  const rooms = new Map([
    [alice, ROOM],
    [bob, shared],
  ]);

  const aliceChat = await chatTab(alice, bob);
  const bobChat = await chatTab(bob, alice);
  const random = seededRandom(11);
  let running = true;
  let churned = 0;
  const churnErrors: string[] = [];
  const probes = nodes.map((n) => probeHealth(n, () => running));
  const timers = [
    setInterval(() => {
      aliceChat.tick();
      bobChat.tick();
    }, 100),
    setInterval(() => {
      aliceNote.type(random);
      bobNote.type(random);
    }, 200),
  ];
  let loopLag: number[] = [];
  let expected = performance.now() + 50;
  timers.push(
    setInterval(() => {
      const now = performance.now();
      loopLag.push(Math.max(0, now - expected));
      expected = now + 50;
    }, 50),
  );
  const churn = (async () => {
    while (running) {
      const node = churned % 2 === 0 ? alice : bob;
      try {
        const tab = await noteTab(node, rooms.get(node)!);
        for (let i = 0; i < 5 && running; i++) {
          tab.type(random);
          tab.caret(Math.floor(random() * (tab.text().length + 1)));
          await Bun.sleep(100);
        }
        tab.close(churned % 4 < 2);
      } catch (e) {
        churnErrors.push((e as Error).message);
      }
      churned++;
      await Bun.sleep(2500);
    }
  })();

  const t0 = Date.now();
  const trail = new Map<SoakNode, { s: number; rss_mb: number; fds: number }[]>(nodes.map((n) => [n, []]));
  let sampledAt = 0;
  let last = new Map<SoakNode, ReturnType<typeof sample>>();
  for (let minute = 1; minute <= MINUTES && nodes.every((n) => n.exited === undefined); minute++) {
    while (Date.now() - t0 < minute * 60_000 && nodes.every((n) => n.exited === undefined)) {
      await Bun.sleep(250);
      if (Date.now() - sampledAt >= 5000 && nodes.every((n) => n.exited === undefined)) {
        sampledAt = Date.now();
        for (const n of nodes) trail.get(n)!.push({ s: (sampledAt - t0) / 1000, ...sample(n) });
      }
    }
    last = new Map(nodes.map((n) => [n, sample(n)]));
    for (const n of nodes)
      if (last.get(n)?.alive) trail.get(n)!.push({ s: (Date.now() - t0) / 1000, ...last.get(n)! });
    const line: Record<string, unknown> = {};
    for (const n of nodes) {
      line[n.name] = {
        ...last.get(n),
        health_ms_p50: round(quantile(n.health, 0.5), 2),
        health_ms_p99: round(quantile(n.health, 0.99), 2),
        health_failures: n.healthFailures,
      };
      n.health = [];
    }
    console.log(
      JSON.stringify({
        bench: "soak",
        minute,
        nodes: line,
        bench_loop_lag_ms_p99: round(quantile(loopLag, 0.99), 2),
        chat_sent: { alice: aliceChat.stats.sent, bob: bobChat.stats.sent },
        churned_tabs: churned,
        note_chars: aliceNote.text().length,
      }),
    );
    loopLag = [];
  }
  running = false;
  for (const t of timers) clearInterval(t);
  await Promise.all([churn, ...probes]);

  const dead = nodes.filter((n) => n.exited !== undefined);
  for (const n of dead) failures.push(`${n.name} died (${n.proc.signalCode ?? `exit code ${n.exited}`})`);
  for (const n of nodes)
    if (n.healthFailures > 0) failures.push(`${n.name}: ${n.healthFailures} health checks failed`);
  if (churnErrors.length > 0)
    failures.push(`${churnErrors.length} churning tabs failed, the first: ${churnErrors[0]}`);
  const errors = [...aliceChat.stats.errors, ...bobChat.stats.errors];
  if (errors.length > 0) failures.push(`${errors.length} chat errors, the first: ${errors[0]}`);

  // Exactly once: each side holds what it sent, delivered, and what the other sent, each once.
  const chat: Record<string, unknown> = {};
  if (dead.length === 0) {
    const pairs: [SoakNode, SoakNode, number, number][] = [
      [alice, bob, aliceChat.stats.sent, bobChat.stats.sent],
      [bob, alice, bobChat.stats.sent, aliceChat.stats.sent],
    ];
    // Delivery is in order, so the newest page says when all has arrived; the count comes after.
    const settled = async () => {
      for (const [node, peer, , inn] of pairs) {
        const page = await call<ChatPage>(node, "GET", `/api/chat/${peer.id}/messages?limit=200`);
        const outs = page.messages.filter((m) => m.direction === "out");
        if (
          inn > 0 &&
          !page.messages.some((m) => m.direction === "in" && m.text === `${peer.name} ${inn - 1}`)
        )
          return false;
        if (outs.some((m) => m.status !== "delivered" && m.status !== "read")) return false;
      }
      return true;
    };
    await until(settled, "every message to be delivered").catch((e: Error) => failures.push(e.message));
    // A tab's frame may trail the REST answer that saw the message stored.
    await until(
      () => aliceChat.stats.shown >= bobChat.stats.sent && bobChat.stats.shown >= aliceChat.stats.sent,
      "the tabs to show every arrival",
      5000,
    ).catch(() => {});
    for (const [node, peer, out, inn] of pairs) {
      const all = await history(node, peer);
      const texts = (dir: "in" | "out") => all.filter((m) => m.direction === dir).map((m) => m.text);
      const check = (dir: "in" | "out", author: SoakNode, count: number) => {
        const got = texts(dir);
        const unique = new Set(got);
        let missing = 0;
        for (let i = 0; i < count; i++) if (!unique.has(`${author.name} ${i}`)) missing++;
        const undelivered = all.filter(
          (m) => m.direction === dir && dir === "out" && m.status !== "delivered" && m.status !== "read",
        ).length;
        return {
          expected: count,
          stored: got.length,
          missing,
          duplicates: got.length - unique.size,
          undelivered,
        };
      };
      const sentSide = check("out", node, out);
      const gotSide = check("in", peer, inn);
      const shown = node === alice ? aliceChat.stats.shown : bobChat.stats.shown;
      chat[node.name] = { sent: sentSide, received: gotSide, shown_in_tab: shown };
      // The tab showing the conversation must have shown each arrival once too.
      if (shown !== inn) failures.push(`${node.name}'s tab showed ${shown} arrivals of ${inn} messages`);
      for (const [what, c] of [
        ["sent", sentSide],
        ["received", gotSide],
      ] as const) {
        if (c.missing > 0 || c.stored !== c.expected || c.undelivered > 0)
          failures.push(
            `${node.name} holds ${c.stored} of ${c.expected} messages ${what} (${c.missing} missing, ${c.duplicates} twice, ${c.undelivered} undelivered)`,
          );
      }
    }
  }
  aliceChat.close();
  bobChat.close();

  // The note: the two long-lived tabs agree, and a tab opened now on each node sees the same.
  const note: Record<string, unknown> = {};
  if (dead.length === 0) {
    await until(() => aliceNote.text() === bobNote.text(), "the note to converge", 15_000).catch((e: Error) =>
      failures.push(e.message),
    );
    const fresh = [await noteTab(alice, ROOM), await noteTab(bob, shared)];
    const [onAlice, onBob] = fresh.map((t) => t.text());
    for (const t of fresh) t.close(true);
    note.chars = onAlice?.length ?? 0;
    note.same_on_both = onAlice === onBob && onAlice === aliceNote.text();
    if (!note.same_on_both) failures.push("alice and bob hold different notes");
  }
  aliceNote.close(true);
  bobNote.close(true);

  const memory: Record<string, unknown> = {};
  for (const n of nodes) {
    const samples = trail.get(n)!;
    const lastS = samples.at(-1)?.s ?? 0;
    const within = (from: number, to: number) => samples.filter((x) => x.s > from && x.s <= to);
    const early = within(BASELINE_S - WINDOW_S, BASELINE_S);
    const late = within(lastS - WINDOW_S, lastS);
    if (n.exited !== undefined || early.length === 0 || late.length === 0) continue;
    const start = { rss_mb: median(early.map((x) => x.rss_mb)), fds: median(early.map((x) => x.fds)) };
    const end = { rss_mb: median(late.map((x) => x.rss_mb)), fds: median(late.map((x) => x.fds)) };
    const growth = round(end.rss_mb - start.rss_mb);
    memory[n.name] = {
      rss_mb_baseline: start.rss_mb,
      rss_mb_end: end.rss_mb,
      rss_growth_mb: growth,
      rss_mb_max: Math.max(...samples.map((x) => x.rss_mb)),
      fds_baseline: start.fds,
      fds_end: end.fds,
      log_bytes: last.get(n)?.log_bytes,
    };
    if (growth > RSS_MB) failures.push(`${n.name}: RSS grew ${growth} MB (limit ${RSS_MB})`);
    if (end.fds - start.fds > FDS)
      failures.push(`${n.name}: open fds grew ${end.fds - start.fds} (limit ${FDS})`);
  }
  for (const n of nodes.filter((n) => n.exited === undefined)) {
    n.proc.kill("SIGTERM");
    const code = await Promise.race([n.proc.exited, Bun.sleep(5000).then(() => "hung")]);
    if (code !== 0) failures.push(`${n.name} did not stop cleanly on SIGTERM (${code})`);
  }
  console.log(
    JSON.stringify({
      bench: "soak",
      summary: true,
      minutes: MINUTES,
      pass: failures.length === 0,
      failures,
      kept: failures.length === 0 ? undefined : nodes.map((n) => n.dir),
      rule: `every node alive and answering; RSS at the end (median of the last ${WINDOW_S} s) ≤ baseline (median of ${BASELINE_S - WINDOW_S}–${BASELINE_S} s) + ${RSS_MB} MB, fds likewise ≤ baseline + ${FDS}; every message once on both sides; the same note on both`,
      nodes: memory,
      chat,
      churned_tabs: churned,
      note,
    }),
  );
  exitCode = failures.length === 0 ? 0 : 1;
  // A failed run keeps each node's folder (database and logs) for a look; the summary names them.
  if (exitCode === 0) for (const n of nodes) rmSync(n.dir, { recursive: true, force: true });
} catch (e) {
  failures.push((e as Error).message);
  console.log(JSON.stringify({ bench: "soak", summary: true, minutes: MINUTES, pass: false, failures }));
} finally {
  for (const n of nodes) if (n.proc.exitCode === null) n.proc.kill("SIGKILL");
}
process.exit(exitCode);
