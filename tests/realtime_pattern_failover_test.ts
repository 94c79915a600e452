/**
 * A running pattern through failovers, on the JACK dummy server, heard by
 * `jack_rec`: a note on every eighth while the active DSP worker is
 * killed, hung and made to throw. The sequencer's clock lives in both
 * slots and travels in the restore snapshot, so the beat goes on: every
 * onset in the capture is exactly one eighth (12 000 frames at 120 bpm)
 * after the one before, none missing, none doubled.
 */

import { assert, assertEquals } from "./_assert.ts";
import { slotsHealthy, until } from "./_engine_wait.ts";
import { record, requireJack, sleep } from "./_jack.ts";
import { onsets } from "./_spectrum.ts";
import { noteLoop } from "./_run.ts";
import { startEngine } from "../engine/engine.ts";
import type { FaultName } from "../engine/control.ts";
import { I } from "../engine/_control.ts";
import { TICKS_PER_BEAT } from "../dsp/sequencer.ts";

const EIGHTH = TICKS_PER_BEAT / 2;
/** Frames of an eighth note at 120 bpm and 48 kHz. */
const EIGHTH_FRAMES = 12_000;

Deno.test("a pattern keeps its beat to the sample through kill, hang and throw failovers", async () => {
  await requireJack();
  const events: string[] = [];
  const engine = await startEngine({
    backend: "portaudio",
    device: "system",
    onEvent: (event) => events.push(`${event.type} ${event.slot} ${event.detail}`),
  });
  try {
    // A short saw note on every eighth (see noteLoop): clear onsets, quiet between.
    engine.send(noteLoop(EIGHTH, 8, EIGHTH / 4));
    await sleep(400);
    const before = engine.status();
    const xrunsBefore = Atomics.load(engine.control.ints, I.DeviceXruns);
    const recording = record(4);
    await sleep(400);
    for (const fault of ["kill", "hang", "throw"] as FaultName[]) {
      const active = engine.status().activeSlot;
      engine.injectFault(fault, "active");
      await until(`${fault} is noticed`, () => !slotsHealthy(engine));
      await until(`slots recover from ${fault}`, () => slotsHealthy(engine), { context: events });
      assert(engine.status().activeSlot !== active, `${fault} did not switch: ${events}`);
      await sleep(300);
    }
    const capture = await recording.done;
    const after = engine.status();
    const deviceXruns = Atomics.load(engine.control.ints, I.DeviceXruns) - xrunsBefore;
    assert(after.failovers - before.failovers >= 3, `failovers: ${events}`);
    assertEquals(after.underruns - before.underruns, 0, "underruns");
    assertEquals(Atomics.load(engine.control.ints, I.Diverged), 0, `slots differed: ${events}`);

    const left = capture.channels[0] as Float64Array;
    const found = onsets(left, { threshold: 3e-3, quiet: 4000 }).slice(1); // the first may be cut by the capture's start
    assert(found.length >= 12, `${found.length} onsets in 4 s (4 a second)`);
    if (deviceXruns > 0) {
      // JACK itself passed a stale buffer to jack_rec: a seam that is not ours.
      console.warn(`pattern failover: ${deviceXruns} device xruns; spacing check skipped`);
      return;
    }
    const gaps = found.slice(1).map((o, i) => o - (found[i] as number));
    // A lost or doubled event would be 12 000 off, a dropped or repeated block 128.
    assertEquals(
      gaps.filter((g) => g !== EIGHTH_FRAMES),
      [],
      `every onset an eighth after the last; gaps ${gaps.join(" ")}`,
    );
  } finally {
    await engine.stop();
  }
});
