/**
 * An offline script: `wait` and note lengths are audio time, so a piped
 * phrase script renders to a WAV file with every note on its frame.
 */

import assert from "node:assert/strict";
import { decodeWav } from "../engine/wav.ts";
import { magnitudeSpectrum, peakFrequency, rms } from "./_spectrum.ts";
import { runDeno } from "./_run.ts";

const RATE = 48000;

Deno.test("offline: a phrase script with waits renders each note at its time", async () => {
  const out = await Deno.makeTempFile({ suffix: ".wav" });
  try {
    // Tempo 120: a beat is 500 ms. C4 sounds 0–0.5 s (then a 200 ms release), E4 from 1 s.
    const result = await runDeno(
      ["main.ts", "--backend", "offline", "--out", out, "--seconds", "2"],
      "lead: triangle\nplay C4 for 1 beat\nwait 1 beat\nplay E4\n",
    );
    assert.equal(result.code, 0, result.stderr);
    const wav = decodeWav(await Deno.readFile(out));
    assert.equal(wav.sampleRate, RATE);
    const left = wav.channels[0] as Float64Array;
    assert.ok(left.length >= 2 * RATE, `${left.length} frames`);
    const at = (seconds: number) => Math.round(seconds * RATE);
    const c4 = peakFrequency(magnitudeSpectrum(left, { start: at(0.05), size: 16384 }));
    assert.ok(Math.abs(c4 - 261.63) < 2, `C4 peak at ${c4} Hz`);
    const gap = rms(left, at(0.8), at(0.98));
    assert.ok(gap < 1e-4, `silence between the notes, rms ${gap}`);
    const e4 = peakFrequency(magnitudeSpectrum(left, { start: at(1.1), size: 16384 }));
    assert.ok(Math.abs(e4 - 329.63) < 2, `E4 peak at ${e4} Hz`);
    // E4 starts at 1 s (plus the master limiter's look-ahead), not when the script was read.
    const onset = left.findIndex((x, i) => i > at(0.98) && Math.abs(x) > 1e-4);
    assert.ok(
      onset >= at(1) && onset < at(1) + 64,
      `E4 onset at frame ${onset}, expected ${at(1)}`,
    );
  } finally {
    await Deno.remove(out);
  }
});
