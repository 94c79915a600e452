import assert from "node:assert/strict";
import { meter, stateLines } from "../repl/monitor.ts";
import type { EngineStatus } from "../engine/control.ts";

Deno.test("meter maps -60..0 dBFS onto its cells", () => {
  assert.equal(meter(1, 10), `[##########]    0.0 dBFS`);
  assert.equal(meter(0.5, 10), `[#########-]   -6.0 dBFS`);
  assert.equal(meter(0.001, 10), `[----------]  -60.0 dBFS`);
  assert.equal(meter(0, 10), `[----------] silent`);
  assert.equal(meter(NaN, 10), `[----------] silent`);
  assert.equal(meter(4, 10), `[##########]   12.0 dBFS`, "above full scale stays within the bar");
});

Deno.test("stateLines shows level, tempo, held notes per instrument and the status", () => {
  const engine = {
    backend: "null",
    device: "none",
    sampleRate: 48000,
    blockFrames: 128,
    activeSlot: 0,
    slots: [],
    failovers: 3,
    lastFailoverGap: 0,
    underruns: 0,
    blocksPlayed: 10,
    lateCommands: 0,
    outputLatencyMs: 0,
    dspLatencyMs: 0.25,
    outputPeak: 0.1,
    realtimeAudio: false,
    heapBytes: 0,
  } satisfies EngineStatus;
  const lines = stateLines({
    tempo: 96,
    focus: "bass",
    instruments: { lead: { held: ["C4", "E4"] }, bass: { held: [], muted: true } },
    engine,
  });
  assert.match(lines[0] ?? "", /^level \[#+-+\] +-20\.0 dBFS$/);
  assert.equal(lines[1], "tempo 96 bpm   focus bass");
  assert.equal(lines[2], "lead  C4 E4");
  assert.equal(lines[3], "bass  muted ·");
  assert.ok(lines.some((line) => line.includes("failovers 3")));
});
