/**
 * Parse-to-enqueue time: a line of text → the parsers Chronus runs →
 * command structs → pushed into a slot's Atomics command queue (both slots'
 * queues, as the engine broadcasts). Goal (issue 5): p99 < 0.2 ms.
 *
 * A mix of address commands and phrases, measured one by one after a
 * warm-up, in one process on the main thread. Run:
 * `deno run -A bench/parse_report.ts` (also part of `deno task bench`).
 *
 * @module
 */

import { CommandQueue } from "../engine/command_queue.ts";
import type { CommandSpec } from "../engine/command.ts";
import { firstParser } from "../repl/line_parser.ts";
import { phraseParsers } from "../repl/parsers.ts";
import { PatchModel } from "../repl/patch_model.ts";

const LINES = [
  "/inst/lead/filter/cutoff 800",
  "/inst/lead/note C4 0.8",
  "/drums/kick",
  "/mod/sine/freq 440",
  "play a C minor chord",
  "lead: saw, cutoff 1200, more resonance",
  "a bit brighter",
  "on bass: play C2 for 2 beats",
  "play the D dorian scale",
  "add reverb",
  "louder",
  "tempo 128",
];

const model = new PatchModel();
const parse = firstParser(phraseParsers(model, "bench"));
const queues = [CommandQueue.create(1024), CommandQueue.create(1024)];
let seq = 0;

function enqueue(specs: readonly CommandSpec[]): void {
  for (const queue of queues) {
    if (queue.size + specs.length > queue.capacity) queue.clear();
    for (const spec of specs) queue.push({ ...spec, frame: 0, seq: seq++ });
  }
}

/** One line, parse to enqueue, in ms. */
function once(line: string): number {
  const start = performance.now();
  const result = parse(line);
  if (result.ok && result.action.kind === "commands") {
    enqueue(result.action.specs);
    model.commit(result.action, "bench");
  }
  return performance.now() - start;
}

for (let i = 0; i < 2000; i++) once(LINES[i % LINES.length] as string);
const times: number[] = [];
for (let i = 0; i < 20000; i++) times.push(once(LINES[i % LINES.length] as string));
times.sort((a, b) => a - b);
const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] as number;
const p99 = at(0.99);
console.log(
  `${p99 < 0.2 ? "ok  " : "MISS"}  parse → enqueue (${times.length} lines, addresses and phrases)` +
    `  p50 ${at(0.5).toFixed(3)} ms  p99 ${p99.toFixed(3)} ms  max ${at(1).toFixed(3)} ms` +
    `  goal p99 < 0.2 ms`,
);
