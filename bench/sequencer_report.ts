/**
 * Musical time (issue 6), measured:
 *
 * - the sequencer's CPU cost with 16 tracks running, each a bar of
 *   sixteenths: µs per 128-frame block of `Sequencer.nextEventFrame` and
 *   `fire` alone (a sink that plays nothing), and of a whole `Rack` render
 *   with the 16 tracks against the same rack idle-clocked;
 * - onset timing in a real-time capture: a running engine on the JACK
 *   dummy server plays a short note on every sixteenth while `jack_rec`
 *   records; each onset's offset from the ideal grid (the first onset's
 *   position plus k × 6000 frames at 120 bpm), beyond what the same
 *   pattern rendered offline shows, is its jitter. Goal: 0 samples beyond
 *   the device's fixed latency.
 *
 * Run: `deno run -A bench/sequencer_report.ts` (bin/bench runs it). Needs
 * JACK for the capture (skipped with a note otherwise).
 *
 * @module
 */

import { Rack, RackTarget } from "../dsp/rack.ts";
import { MAX_TRACKS, type NoteSink, Sequencer, TICKS_PER_BEAT } from "../dsp/sequencer.ts";
import { patternBegin, patternCommit, patternCursor, patternNote } from "../engine/command.ts";
import { startEngine } from "../engine/engine.ts";
import { jackRunning, record, sleep } from "../tests/_jack.ts";
import { onsets } from "../tests/_spectrum.ts";
import { noteLoop } from "../tests/_run.ts";

const RATE = 48000;
const BLOCK = 128;
const SIXTEENTH = TICKS_PER_BEAT / 4;

const SILENT: NoteSink = { noteOn: () => {}, noteOff: () => {} };

/** µs per block of the sequencer alone with 16 tracks of sixteenths. */
function schedulerCost(): number {
  const seq = new Sequencer(RATE);
  for (let t = 0; t < MAX_TRACKS; t++) {
    seq.beginPattern(t, 4 * TICKS_PER_BEAT, 1);
    for (let k = 0; k < 16; k++) {
      seq.patternCursor(t, k * SIXTEENTH, SIXTEENTH / 2);
      seq.patternNote(t, 48 + t, 0.8);
    }
    seq.commitPattern(t, 0, 0);
  }
  const run = (blocks: number, from: number) => {
    let frame = from;
    for (let b = 0; b < blocks; b++) {
      const end = frame + BLOCK;
      while (frame < end) {
        frame = seq.nextEventFrame(frame, end);
        if (frame < end) seq.fire(frame, SILENT);
      }
    }
    return frame;
  };
  const warm = run(20000, 0);
  const blocks = 200000;
  const t0 = performance.now();
  run(blocks, warm);
  return ((performance.now() - t0) * 1000) / blocks;
}

/** µs per block of a rack render with 16 tracks playing vs. the same rack with none. */
function rackCost(): { idle: number; playing: number } {
  const time = (setup: (rack: Rack) => void) => {
    const rack = new Rack(RATE);
    setup(rack);
    const block = new Float32Array(2 * BLOCK);
    for (let b = 0; b < 5000; b++) rack.render(block, 0, BLOCK);
    const blocks = 20000;
    const t0 = performance.now();
    for (let b = 0; b < blocks; b++) rack.render(block, 0, BLOCK);
    return ((performance.now() - t0) * 1000) / blocks;
  };
  const idle = time(() => {});
  const playing = time((rack) => {
    for (let t = 0; t < MAX_TRACKS; t++) {
      // Tracks 0..15 over the four instruments and the drums, quiet notes.
      const target = t % 5 === 4 ? RackTarget.Drums : RackTarget.FirstInstrument + (t % 5);
      rack.beginPattern(t, 4 * TICKS_PER_BEAT, target);
      for (let k = 0; k < 16; k++) {
        rack.patternCursor(t, k * SIXTEENTH, SIXTEENTH / 2);
        rack.patternNote(t, target === RackTarget.Drums ? 42 : 48 + t, 0.3);
      }
      rack.commitPattern(t, 0);
    }
  });
  return { idle, playing };
}

/** The jitter measure's loop: a short saw note on every sixteenth (see noteLoop). */
function notePattern() {
  return noteLoop(SIXTEENTH, 16, SIXTEENTH / 4);
}

/**
 * Offsets of each onset (first sample above -50 dBFS after 2000 quiet ones)
 * from the sixteenth grid through the first onset, as "offset: count".
 */
function gridOffsets(x: ArrayLike<number>): { onsets: number; worst: number; histogram: string } {
  const found = onsets(x, { threshold: 3e-3, quiet: 2000 });
  const first = found[1] as number; // the first may be cut by a capture's start
  const deviations = found.slice(1).map((o) => {
    const k = Math.round((o - first) / 6000);
    return o - first - k * 6000;
  });
  const counts = new Map<number, number>();
  for (const d of deviations) counts.set(d, (counts.get(d) ?? 0) + 1);
  const histogram = [...counts].sort((a, b) => a[0] - b[0]).map(([d, n]) => `${d}: ${n}`)
    .join(", ");
  return { onsets: deviations.length, worst: Math.max(...deviations.map(Math.abs)), histogram };
}

/** The same pattern rendered offline by a rack: the onsets' own offsets, without any clock. */
function offlineOffsets(): { onsets: number; worst: number; histogram: string } {
  const rack = new Rack(RATE);
  for (const spec of notePattern()) {
    if (spec.opcode === patternBegin(0, 1, 0).opcode) {
      rack.beginPattern(spec.target, spec.param, spec.value);
    } else if (spec.opcode === patternCursor(0, 0, 1).opcode) {
      rack.patternCursor(spec.target, spec.param, spec.value);
    } else if (spec.opcode === patternNote(0, 0, 1).opcode) {
      rack.patternNote(spec.target, spec.param, spec.value);
    } else if (spec.opcode === patternCommit(0, 0).opcode) {
      rack.commitPattern(spec.target, spec.param);
    } else rack.setParam(spec.target, spec.param, spec.value);
  }
  const block = new Float32Array(2 * BLOCK);
  const left = new Float32Array(10 * RATE);
  for (let at = 0; at + BLOCK <= left.length; at += BLOCK) {
    rack.render(block, 0, BLOCK);
    for (let i = 0; i < BLOCK; i++) left[at + i] = block[2 * i] as number;
  }
  return gridOffsets(left);
}

/** Onset offsets in a real-time capture through jack_rec. */
async function captureJitter(): Promise<{ onsets: number; worst: number; histogram: string }> {
  const engine = await startEngine({ backend: "portaudio", device: "system" });
  try {
    engine.send(notePattern());
    await sleep(500);
    const capture = await record(10).done;
    return gridOffsets(capture.channels[0] as Float64Array);
  } finally {
    await engine.stop();
  }
}

const row = (what: string, figure: string, goal = "") =>
  console.log(`${what.padEnd(52)} ${figure.padEnd(34)} ${goal}`);

console.log("\nChronus musical time: scheduler cost and onset timing\n");
row("sequencer alone, 16 tracks of sixteenths", `${schedulerCost().toFixed(3)} µs per block`);
const rack = rackCost();
row(
  "rack render, 16 tracks playing vs none",
  `${rack.playing.toFixed(2)} vs ${rack.idle.toFixed(2)} µs per block`,
  `(block period ${((BLOCK / RATE) * 1e6).toFixed(0)} µs)`,
);
const offline = offlineOffsets();
if (await jackRunning()) {
  const jitter = await captureJitter();
  // Offsets no larger than the offline render's belong to the sound, not the clock.
  const beyond = Math.max(0, jitter.worst - offline.worst);
  row(
    `onset jitter, jack_rec, ${jitter.onsets} notes on sixteenths`,
    `${beyond} samples beyond the offline render`,
    "goal 0",
  );
  console.log(`  offsets from the grid (samples: onsets), real time: ${jitter.histogram}`);
  console.log(
    `  the same pattern rendered offline: ${offline.histogram}`,
  );
} else {
  row("onset jitter, jack_rec", "skipped: JACK is not running (bin/bench starts it)");
}
