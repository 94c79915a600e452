/**
 * One real-time measurement on the JACK dummy server, run in its own process
 * by `realtime_report.ts` (a fresh process per measurement: nothing left
 * over from the one before). Prints one line `RESULT <json>` on stderr.
 *
 *   deno run -A bench/_realtime_probe.ts latency <blockFrames> <count>
 *   deno run -A bench/_realtime_probe.ts failover <rounds per fault>
 *   deno run -A --v8-flags=--trace-gc,--expose-gc bench/_realtime_probe.ts steady <seconds>
 *
 * `steady` forces one GC in the main isolate right before and right after its
 * window, so V8's `--trace-gc` lines between those two ("testing") are the
 * window's GCs, in every isolate.
 *
 * @module
 */

import { type Engine, startEngine } from "../engine/engine.ts";
import { setParam } from "../engine/command.ts";
import { H, I, nowMs } from "../engine/_control.ts";
import { SynthParam } from "../dsp/params.ts";
import type { FaultName } from "../engine/control.ts";
import { lineAnswerHandler, startOscServer } from "../repl/osc_server.ts";
import { sendPhrase } from "../repl/osc_client.ts";
import { firstParser } from "../repl/line_parser.ts";
import { phraseParsers } from "../repl/parsers.ts";
import { PatchModel } from "../repl/patch_model.ts";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function healthy(engine: Engine): boolean {
  const health = engine.status().slots.map((slot) => slot.health).sort();
  return health[0] === "active" && health[1] === "standby";
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > timeoutMs) return false;
    await sleep(1);
  }
  return true;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/** Command issued → its first sample handed to PortAudio, plus the device's output latency. */
async function latency(blockFrames: number, count: number, leadMs?: number): Promise<unknown> {
  const engine = await startEngine({
    backend: "portaudio",
    device: "system",
    blockFrames,
    ...(leadMs === undefined ? {} : { leadMs }),
  });
  try {
    engine.send([setParam(SynthParam.Gate, 1)]);
    await sleep(500);
    const handed: number[] = [];
    for (let i = 0; i < count; i++) {
      // A random phase against the device clock, like a musician's keystroke.
      await sleep(3 + Math.random() * 7);
      const seq = engine.nextSeq;
      engine.watch(seq);
      const issued = nowMs();
      engine.send([setParam(SynthParam.SineFreq, 300 + (i % 2) * 100)]);
      if (!await until(() => engine.watchedHandedMs > 0, 1000)) continue;
      handed.push(engine.watchedHandedMs - issued);
    }
    handed.sort((a, b) => a - b);
    const status = engine.status();
    return {
      blockFrames,
      backend: status.backend,
      realtimeAudio: status.realtimeAudio,
      outputLatencyMs: status.outputLatencyMs,
      dspLatencyMs: status.dspLatencyMs,
      measured: handed.length,
      handedP50: quantile(handed, 0.5),
      handedP99: quantile(handed, 0.99),
      handedMax: handed[handed.length - 1] ?? NaN,
      underruns: status.underruns,
      leadMs: leadMs ?? null,
    };
  } finally {
    await engine.stop();
  }
}

/** Missing samples, underruns and device xruns per fault kind. */
async function failover(rounds: number): Promise<unknown> {
  const engine = await startEngine({ backend: "portaudio", device: "system" });
  const results: Record<string, { gaps: number[]; underruns: number; xruns: number }> = {};
  try {
    engine.send([setParam(SynthParam.Gate, 1)]);
    await sleep(500);
    for (const fault of ["kill", "hang", "throw"] as FaultName[]) {
      const result = { gaps: [] as number[], underruns: 0, xruns: 0 };
      for (let round = 0; round < rounds; round++) {
        const before = engine.status();
        const xruns = Atomics.load(engine.control.ints, I.DeviceXruns);
        const failovers = before.failovers;
        engine.injectFault(fault, "active");
        await until(() => !healthy(engine));
        await until(() => healthy(engine) && engine.status().failovers > failovers);
        await sleep(200);
        const after = engine.status();
        result.gaps.push(after.lastFailoverGap);
        result.underruns += after.underruns - before.underruns;
        result.xruns += Atomics.load(engine.control.ints, I.DeviceXruns) - xruns;
      }
      results[fault] = result;
    }
    return { rounds, realtimeAudio: engine.status().realtimeAudio, faults: results };
  } finally {
    await engine.stop();
  }
}

/** Time the steady run plays before it starts measuring, in ms. */
const SETTLE_MS = 10_000;

/** Steady playing: underruns, callback and render time, heap of every worker. */
async function steady(seconds: number): Promise<unknown> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const engine = await startEngine({ backend: "portaudio", device: "system" });
  try {
    engine.send([setParam(SynthParam.SineFreq, 440), setParam(SynthParam.Gate, 1)]);
    // A first heap probe now, so each worker's probe branch has run (and V8
    // has re-optimised around it) before the measured window opens.
    await engine.workerHeaps();
    await sleep(SETTLE_MS); // JIT tier-up and start-up garbage settle
    for (const which of [H.Callback, H.Period, H.Render, H.Render + 1]) {
      engine.control.resetHistogram(which);
    }
    // Each probe runs a minor GC in every worker isolate ("testing" in the
    // GC trace): the report counts each isolate's GCs between its two.
    const heapsBefore = await engine.workerHeaps();
    const before = engine.status();
    const xruns = Atomics.load(engine.control.ints, I.DeviceXruns);
    const mainBefore = Deno.memoryUsage().heapUsed;
    gc?.();
    await sleep(seconds * 1000);
    gc?.();
    const heapsAfter = await engine.workerHeaps();
    const after = engine.status();
    const control = engine.control;
    const ms = (which: number) => ({
      p50: control.quantile(which, 0.5),
      p99: control.quantile(which, 0.99),
      max: control.quantile(which, 1),
    });
    return {
      seconds,
      realtimeAudio: after.realtimeAudio,
      blocks: after.blocksPlayed - before.blocksPlayed,
      underruns: after.underruns - before.underruns,
      deviceXruns: Atomics.load(control.ints, I.DeviceXruns) - xruns,
      failovers: after.failovers - before.failovers,
      callbackMs: ms(H.Callback),
      periodMs: ms(H.Period),
      renderMs: [ms(H.Render), ms(H.Render + 1)],
      heapBefore: heapsBefore,
      heapAfter: heapsAfter,
      mainHeapGrowth: Deno.memoryUsage().heapUsed - mainBefore,
    };
  } finally {
    await engine.stop();
  }
}

/**
 * Phrase → sound through OSC: a phrase sent as `/chronus/say` from a UDP
 * client, parsed by the same parsers as the REPL, until its block is handed
 * to PortAudio (plus DSP and output latency, added by the report).
 */
async function oscLatency(count: number): Promise<unknown> {
  const engine = await startEngine({ backend: "portaudio", device: "system" });
  const model = new PatchModel();
  const parse = firstParser(phraseParsers(model, "osc"));
  const server = await startOscServer({
    port: 0,
    handle: lineAnswerHandler({ engine, parse, afterSend: (a) => model.commit(a, "osc") }),
  });
  try {
    await sendPhrase("/inst/lead/note C4", { port: server.port });
    await sleep(500);
    const handed: number[] = [];
    for (let i = 0; i < count; i++) {
      await sleep(3 + Math.random() * 7);
      engine.watch(engine.nextSeq);
      const issued = nowMs();
      const reply = await sendPhrase(i % 2 === 0 ? "brighter" : "darker", { port: server.port });
      if (!reply.ok) continue;
      if (!await until(() => engine.watchedHandedMs > 0, 1000)) continue;
      handed.push(engine.watchedHandedMs - issued);
    }
    handed.sort((a, b) => a - b);
    const status = engine.status();
    return {
      blockFrames: 128,
      realtimeAudio: status.realtimeAudio,
      outputLatencyMs: status.outputLatencyMs,
      dspLatencyMs: status.dspLatencyMs,
      measured: handed.length,
      handedP50: quantile(handed, 0.5),
      handedP99: quantile(handed, 0.99),
      handedMax: handed[handed.length - 1] ?? NaN,
      underruns: status.underruns,
      leadMs: null,
    };
  } finally {
    await server.close();
    await engine.stop();
  }
}

const [mode, first, second, third] = Deno.args;
let result: unknown;
if (mode === "latency") {
  result = await latency(
    Number(first ?? 128),
    Number(second ?? 200),
    third === undefined ? undefined : Number(third),
  );
} else if (mode === "failover") result = await failover(Number(first ?? 5));
else if (mode === "steady") result = await steady(Number(first ?? 60));
else if (mode === "osc") result = await oscLatency(Number(first ?? 200));
else throw new TypeError(`unknown mode ${mode}; use latency, osc, failover or steady`);
// On stderr: with --trace-gc, V8 writes its (buffered) lines to stdout.
console.error(`RESULT ${JSON.stringify(result)}`);
Deno.exit(0);
