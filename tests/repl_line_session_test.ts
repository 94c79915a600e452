import { deepStrictEqual as assertEquals, ok as assert, rejects } from "node:assert/strict";
import { type CommandSpec, Opcode } from "../engine/command.ts";
import type { EngineControl, EngineStatus, FaultName, SlotChoice } from "../engine/control.ts";
import { SynthParam } from "../dsp/params.ts";
import { parseAddressLine } from "../repl/address_parser.ts";
import { formatStatus } from "../repl/format_status.ts";
import { HELP_TEXT } from "../repl/help.ts";
import { firstParser, invalid, type LineParser, parsed, unknown } from "../repl/line_parser.ts";
import { runLineSession } from "../repl/line_session.ts";

const STATUS: EngineStatus = {
  backend: "portaudio",
  device: "system",
  sampleRate: 48000,
  blockFrames: 128,
  activeSlot: 1,
  slots: [
    {
      index: 0,
      health: "restoring",
      generation: 3,
      renderedBlocks: 1200,
      ringFill: 0,
      load: 0.04,
      voices: 0,
      guardFaults: 2,
    },
    {
      index: 1,
      health: "active",
      generation: 1,
      renderedBlocks: 98765,
      ringFill: 4,
      load: 0.123,
      voices: 7,
      guardFaults: 0,
    },
  ],
  failovers: 2,
  lastFailoverGap: 17,
  underruns: 5,
  blocksPlayed: 98760,
  lateCommands: 1,
  outputLatencyMs: 5.84,
  dspLatencyMs: 0.25,
  outputPeak: 0.5,
  realtimeAudio: true,
  heapBytes: 25 * 1024 * 1024,
};

type Call =
  | { readonly kind: "send"; readonly specs: readonly CommandSpec[] }
  | { readonly kind: "status" }
  | { readonly kind: "fault"; readonly fault: FaultName; readonly slot: SlotChoice };

/** An engine that records calls, and throws from whichever method `failing` names. */
class FakeEngine implements EngineControl {
  readonly calls: Call[] = [];
  failing: "send" | "status" | "injectFault" | undefined;

  send(specs: readonly CommandSpec[]): void {
    this.calls.push({ kind: "send", specs });
    if (this.failing === "send") throw new Error("queue full\nat slot 0");
  }

  status(): EngineStatus {
    this.calls.push({ kind: "status" });
    if (this.failing === "status") throw new TypeError("engine stopped");
    return STATUS;
  }

  injectFault(fault: FaultName, slot: SlotChoice): void {
    this.calls.push({ kind: "fault", fault, slot });
    if (this.failing === "injectFault") throw "not a real error";
  }
}

async function* linesOf(lines: readonly string[], seen?: { read: number; closed: boolean }) {
  try {
    for (const line of lines) {
      if (seen !== undefined) seen.read++;
      yield line;
    }
  } finally {
    if (seen !== undefined) seen.closed = true;
  }
}

async function run(lines: readonly string[], engine = new FakeEngine(), helpText?: string) {
  const out: string[] = [];
  const options = {
    engine,
    parsers: [parseAddressLine],
    input: linesOf(lines),
    write: (line: string) => out.push(line),
  };
  const result = await runLineSession(helpText === undefined ? options : { ...options, helpText });
  return { out, result, engine };
}

function set(param: number, value: number): CommandSpec {
  return { opcode: Opcode.SetParam, target: 0, param, flags: 0, value };
}

Deno.test("runLineSession answers each command line with exactly one result line", async () => {
  const lines = [
    "/mod/sine/freq 440",
    "",
    "# a comment",
    "/gate/adsr 1",
    "/mod/sine/frq 3",
    "/mod/filter/cutoff 50000",
    "/fault/kill standby",
  ];
  const { out, result, engine } = await run(lines);
  assertEquals(out, [
    "ok  sine freq 440 Hz",
    "ok  gate on",
    "error  unknown command /mod/sine/frq, did you mean /mod/sine/freq?",
    "error  /mod/filter/cutoff must be between 20 and 20000 Hz, got 50000",
    "ok  fault kill injected into the standby slot",
  ]);
  assertEquals(result, { lines: lines.length, failures: 2, quit: false });
  assertEquals(engine.calls, [
    { kind: "send", specs: [set(SynthParam.SineFreq, 440)] },
    { kind: "send", specs: [set(SynthParam.Gate, 1)] },
    { kind: "fault", fault: "kill", slot: "standby" },
  ]);
});

Deno.test("runLineSession sends /test as one batch of specs", async () => {
  const { engine } = await run(["/test"]);
  assertEquals(engine.calls, [{
    kind: "send",
    specs: [set(SynthParam.SineFreq, 440), set(SynthParam.SineGain, 0.5), set(SynthParam.Gate, 1)],
  }]);
});

Deno.test("runLineSession routes every fault to the named slot", async () => {
  const lines: string[] = [];
  const expected: Call[] = [];
  for (const fault of ["kill", "hang", "throw"] as const) {
    for (const slot of ["active", "standby"] as const) {
      lines.push(`/fault/${fault} ${slot}`);
      expected.push({ kind: "fault", fault, slot });
    }
  }
  const { out, engine, result } = await run(lines);
  assertEquals(engine.calls, expected);
  assertEquals(out.length, lines.length);
  assert(out.every((line) => line.startsWith("ok  fault ")));
  assertEquals(result.failures, 0);
});

Deno.test("runLineSession prints the formatted status after an ok line", async () => {
  const { out, engine } = await run(["/status"]);
  const detail = formatStatus(STATUS).split("\n").map((line) => `  ${line}`);
  assertEquals(out, ["ok  status", ...detail]);
  assertEquals(engine.calls, [{ kind: "status" }]);
});

Deno.test("formatStatus shows every field of the engine status", () => {
  const text = formatStatus(STATUS);
  const lines = text.split("\n");
  assertEquals(lines.length, 3 + STATUS.slots.length);
  for (
    const part of [
      "backend portaudio",
      "device system",
      "48000 Hz",
      "block 128",
      "active slot 1",
      "failovers 2",
      "last gap 17 samples",
      "underruns 5",
      "late commands 1",
      "blocks played 98760",
      "output latency 5.8 ms + DSP 0.25 ms",
      "peak -6.0 dBFS",
      "heap 25.0 MiB",
    ]
  ) assert(text.includes(part), `missing ${part} in\n${text}`);
  for (const slot of STATUS.slots) {
    const line = lines.find((l) => l.includes(`slot ${slot.index} `));
    assert(line !== undefined, `no line for slot ${slot.index}`);
    for (
      const part of [
        slot.health,
        `gen ${slot.generation}`,
        `rendered ${slot.renderedBlocks}`,
        `fill ${slot.ringFill}`,
        `load ${Math.round(slot.load * 100)}%`,
        `voices ${slot.voices}`,
      ]
    ) assert(line.includes(part), `missing ${part} in ${line}`);
    // Guard faults are shown only when there are some.
    assertEquals(line.includes(`guard faults ${slot.guardFaults}`), slot.guardFaults > 0);
    assertEquals(line.startsWith("*"), slot.index === STATUS.activeSlot);
  }
});

Deno.test("formatStatus says none before any failover and survives odd values", () => {
  const text = formatStatus({
    ...STATUS,
    lastFailoverGap: -1,
    device: "bad\nname\u0007",
    slots: [{ ...STATUS.slots[0]!, load: NaN }],
  });
  assert(text.includes("last gap none"), text);
  assert(text.includes("device bad name"), text);
  assert(text.includes("load ?%"), text);
  assertEquals(text.split("\n").length, 4);
});

Deno.test("runLineSession prints help text after an ok line", async () => {
  const { out } = await run(["/help"]);
  assertEquals(out, ["ok  help", ...HELP_TEXT.split("\n").map((line) => `  ${line}`)]);
  const custom = await run(["/help"], new FakeEngine(), "one\ntwo");
  assertEquals(custom.out, ["ok  help", "  one", "  two"]);
});

Deno.test("runLineSession keeps going when the engine throws", async () => {
  for (const failing of ["send", "status", "injectFault"] as const) {
    const engine = new FakeEngine();
    engine.failing = failing;
    const lines = ["/mod/sine/gain 0.5", "/status", "/fault/hang active", "/quit"];
    const { out, result } = await run(lines, engine);
    const results = out.filter((line) => !line.startsWith("  "));
    assertEquals(results.length, lines.length, out.join("\n"));
    const failed = out.filter((line) => line.startsWith("error  "));
    assertEquals(failed.length, 1, failing);
    assertEquals(result, { lines: lines.length, failures: 1, quit: true });
    assert(!failed[0]!.includes("\n"));
    assertEquals(engine.calls.length, 3);
  }
  const engine = new FakeEngine();
  engine.failing = "send";
  const { out } = await run(["/mod/sine/gain 0.5"], engine);
  assertEquals(out, ["error  sine gain 0.5 failed: queue full at slot 0"]);
});

Deno.test("runLineSession stops at /quit and closes the input", async () => {
  const seen = { read: 0, closed: false };
  const out: string[] = [];
  const engine = new FakeEngine();
  const result = await runLineSession({
    engine,
    parsers: [parseAddressLine],
    input: linesOf(["/gate/adsr 1", "/quit", "/gate/adsr 0", "/status"], seen),
    write: (line) => out.push(line),
  });
  assertEquals(result, { lines: 2, failures: 0, quit: true });
  assertEquals(out, ["ok  gate on", "ok  bye"]);
  assertEquals(seen, { read: 2, closed: true });
  assertEquals(engine.calls.length, 1);
});

Deno.test("runLineSession reports a failing input as an error line", async () => {
  async function* broken() {
    yield "/gate/adsr 1";
    throw new Error("stdin closed");
  }
  const out: string[] = [];
  const result = await runLineSession({
    engine: new FakeEngine(),
    parsers: [parseAddressLine],
    input: broken(),
    write: (line) => out.push(line),
  });
  assertEquals(out, ["ok  gate on", "error  input failed: stdin closed"]);
  assertEquals(result, { lines: 1, failures: 1, quit: false });
});

Deno.test("runLineSession lets an exception from write propagate and closes the input", async () => {
  const seen = { read: 0, closed: false };
  await rejects(
    runLineSession({
      engine: new FakeEngine(),
      parsers: [parseAddressLine],
      input: linesOf(["/status", "/status"], seen),
      write: () => {
        throw new Error("broken pipe");
      },
    }),
    /broken pipe/,
  );
  assertEquals(seen, { read: 1, closed: true });
});

Deno.test("runLineSession tries parsers in order and skips those that answer unknown", async () => {
  const asked: string[] = [];
  const phrase: LineParser = (line) => {
    asked.push(line);
    if (line === "play") {
      return parsed({ kind: "commands", specs: [set(SynthParam.Gate, 1)], message: "playing" });
    }
    if (line === "play loud") return invalid("loud is not a level, use a number from 0 to 1");
    return unknown(`unknown phrase ${line}`);
  };
  const engine = new FakeEngine();
  const out: string[] = [];
  const result = await runLineSession({
    engine,
    parsers: [parseAddressLine, phrase],
    input: linesOf(["play", "/gate/adsr 0", "play loud", "/mod/sine/frq 1", "dance"]),
    write: (line) => out.push(line),
  });
  assertEquals(out, [
    "ok  playing",
    "ok  gate off",
    "error  loud is not a level, use a number from 0 to 1",
    "error  unknown command /mod/sine/frq, did you mean /mod/sine/freq?",
    "error  unknown command dance, type /help for the list",
  ]);
  assertEquals(asked, ["play", "play loud", "/mod/sine/frq 1", "dance"]);
  assertEquals(result.failures, 3);
});

Deno.test("firstParser refuses bad lines before any parser and survives a throwing parser", () => {
  const asked: string[] = [];
  const throwing: LineParser = (line) => {
    asked.push(line);
    throw new RangeError("oops\nsecond line");
  };
  const parse = firstParser([throwing, parseAddressLine]);
  assertEquals(parse("/status"), {
    ok: false,
    reason: "invalid",
    error: "parser failed: oops second line",
  });
  const bad = parse("/sta\u0000tus");
  assert(!bad.ok && bad.reason === "invalid" && bad.error.includes("U+0000"));
  assertEquals(asked, ["/status"]);
  assertEquals(firstParser([])(" hello world"), {
    ok: false,
    reason: "unknown",
    error: "unknown command hello",
  });
});
