/**
 * Failover bookkeeping on the null backend (no JACK needed): every fault is
 * followed by a respawn that is marked ready only after its own blocks, from
 * the restored snapshot on, match the healthy slot's. What is heard is checked
 * on JACK in `realtime_failover_test.ts`.
 */

import { assert, assertEquals } from "./_assert.ts";
import { slotsHealthy, until } from "./_engine_wait.ts";

import { type EngineEvent as SlotEvent, startEngine } from "../engine/engine.ts";
import type { FaultName } from "../engine/control.ts";
import { noteOff, noteOn, setParam } from "../engine/command.ts";
import { I } from "../engine/_control.ts";
import { SynthParam } from "../dsp/params.ts";
import { RackTarget } from "../dsp/rack.ts";
import { InstrumentParam } from "../dsp/instrument.ts";
import { MixerParam } from "../dsp/mixer.ts";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The number in "… at block 123" / "… a snapshot at block 123". */
function blockOf(event: SlotEvent): number {
  const match = /block (\d+)/.exec(event.detail);
  assert(match !== null, `no block in "${event.detail}"`);
  return Number(match[1]);
}

Deno.test("a respawned slot is marked ready only after blocks it rendered itself match the healthy slot", async () => {
  const events: SlotEvent[] = [];
  const engine = await startEngine({ backend: "null", onEvent: (event) => events.push(event) });
  const healthy = () => slotsHealthy(engine);
  try {
    engine.send([setParam(SynthParam.Gate, 1)]);
    const faults: FaultName[] = ["kill", "hang", "throw", "kill", "hang", "throw"];
    for (const [round, fault] of faults.entries()) {
      engine.send([setParam(SynthParam.SineFreq, 300 + round * 10)]);
      const from = events.length;
      engine.injectFault(fault, "active");
      await until(`${fault} is noticed`, () => !healthy());
      await until(`the slots recover from ${fault}`, () => healthy());
      const round_ = events.slice(from).map((event) => `${event.type} ${event.slot}`);
      const down = events.slice(from).find((event) => event.type === "down");
      assert(down !== undefined, `${fault}: no slot went down: ${round_}`);
      const ofSlot = events.slice(from).filter((event) => event.slot === down.slot);
      const restored = ofSlot.findIndex((event) => event.type === "restored");
      const ready = ofSlot.findIndex((event) => event.type === "ready");
      assert(restored >= 0 && ready > restored, `${fault}: restored, then ready: ${round_}`);
      const restoredAt = blockOf(ofSlot[restored] as SlotEvent);
      const readyAt = blockOf(ofSlot[ready] as SlotEvent);
      assert(readyAt >= restoredAt, `${fault}: ready at ${readyAt}, restored at ${restoredAt}`);
    }
    assertEquals(events.filter((event) => event.type === "cold-start").length, 0);
    const [ring0, ring1] = engine.rings;
    const newest = Math.min(ring0?.written ?? 0, ring1?.written ?? 0) - 1;
    assert(ring0?.has(newest) === true && ring1?.has(newest) === true);
    assertEquals(ring0?.checksumOf(newest), ring1?.checksumOf(newest), "slots sample-identical");
  } finally {
    await engine.stop();
  }
});

Deno.test("after a failover with instruments, drums and effect tails sounding, the slots are sample-identical", async () => {
  const engine = await startEngine({ backend: "null" });
  const lead = RackTarget.FirstInstrument;
  try {
    engine.send([
      setParam(InstrumentParam.ReverbSend, 0.6, lead),
      setParam(InstrumentParam.DelaySend, 0.5, lead),
      setParam(InstrumentParam.FilterEnvAmount, 2, lead),
      setParam(MixerParam.DelayFeedback, 0.7, RackTarget.Mixer),
      noteOn(lead, 60, 0.9),
      noteOn(lead, 64, 0.9),
      noteOn(lead, 67, 0.9),
      noteOn(RackTarget.Drums, 38, 1),
    ]);
    await sleep(300);
    for (const fault of ["kill", "throw"] as const) {
      engine.injectFault(fault, "active");
      await until(`${fault} is noticed`, () => !slotsHealthy(engine));
      // Notes change while the new worker restores: they must reach it too.
      engine.send([noteOff(lead, 64), noteOn(lead, 65, 0.7), noteOn(RackTarget.Drums, 36, 1)]);
      await until(`the slots recover from ${fault}`, () => slotsHealthy(engine));
      await sleep(100);
      const status = engine.status();
      assert(
        status.slots.every((slot) => slot.voices >= 3),
        `voices: ${JSON.stringify(status.slots)}`,
      );
      // Every block both rings still hold must be identical: reverb and delay tails included.
      const [ring0, ring1] = engine.rings;
      const newest = Math.min(ring0?.written ?? 0, ring1?.written ?? 0) - 1;
      let compared = 0;
      for (let block = newest; block > newest - 4; block--) {
        if (ring0?.has(block) !== true || ring1?.has(block) !== true) continue;
        assertEquals(ring0.checksumOf(block), ring1.checksumOf(block), `${fault}: block ${block}`);
        compared++;
      }
      assert(compared > 0, `${fault}: no block held by both rings`);
      assertEquals(Atomics.load(engine.control.ints, I.Diverged), 0, `${fault}: slots diverged`);
    }
  } finally {
    await engine.stop();
  }
});
