import assert from "node:assert/strict";
import { AudioRing, type RingShape } from "../engine/audio_ring.ts";
import { ControlBlock, H, I, SlotState } from "../engine/_control.ts";
import { createStreamCallback } from "../engine/_stream_callback.ts";
import { openLibc } from "../engine/_libc.ts";
import { PA_CONTINUE } from "../engine/portaudio.ts";
import { sampledAllocation } from "./_alloc.ts";

const SHAPE: RingShape = { capacity: 8, blockFrames: 128, channels: 2 };

/** Two Ready rings, a control block and a callback writing into `device`. */
function setup() {
  const control = ControlBlock.create(128 / 48);
  control.ints[I.Health] = SlotState.Ready;
  control.ints[I.Health + 1] = SlotState.Ready;
  const rings = [AudioRing.create(SHAPE), AudioRing.create(SHAPE)];
  const libc = openLibc();
  const body = createStreamCallback(control, rings, libc.symbols);
  const device = new Float32Array(SHAPE.blockFrames * SHAPE.channels);
  // The FFI glue hands the callback a pointer object for the device buffer.
  const output = Deno.UnsafePointer.of(device);
  return { control, rings, libc, body, device, output };
}

/** The value every sample of block `block` holds. */
function valueOf(block: number): number {
  return (block & 7) / 8 + 0.0625;
}

/** Producer side: write block `block` of both rings with {@linkcode valueOf} and publish it. */
function publishBoth(rings: AudioRing[], block: number): void {
  // Computed here: a double passed into this function could be boxed.
  const value = (block & 7) / 8 + 0.0625;
  for (const ring of rings) {
    const offset = ring.offsetOf(block);
    const samples = ring.samples;
    // A loop, not fill(): a double passed to the fill builtin is boxed.
    for (let i = offset; i < offset + ring.blockSamples; i++) samples[i] = value;
    ring.publish(block, 0, -1);
  }
}

Deno.test("stream callback copies the active ring's block to the device, or silence, and records times", () => {
  const { control, rings, libc, body, device, output } = setup();
  try {
    publishBoth(rings, 0);
    assert.equal(body(0, output, 128, 0, 0), PA_CONTINUE);
    assert.ok(device.every((x) => x === valueOf(0)), "block 0 copied");
    assert.equal(control.ints[I.Played], 1);
    device.fill(9);
    // Block 1 is in neither ring: silence (after the brief hurry wait) and an underrun.
    body(0, output, 128, 0, 0);
    assert.ok(device.every((x) => x === 0), "silence when no ring has the block");
    assert.equal(control.ints[I.Underruns], 1);
    body(0, output, 128, 0, 4); // an output-underflow status flag from the device
    assert.equal(control.ints[I.DeviceXruns], 1);
    assert.ok(control.quantile(H.Callback, 0.5) >= 0);
    assert.ok(Number.isFinite(control.quantile(H.Period, 0.5)), "two periods recorded");
  } finally {
    libc.close();
  }
});

Deno.test("stream callback allocates nothing per call in steady state", async () => {
  const { control, rings, libc, body, device, output } = setup();
  try {
    let block = 0;
    const play = (n: number): void => {
      for (let i = 0; i < n; i++) {
        publishBoth(rings, block);
        body(0, output, 128, 0, 0);
        block++;
      }
    };
    for (let i = 0; i < 30; i++) play(1000);
    const n = 20000;
    // Profiled under `play`, so the producer counts too: it allocates nothing either.
    const bytes = await sampledAllocation(() => play(n), "play");
    assert.ok(bytes / n < 1, `callback allocated ${bytes / n} B per call`);
    assert.equal(control.ints[I.Underruns], 0);
    assert.equal(device[0], valueOf(block - 1), "the last block reached the device");
  } finally {
    libc.close();
  }
});
