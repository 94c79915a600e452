/**
 * The monitor's drawings: the braille oscilloscope (cycles, trigger,
 * stability), the log-frequency spectrum (tallest bar, two tones,
 * calibration), the beat indicator and the composed frame. Expectations are
 * computed from the signals, not pasted.
 */

import { assert, assertAlmostEquals, assertEquals } from "./_assert.ts";
import { SCOPE_COLS, SCOPE_ROWS, scopeText, scopeTrigger } from "../repl/scope_text.ts";
import {
  SPECTRUM_COLS,
  SPECTRUM_MAX_HZ,
  SPECTRUM_MIN_HZ,
  spectrumAxis,
  spectrumBarEdges,
  spectrumBars,
  spectrumText,
} from "../repl/spectrum_text.ts";
import { beatPosition, beatText, MIN_PLOT_ROWS, monitorLines } from "../repl/monitor.ts";

const RATE = 48000;

/** `length` samples of `amplitude`·sin(2π·hz·t + phase). */
function sine(hz: number, length: number, options: { amplitude?: number; phase?: number } = {}) {
  const amplitude = options.amplitude ?? 1;
  const phase = options.phase ?? 0;
  return Float32Array.from(
    { length },
    (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / RATE + phase),
  );
}

function add(a: Float32Array, b: Float32Array): Float32Array {
  return a.map((x, i) => x + (b[i] as number));
}

/** The dots of braille lines, as rows of 0/1 (4 per line, 2 per character). */
function dotsOf(lines: readonly string[]): number[][] {
  const bits = [[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]];
  const grid: number[][] = [];
  for (const line of lines) {
    for (const rowBits of bits) {
      grid.push(
        Array.from(line).flatMap((char) => {
          const cell = (char.codePointAt(0) ?? 0) - 0x2800;
          assert(cell >= 0 && cell <= 0xff, `not braille: ${char}`);
          return rowBits.map((bit) => (cell & bit) === 0 ? 0 : 1);
        }),
      );
    }
  }
  return grid;
}

/** Runs of lit dots along one dot row (separate crests or troughs). */
function runs(row: readonly number[]): number {
  let count = 0;
  for (let x = 0; x < row.length; x++) if (row[x] === 1 && row[x - 1] !== 1) count++;
  return count;
}

// ---------------------------------------------------------------- scope

Deno.test("scopeText draws a 750 Hz sine over 512 samples as 8 whole cycles from a rising zero", () => {
  const period = RATE / 750; // 64 samples
  const window = 512;
  const lines = scopeText(sine(750, 1024, { phase: 1 }), { windowFrames: window });
  assertEquals(lines.length, SCOPE_ROWS);
  for (const line of lines) assertEquals(Array.from(line).length, SCOPE_COLS);
  const dots = dotsOf(lines);
  const height = SCOPE_ROWS * 4;
  const cycles = window / period;
  assertEquals(runs(dots[0] as number[]), cycles, "one crest per cycle touches the top");
  assertEquals(runs(dots[height - 1] as number[]), cycles, "one trough per cycle the bottom");
  // A connected trace: every dot column has a dot, and the first starts in the middle.
  for (let x = 0; x < SCOPE_COLS * 2; x++) {
    assert(dots.some((row) => row[x] === 1), `column ${x} is empty`);
  }
  const firstColumn = dots.flatMap((row, y) => row[0] === 1 ? [y] : []);
  assert(
    firstColumn.includes(height / 2 - 1) || firstColumn.includes(height / 2),
    `the trace starts at zero, got dot rows ${firstColumn}`,
  );
  // The first crest is a quarter period in: 16 samples = 4 dot columns.
  const firstCrest = (dots[0] as number[]).indexOf(1);
  assertAlmostEquals(firstCrest, (period / 4) * (SCOPE_COLS * 2) / window, 1);
});

Deno.test("scopeText: a steady tone stands still whatever phase the buffer starts at", () => {
  // Phase 0.1: no sample sits exactly on a zero crossing, where rounding picks either side.
  const frames = [0, 5, 23, 41, 63].map((offset) =>
    scopeText(sine(750, 1024 + offset, { phase: 0.1 }).subarray(offset), { windowFrames: 512 })
      .join("\n")
  );
  for (const frame of frames) assertEquals(frame, frames[0]);
  // 440 Hz (a period of 109.09 samples): the same number of crests at every phase.
  const crestsAt440 = Math.floor((512 - RATE / 440 / 4) / (RATE / 440)) + 1; // 5
  for (const phase of [0, 0.7, 2, 4.5]) {
    const lines = scopeText(sine(440, 1024, { phase }), { windowFrames: 512 });
    assertEquals(runs(dotsOf(lines)[0] as number[]), crestsAt440, `phase ${phase}`);
  }
});

Deno.test("scopeTrigger picks the latest rising zero crossing that leaves a whole window", () => {
  const samples = sine(750, 1024, { phase: 2 });
  const start = scopeTrigger(samples, 512);
  assert(start <= 1024 - 512, `a whole window after ${start}`);
  assert((samples[start - 1] as number) < 0 && (samples[start] as number) >= 0, "rising zero");
  const next = start + RATE / 750;
  assert(next > 1024 - 512, `no later crossing fits: ${next}`);
  // Noise around zero does not retrigger: hysteresis waits for a real negative swing.
  assertEquals(scopeTrigger([1, -1, 0.01, -0.01, 0.01, -0.01, 0.01, 0.5], 2), 2);
  // Silence and DC: the newest window.
  assertEquals(scopeTrigger(new Float32Array(100), 40), 60);
  assertEquals(scopeTrigger(new Float32Array(100).fill(0.3), 40), 60);
});

Deno.test("scopeText of silence is a flat line through the middle; of nothing, blank", () => {
  const lines = scopeText(new Float32Array(256), { cols: 10, rows: 4 });
  const middle = Math.round((4 * 4 - 1) / 2); // dot row 8: the top dots of character row 2
  const flat = String.fromCharCode(0x2800 + 0x01 + 0x08).repeat(10);
  const blank = String.fromCharCode(0x2800).repeat(10);
  assertEquals(lines, [0, 1, 2, 3].map((row) => row === middle / 4 ? flat : blank));
  assertEquals(scopeText([], { cols: 10, rows: 2 }), [blank, blank]);
});

// ---------------------------------------------------------------- spectrum

/** The bar holding `hz`, computed from the documented log spacing. */
function barHolding(hz: number, cols = SPECTRUM_COLS): number {
  return Math.floor(
    (cols * Math.log(hz / SPECTRUM_MIN_HZ)) / Math.log(SPECTRUM_MAX_HZ / SPECTRUM_MIN_HZ),
  );
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) {
    if ((values[i] as number) > (values[best] as number)) best = i;
  }
  return best;
}

/** Heights of the text bars, in eighths, read back from the characters. */
function textHeights(lines: readonly string[]): number[] {
  const eighths = " ▁▂▃▄▅▆▇█";
  const cols = Array.from(lines[0] ?? "").length;
  return Array.from(
    { length: cols },
    (_, x) => lines.reduce((sum, line) => sum + eighths.indexOf(Array.from(line)[x] ?? " "), 0),
  );
}

Deno.test("spectrumBarEdges are log-spaced from 30 Hz to 16 kHz", () => {
  const edges = spectrumBarEdges({ sampleRate: RATE });
  assertEquals(edges.length, SPECTRUM_COLS + 1);
  assertAlmostEquals(edges[0] as number, SPECTRUM_MIN_HZ, 1e-9);
  assertAlmostEquals(edges[SPECTRUM_COLS] as number, SPECTRUM_MAX_HZ, 1e-6);
  const ratio = (SPECTRUM_MAX_HZ / SPECTRUM_MIN_HZ) ** (1 / SPECTRUM_COLS);
  for (let j = 0; j < SPECTRUM_COLS; j++) {
    assertAlmostEquals((edges[j + 1] as number) / (edges[j] as number), ratio, 1e-9);
  }
  const low = spectrumBarEdges({ sampleRate: 22050, cols: 4 });
  assertAlmostEquals(low[4] as number, 11025, 1e-6, "at most the Nyquist frequency");
});

Deno.test("spectrum of a 1 kHz sine: the tallest bar is the one holding 1 kHz, at its level", () => {
  const options = { sampleRate: RATE };
  const samples = sine(1000, 1024, { amplitude: 0.5, phase: 0.3 });
  const bars = spectrumBars(samples, options);
  const expected = barHolding(1000);
  assertEquals(argmax(bars), expected);
  assertAlmostEquals(bars[expected] as number, 20 * Math.log10(0.5), 0.3, "-6 dBFS");
  const heights = textHeights(spectrumText(samples, options));
  assertEquals(argmax(heights), expected, "the drawing agrees");
  assert((heights[expected] as number) > (heights[expected - 2] as number));
});

Deno.test("spectrum of 1 kHz + 5 kHz: two peaks, at the bars holding each", () => {
  const samples = add(
    sine(1000, 1024, { amplitude: 0.5 }),
    sine(5000, 1024, { amplitude: 0.5, phase: 1 }),
  );
  const bars = spectrumBars(samples, { sampleRate: RATE });
  const top = Math.max(...bars);
  const peaks = Array.from(bars).flatMap((level, j) =>
    level > top - 20 && level > (bars[j - 1] ?? -Infinity) && level >= (bars[j + 1] ?? -Infinity)
      ? [j]
      : []
  );
  assertEquals(peaks, [barHolding(1000), barHolding(5000)]);
  for (const peak of peaks) assertAlmostEquals(bars[peak] as number, -6.02, 0.3);
});

Deno.test("spectrumBars: each tone lands in its own bar, and full scale reads 0 dB", () => {
  for (const hz of [100, 440, 2000, 8000, 12000]) {
    const bars = spectrumBars(sine(hz, 4096, { phase: hz / 1000 }), { sampleRate: RATE });
    assertEquals(argmax(bars), barHolding(hz), `${hz} Hz`);
    assertAlmostEquals(Math.max(...bars), 0, 0.3, `${hz} Hz at full scale`);
  }
  // Fewer samples than a power of two: the newest 512 of 896 are analysed.
  const partial = spectrumBars(sine(3000, 896, { amplitude: 0.25 }), { sampleRate: RATE });
  assertEquals(argmax(partial), barHolding(3000));
  assertAlmostEquals(Math.max(...partial), 20 * Math.log10(0.25), 0.3);
});

Deno.test("spectrumText: empty below 16 samples, clamped to its rows, labelled axis", () => {
  const options = { sampleRate: RATE, cols: 20, rows: 3 };
  assertEquals(spectrumText(new Float32Array(8), options), ["", "", ""].map(() => " ".repeat(20)));
  assert(spectrumBars([], options).every((level) => level === -Infinity));
  const loud = spectrumText(sine(1000, 1024, { amplitude: 4 }), options);
  assertEquals(loud.length, 3);
  assertEquals(Math.max(...textHeights(loud)), 3 * 8, "above 0 dBFS stays within the rows");
  const axis = spectrumAxis({ sampleRate: RATE });
  assertEquals(axis.length, SPECTRUM_COLS);
  assertEquals(axis.indexOf("1k"), barHolding(1000));
  assertEquals(axis.indexOf("100"), barHolding(100));
  assertEquals(axis.indexOf("10k"), barHolding(10000));
});

// ---------------------------------------------------------------- beat and frame

Deno.test("beatPosition counts bars and beats from the engine frame at the tempo", () => {
  const at = (seconds: number, tempo = 120) =>
    beatPosition(Math.round(seconds * RATE), { sampleRate: RATE, tempo });
  assertEquals(at(0), { bar: 1, beat: 1, phase: 0 });
  assertEquals(at(0.5), { bar: 1, beat: 2, phase: 0 });
  assertEquals(at(0.75), { bar: 1, beat: 2, phase: 0.5 });
  assertEquals(at(2), { bar: 2, beat: 1, phase: 0 });
  assertEquals(at(3.6, 100), { bar: 2, beat: 3, phase: 0 }); // 6 beats at 100 bpm
  assertEquals(
    beatPosition(RATE * 3, { sampleRate: RATE, tempo: 60, beatsPerBar: 3 }),
    { bar: 2, beat: 1, phase: 0 },
  );
  assertEquals(beatPosition(1000, { sampleRate: RATE, tempo: 0 }), undefined);
  assertEquals(beatText({ bar: 3, beat: 2, phase: 0.1 }), "bar 3 beat 2  ○ ◉ ○ ○");
  assertEquals(beatText({ bar: 3, beat: 4, phase: 0.6 }), "bar 3 beat 4  ○ ○ ○ ●");
});

Deno.test("monitorLines: level, tempo with the beat, scope, spectrum, instruments", () => {
  const samples = sine(750, 1024, { amplitude: 0.5 });
  // 5.5 beats at 120 bpm: bar 2, beat 2, half way through it.
  const endFrame = 5.5 * (RATE / 2);
  const lines = monitorLines(
    {
      state: { tempo: 120, focus: "lead", instruments: { lead: { held: ["C4"] } } },
      scope: { sampleRate: RATE, endFrame, samples },
    },
    { cols: 32, scopeRows: 4, spectrumRows: 3 },
  );
  assertEquals(lines[0], "tempo 120 bpm   bar 2 beat 2  ○ ● ○ ○   focus lead");
  const scopeAt = lines.findIndex((line) => line.startsWith("scope  "));
  assertEquals(
    lines[scopeAt],
    `scope  ${(512 / RATE * 1000).toFixed(1)} ms, triggered on a rising zero crossing`,
  );
  assertEquals(
    lines.slice(scopeAt + 1, scopeAt + 5),
    scopeText(samples, { cols: 32, rows: 4, windowFrames: 512 }),
  );
  const spectrumAt = scopeAt + 5;
  assert(lines[spectrumAt]?.startsWith("spectrum  30 Hz to 16 kHz"));
  assertEquals(
    lines.slice(spectrumAt + 1, spectrumAt + 4),
    spectrumText(samples, { sampleRate: RATE, cols: 32, rows: 3 }),
  );
  assertEquals(lines[spectrumAt + 4], spectrumAxis({ sampleRate: RATE, cols: 32 }));
  assertEquals(lines.at(-1), spectrumAxis({ sampleRate: RATE, cols: 32 }));
  const held = lines.indexOf("lead  C4");
  assert(held > 0 && held < scopeAt, "instruments above the plots");
  // Without an answer: only why.
  assertEquals(monitorLines({ problem: "waiting for Chronus…" }), ["waiting for Chronus…"]);
});

Deno.test("monitorLines puts the text first and fits the plots into a short pane, or leaves them out", () => {
  const samples = sine(750, 1024, { amplitude: 0.5 });
  const view = {
    state: { tempo: 120, instruments: { lead: { held: ["C4"] } } },
    scope: { sampleRate: RATE, endFrame: RATE, samples },
  };
  const tall = monitorLines(view);
  const text = tall.findIndex((line) => line.startsWith("scope"));
  assert(text > 0, "the plots come after the text");
  const textLines = text - 1; // then a blank line, then the scope's header
  for (const rows of [textLines + 20, textLines + 10, textLines + MIN_PLOT_ROWS]) {
    const lines = monitorLines(view, { rows });
    assert(lines.length <= rows, `${lines.length} lines in ${rows} rows`);
    assert(lines.some((line) => line.startsWith("spectrum")), `${rows} rows: spectrum shown`);
  }
  const short = monitorLines(view, { rows: textLines + MIN_PLOT_ROWS - 1 });
  assert(!short.some((line) => line.startsWith("scope")), "no room: no plots");
  assertEquals(short, tall.slice(0, textLines), "the text is all there");
});
