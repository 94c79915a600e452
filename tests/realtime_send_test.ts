/**
 * `chronus send` end to end on the JACK dummy server: a `chronus` playing
 * through PortAudio (`--stay`) is driven by phrases from other processes,
 * as a tmux pane or a shell script would, and `jack_rec` hears each phrase
 * as sound: nothing before the first, A4 after `play A4`, silence after its
 * one beat, E5 after a phrase piped to `chronus send -`.
 */

import { REALTIME_V8_FLAGS } from "../engine/_v8_flags.ts";
import { assert, assertAlmostEquals, assertEquals } from "./_assert.ts";
import { firstSound, record, requireJack, sleep } from "./_jack.ts";
import { magnitudeSpectrum, peakFrequency, rms } from "./_spectrum.ts";
import { chronusSend as send, ROOT } from "./_run.ts";

const RATE = 48000;

/** Peak frequency of 8192 samples of `x` from `start`. */
function pitchAt(x: Float64Array, start: number): number {
  return peakFrequency(magnitudeSpectrum(x, { start, size: 8192, sampleRate: RATE }));
}

Deno.test("chronus send plays phrases on a running chronus, heard through JACK", async () => {
  await requireJack();
  const port = 20000 + Math.floor(Math.random() * 30000);
  const chronus = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `--v8-flags=${REALTIME_V8_FLAGS}`,
      "main.ts",
      "start",
      "--device",
      "system",
      "--osc-port",
      String(port),
      "--stay",
      "--quiet",
    ],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = chronus.output();
  try {
    let ready = false;
    for (let i = 0; i < 120 && !ready; i++) {
      ready = (await send(port, ["--timeout", "500", "/status"])).code === 0;
    }
    assert(ready, "chronus never answered on OSC");
    assertEquals(await send(port, ["sine wave"]), { code: 0, out: "ok  lead: sine wave" });

    const recording = record(5);
    await sleep(700);
    assertEquals(await send(port, ["play A4 for 1 beat"]), {
      code: 0,
      out: "ok  lead: A4 for 500 ms",
    });
    await sleep(1500);
    const piped = await send(port, ["-"], "play E5 for 2 beats\n");
    assertEquals(piped, { code: 0, out: "ok  lead: E5 for 1000 ms" });
    const capture = await recording.done;
    const left = capture.channels[0] as Float64Array;

    const first = firstSound(left, 0.01);
    assert(first > 0.3 * RATE, `silent until the first phrase (sound at ${first})`);
    assert(rms(left, 0, first) < 1e-3, "nothing before the first phrase");
    assertAlmostEquals(pitchAt(left, first + 1200), 440, 2, "play A4");
    // One beat at 120 bpm, then the release (200 ms): quiet again before E5.
    const gap = first + Math.round(0.9 * RATE);
    const second = firstSound(left, 0.01, gap);
    assert(second > gap, `E5 starts after A4 ended (at ${second})`);
    assert(rms(left, gap - 2400, gap) < 1e-3, "A4 ended after one beat and its release");
    assertAlmostEquals(pitchAt(left, second + 1200), 659.26, 2, "play E5 from send -");
  } finally {
    chronus.kill("SIGTERM");
    const status = await output;
    const stderr = new TextDecoder().decode(status.stderr);
    assert(!/panic|uncaught/i.test(stderr), `stderr: ${stderr}`);
  }
});
