/**
 * Real-time figures on the JACK dummy server, each measured in a fresh
 * process by `_realtime_probe.ts`, printed as a table with the goals of
 * issue 3 next to them:
 *
 * - command → output latency at 128 and 64 frames (a second JACK server
 *   with 64-frame periods is started for the latter and stopped after), and
 *   phrase → sound through OSC (`/chronus/say` from a UDP client);
 * - missing samples per failover, for kill, hang and throw;
 * - underruns, callback and render time over a steady run (60 s after
 *   10 s of settling; set `CHRONUS_BENCH_SECONDS` to change the 60);
 * - garbage collections (V8 `--trace-gc`) and heap growth of every worker
 *   isolate over that run.
 *
 * Needs a running JACK server (`bin/bench` starts one). Run it with
 * `deno task bench`, or alone: `deno run -A bench/realtime_report.ts`.
 *
 * @module
 */

import { REALTIME_V8_FLAGS } from "../engine/_v8_flags.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const PROBE = "bench/_realtime_probe.ts";
const SERVER_64 = "chronus-bench-64";

interface Latency {
  blockFrames: number;
  realtimeAudio: boolean;
  outputLatencyMs: number;
  dspLatencyMs: number;
  measured: number;
  handedP50: number;
  handedP99: number;
  handedMax: number;
  underruns: number;
  leadMs: number | null;
}

interface Failover {
  rounds: number;
  faults: Record<string, { gaps: number[]; underruns: number; xruns: number }>;
}

interface Quantiles {
  p50: number;
  p99: number;
  max: number;
}

interface Steady {
  seconds: number;
  realtimeAudio: boolean;
  blocks: number;
  underruns: number;
  deviceXruns: number;
  failovers: number;
  callbackMs: Quantiles;
  periodMs: Quantiles;
  renderMs: Quantiles[];
  heapBefore: { audio: number; slots: number[] };
  heapAfter: { audio: number; slots: number[] };
  mainHeapGrowth: number;
}

/** Run one probe; returns its RESULT (from stderr) and its stdout (V8's GC trace, if asked). */
async function probe<T>(
  args: readonly string[],
  options: { v8Flags?: string; env?: Record<string, string> } = {},
): Promise<{ result: T; stdout: string }> {
  const v8Flags = [REALTIME_V8_FLAGS, ...options.v8Flags === undefined ? [] : [options.v8Flags]];
  const flags = [`--v8-flags=${v8Flags.join(",")}`];
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...flags, PROBE, ...args],
    cwd: ROOT,
    env: options.env ?? {},
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  const line = stderr.split("\n").find((l) => l.startsWith("RESULT "));
  if (!output.success || line === undefined) {
    const tail = stderr.trim().split("\n").slice(-5).join("\n");
    throw new Error(`probe ${args.join(" ")} failed (status ${output.code}):\n${tail}`);
  }
  return { result: JSON.parse(line.slice("RESULT ".length)) as T, stdout };
}

async function jackAnswers(server?: string): Promise<boolean> {
  const env: Record<string, string> = { JACK_NO_START_SERVER: "1" };
  if (server !== undefined) env.JACK_DEFAULT_SERVER = server;
  try {
    return (await new Deno.Command("jack_lsp", { env, stdout: "null", stderr: "null" }).output())
      .success;
  } catch {
    return false;
  }
}

/** Start a named JACK dummy server with `periodFrames`; returns a stopper. */
async function startJack(server: string, periodFrames: number): Promise<() => Promise<void>> {
  for (const realtime of [["--realtime", "--realtime-priority", "70"], ["--no-realtime"]]) {
    const child = new Deno.Command("jackd", {
      args: ["-n", server, ...realtime, "-d", "dummy", "-r", "48000", "-p", String(periodFrames)],
      stdout: "null",
      stderr: "null",
    }).spawn();
    for (let i = 0; i < 50 && !await jackAnswers(server); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (await jackAnswers(server)) {
      return async () => {
        child.kill("SIGTERM");
        await child.status;
      };
    }
    child.kill("SIGKILL");
    await child.status;
  }
  throw new Error(`could not start a JACK dummy server with ${periodFrames}-frame periods`);
}

/**
 * GCs of each isolate inside its own measuring window: between its last
 * two forced ("testing") GCs. The main isolate forces a full GC at the
 * window's start and end; each worker a minor one at each heap probe.
 */
function gcsInWindow(stdout: string): { main: number; workers: Map<string, number> } {
  const line = /^\[\d+:(0x[0-9a-f]+)\]\s+[\d.]+ ms: (.*)$/;
  // Per isolate: GCs since its latest mark, and the count sealed at that mark.
  const open = new Map<string, number>();
  const sealed = new Map<string, number>();
  let mainIsolate = "";
  for (const text of stdout.split("\n")) {
    const match = line.exec(text);
    if (match === null) continue;
    const [, isolate = "", what = ""] = match;
    if (/\btesting\b/.test(what)) {
      if (/Mark-Compact/.test(what)) mainIsolate = isolate; // only main forces a full GC
      if (open.has(isolate)) sealed.set(isolate, open.get(isolate) ?? 0);
      open.set(isolate, 0);
    } else if (open.has(isolate)) {
      open.set(isolate, (open.get(isolate) ?? 0) + 1);
    }
  }
  const main = sealed.get(mainIsolate) ?? 0;
  sealed.delete(mainIsolate);
  return { main, workers: sealed };
}

const ms = (x: number) => Number.isFinite(x) ? `${x.toFixed(2)} ms` : "n/a";
const kib = (bytes: number) => Number.isFinite(bytes) ? `${(bytes / 1024).toFixed(1)} KiB` : "n/a";
const mark = (ok: boolean) => ok ? "ok  " : "MISS";

function row(what: string, figure: string, goal: string, ok: boolean | undefined): void {
  const status = ok === undefined ? "    " : mark(ok);
  console.log(`${status}  ${what.padEnd(44)} ${figure.padEnd(34)} ${goal}`);
}

function latencyRows(label: string, l: Latency, goalMs: number): void {
  // Handed over + the DSP's own latency (limiter look-ahead) + the device's.
  const total = (handed: number) => handed + l.dspLatencyMs + l.outputLatencyMs;
  row(
    `${label}: command → output, median`,
    `${ms(total(l.handedP50))} (${ms(l.handedP50)} + ${ms(l.dspLatencyMs)} + ${
      ms(l.outputLatencyMs)
    })`,
    `≤ ${goalMs} ms`,
    total(l.handedP50) <= goalMs,
  );
  row(
    `${label}: command → output, p99 / max`,
    `${ms(total(l.handedP99))} / ${ms(total(l.handedMax))}`,
    `(${l.measured} commands)`,
    undefined,
  );
}

async function main(): Promise<void> {
  if (!await jackAnswers()) {
    console.error("realtime_report: no JACK server answers; start one (bin/bench does)");
    Deno.exit(1);
  }
  const seconds = Number(Deno.env.get("CHRONUS_BENCH_SECONDS") ?? 60);
  console.log(
    `\nChronus real-time report: JACK dummy, 48 kHz, ${Deno.build.target}, ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}\n`,
  );
  console.log(`${"".padEnd(6)}${"measure".padEnd(44)} ${"figure".padEnd(34)} goal`);

  const l128 = (await probe<Latency>(["latency", "128", "200"])).result;
  latencyRows("128 frames", l128, 5.8);
  const stop64 = await startJack(SERVER_64, 64);
  try {
    const env = { JACK_DEFAULT_SERVER: SERVER_64 };
    const l64 = (await probe<Latency>(["latency", "64", "200"], { env })).result;
    latencyRows("64 frames", l64, 3);
  } finally {
    await stop64();
  }

  const osc = (await probe<Latency>(["osc", "200"])).result;
  latencyRows("phrase via OSC, 128 frames", osc, 5.8);
  const failover = (await probe<Failover>(["failover", "5"])).result;
  for (const [fault, f] of Object.entries(failover.faults)) {
    const missing = f.gaps.reduce((sum, gap) => sum + Math.max(0, gap), 0);
    row(
      `failover by ${fault} ×${f.gaps.length}: missing samples`,
      `${missing} (underruns ${f.underruns}, xruns ${f.xruns})`,
      "0",
      missing === 0 && f.underruns === 0,
    );
  }

  const { result: s, stdout } = await probe<Steady>(["steady", String(seconds)], {
    v8Flags: "--trace-gc,--expose-gc",
  });
  row(
    `steady ${s.seconds} s: underruns`,
    `${s.underruns} of ${s.blocks} blocks (xruns ${s.deviceXruns})`,
    "0",
    s.underruns === 0,
  );
  row(
    "callback time p50 / p99 / max",
    `${ms(s.callbackMs.p50)} / ${ms(s.callbackMs.p99)} / ${ms(s.callbackMs.max)}`,
    "",
    undefined,
  );
  row(
    "callback period p50 / p99 / max",
    `${ms(s.periodMs.p50)} / ${ms(s.periodMs.p99)} / ${ms(s.periodMs.max)}`,
    "",
    undefined,
  );
  s.renderMs.forEach((r, slot) =>
    row(
      `render time slot ${slot} p50 / p99 / max`,
      `${ms(r.p50)} / ${ms(r.p99)} / ${ms(r.max)}`,
      "",
      undefined,
    )
  );
  const gcs = gcsInWindow(stdout);
  const workerGcs = [...gcs.workers.values()].reduce((a, b) => a + b, 0);
  row(
    `GCs in worker isolates over ${s.seconds} s`,
    `${workerGcs} (main isolate: ${gcs.main})`,
    "0",
    workerGcs === 0,
  );
  const growth = (before: number, after: number) => after - before;
  row(
    "heap growth: audio worker",
    kib(growth(s.heapBefore.audio, s.heapAfter.audio)),
    "≈ 0 (the probe itself)",
    undefined,
  );
  s.heapBefore.slots.forEach((before, slot) =>
    row(
      `heap growth: DSP worker ${slot}`,
      kib(growth(before, s.heapAfter.slots[slot] ?? NaN)),
      "≈ 0 (the probe itself)",
      undefined,
    )
  );
  row("heap growth: main isolate", kib(s.mainHeapGrowth), "", undefined);
  console.log(
    `\naudio thread real-time: ${
      s.realtimeAudio ? "yes" : "no"
    }; failovers during the steady run: ${s.failovers}`,
  );
}

await main();
