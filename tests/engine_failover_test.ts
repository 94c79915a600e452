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
import { setParam } from "../engine/command.ts";
import { SynthParam } from "../dsp/params.ts";

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
