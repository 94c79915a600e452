import assert from "node:assert/strict";
import { Envelope } from "../dsp/envelope.ts";
import { Lfo, LfoShape } from "../dsp/lfo.ts";
import {
  MOD_MATRIX_CAPACITY,
  MOD_MATRIX_LIMIT,
  MOD_ROUTE_STATE_SIZE,
  ModMatrix,
} from "../dsp/mod_matrix.ts";
import { ParamSmoother } from "../dsp/smoother.ts";
import { keyTrackOctaves, SvfFilter } from "../dsp/svf.ts";
import { sampledAllocation } from "./_alloc.ts";
import { seededRandom } from "./_random.ts";

const RATE = 48000;
const BLOCK = 128;

/** A route as the test sees it. */
interface Route {
  readonly source: number;
  readonly destination: number;
  readonly amount: number;
}

function assertAllFinite(signal: ArrayLike<number>, what: string): void {
  for (let n = 0; n < signal.length; n++) {
    if (!Number.isFinite(signal[n])) assert.fail(`${what}: sample ${n} is ${signal[n]}`);
  }
}

Deno.test("ModMatrix fills each destination with the sum of amount × source over its routes", () => {
  const rand = seededRandom(1);
  const matrix = new ModMatrix(RATE, { smoothingMs: 0 });
  const routes: Route[] = [];
  for (let i = 0; i < 20; i++) {
    const route = {
      source: Math.floor(rand() * 16),
      destination: Math.floor(rand() * 6), // several routes per destination
      amount: rand() * 8 - 4,
    };
    if (routes.some((r) => r.source === route.source && r.destination === route.destination)) {
      continue;
    }
    assert.ok(matrix.addRoute(route.source, route.destination, route.amount));
    routes.push(route);
  }
  assert.equal(matrix.routeCount, routes.length);
  for (let blk = 0; blk < 5; blk++) {
    for (let s = 0; s < 16; s++) {
      if (s % 3 === 0) matrix.setSourceValue(s, rand() * 2 - 1); // constants: velocity, note…
      else matrix.sourceBuffer(s).forEach((_, i, b) => b[i] = rand() * 2 - 1); // per-sample: LFOs…
    }
    matrix.process(0, BLOCK);
    for (let d = 0; d < 16; d++) {
      const out = matrix.destinationBuffer(d);
      const feeding = routes.filter((r) => r.destination === d);
      assert.equal(matrix.isRouted(d), feeding.length > 0);
      for (let i = 0; i < BLOCK; i++) {
        let want = 0;
        for (const r of feeding) want += r.amount * (matrix.sourceBuffer(r.source)[i] as number);
        const got = out[i] as number;
        if (!(Math.abs(got - want) <= 1e-12)) {
          assert.fail(`dest ${d} frame ${i}: ${got} vs ${want}`);
        }
      }
    }
  }
});

Deno.test("ModMatrix keys routes by source and destination; a repeated pair changes the amount", () => {
  const matrix = new ModMatrix(RATE, { smoothingMs: 0 });
  assert.ok(matrix.addRoute(2, 3, 0.5));
  assert.ok(matrix.addRoute(2, 3, -1.5));
  assert.equal(matrix.routeCount, 1);
  assert.equal(matrix.routeAmount(2, 3), -1.5);
  assert.equal(matrix.routeAmount(3, 2), 0);
  matrix.setSourceValue(2, 2);
  matrix.process(0, BLOCK);
  assert.ok(matrix.destinationBuffer(3).every((x) => x === -3));
  assert.ok(matrix.removeRoute(2, 3));
  assert.equal(matrix.removeRoute(2, 3), false);
  assert.equal(matrix.routeCount, 0);
  assert.equal(matrix.isRouted(3), false);
  assert.ok(matrix.destinationBuffer(3).every((x) => x === 0), "zeroed when its last route goes");
});

Deno.test("ModMatrix holds at most its capacity of routes; addRoute returns false when full", () => {
  const matrix = new ModMatrix(RATE, { smoothingMs: 0 });
  assert.equal(matrix.capacity, MOD_MATRIX_CAPACITY);
  for (let i = 0; i < MOD_MATRIX_CAPACITY; i++) {
    assert.ok(matrix.addRoute(i % 16, Math.floor(i / 16), 1), `route ${i}`);
  }
  assert.equal(matrix.routeCount, MOD_MATRIX_CAPACITY);
  assert.equal(matrix.addRoute(0, 5, 1), false, "a new pair does not fit");
  assert.equal(matrix.routeCount, MOD_MATRIX_CAPACITY);
  assert.equal(matrix.routeAmount(0, 5), 0);
  assert.ok(matrix.addRoute(3, 1, 7), "an existing pair can still change");
  assert.equal(matrix.routeAmount(3, 1), 7);
  assert.ok(matrix.removeRoute(4, 0));
  assert.ok(matrix.addRoute(0, 5, 1), "a freed slot is reused");
  const small = new ModMatrix(RATE, { capacity: 2, smoothingMs: 0 });
  assert.equal(small.stateSize, 2 * MOD_ROUTE_STATE_SIZE);
  assert.ok(small.addRoute(0, 0, 1) && small.addRoute(1, 0, 1));
  assert.equal(small.addRoute(2, 0, 1), false);
  small.clear();
  assert.equal(small.routeCount, 0);
  assert.ok(small.addRoute(2, 0, 1));
});

Deno.test("ModMatrix glides amounts like ParamSmoother and frees a removed route once faded out", () => {
  const matrix = new ModMatrix(RATE, { capacity: 1 }); // 5 ms glides
  matrix.setSourceValue(0, 1);
  assert.ok(matrix.addRoute(0, 0, 3));
  const reference = new ParamSmoother(RATE, { initial: 0 });
  reference.setTarget(3);
  const want = new Float64Array(BLOCK);
  const out = matrix.destinationBuffer(0);
  for (let blk = 0; blk < 40; blk++) {
    matrix.process(0, BLOCK);
    reference.fill(want, 0, BLOCK);
    assert.deepEqual(out, want, `block ${blk}`);
  }
  assert.equal(out[BLOCK - 1], 3);
  assert.ok(matrix.removeRoute(0, 0));
  assert.equal(matrix.routeCount, 1, "still fading out");
  assert.equal(matrix.addRoute(1, 0, 1), false, "its slot is not free yet");
  reference.setTarget(0);
  let blocks = 0;
  while (matrix.routeCount > 0 && blocks < 1000) {
    matrix.process(0, BLOCK);
    reference.fill(want, 0, BLOCK);
    assert.deepEqual(out, want, `fade-out block ${blocks}`);
    blocks++;
  }
  assert.ok(blocks > 10 && blocks < 1000, `faded out in ${blocks} blocks`);
  assert.equal(out[BLOCK - 1], 0);
  assert.equal(matrix.isRouted(0), true, "the last fade-out block is still to be read");
  matrix.process(0, BLOCK);
  assert.ok(out.every((x) => x === 0));
  assert.equal(matrix.isRouted(0), false);
  assert.ok(matrix.addRoute(1, 0, 1));
  matrix.reset();
  assert.equal(matrix.routeCount, 0);
});

Deno.test("ModMatrix clamps destinations to MOD_MATRIX_LIMIT and reads NaN as 0", () => {
  assert.equal(MOD_MATRIX_LIMIT, 1e9); // written as a literal in process (see the comment there)
  const matrix = new ModMatrix(RATE, { smoothingMs: 0, frames: 4 });
  matrix.addRoute(0, 0, 2);
  matrix.sourceBuffer(0).set([1e300, -Infinity, NaN, 3]);
  matrix.process(0, 4);
  assert.deepEqual([...matrix.destinationBuffer(0)], [1e9, -1e9, 0, 6]);
});

Deno.test("ModMatrix.process fills only the requested frames, clamped to the buffers", () => {
  const matrix = new ModMatrix(RATE, { smoothingMs: 0, frames: 64 });
  matrix.setSourceValue(1, 2);
  matrix.addRoute(1, 1, 1);
  matrix.process(10, 20);
  const out = matrix.destinationBuffer(1);
  assert.equal(out.length, 64);
  out.forEach((x, i) => assert.equal(x, i >= 10 && i < 20 ? 2 : 0, `frame ${i}`));
  matrix.process(-5, 1000);
  assert.ok(out.every((x) => x === 2));
  matrix.process(30, 5); // empty
  matrix.process(NaN, NaN);
  assert.ok(out.every((x) => x === 2));
});

Deno.test("ModMatrix rejects unknown ids and non-finite values with RangeError", () => {
  const matrix = new ModMatrix(RATE, { sources: 4, destinations: 3 });
  assert.throws(() => matrix.addRoute(4, 0, 1), RangeError);
  assert.throws(() => matrix.addRoute(0, 3, 1), RangeError);
  assert.throws(() => matrix.addRoute(-1, 0, 1), RangeError);
  assert.throws(() => matrix.addRoute(0.5, 0, 1), RangeError);
  assert.throws(() => matrix.addRoute(0, 0, NaN), RangeError);
  assert.throws(() => matrix.addRoute(0, 0, Infinity), RangeError);
  assert.throws(() => matrix.setSourceValue(0, -Infinity), RangeError);
  assert.throws(() => matrix.sourceBuffer(9), RangeError);
  assert.throws(() => matrix.destinationBuffer(3), RangeError);
  assert.throws(() => new ModMatrix(RATE, { capacity: 0 }), RangeError);
  assert.throws(() => new ModMatrix(RATE, { frames: 1.5 }), RangeError);
  assert.throws(
    () => matrix.addRoute(0, 7, 1),
    { message: "destination must be an integer between 0 and 2, got 7" },
  );
});

Deno.test("ModMatrix output stays finite whatever the control calls are given (fuzz)", () => {
  const rand = seededRandom(8);
  const nasty = [NaN, Infinity, -Infinity, 1e30, -1e30, -5, 0, 1, 0.5, 1e-30, 3.5, 1e300];
  const pick = () =>
    rand() < 0.5 ? nasty[Math.floor(rand() * nasty.length)] as number : rand() * 40 - 20;
  const matrix = new ModMatrix(RATE, { capacity: 8 });
  for (let step = 0; step < 3000; step++) {
    try {
      switch (step % 4) {
        case 0:
          matrix.addRoute(Math.floor(pick()), Math.floor(pick()), pick());
          break;
        case 1:
          matrix.removeRoute(Math.floor(rand() * 16), Math.floor(rand() * 16));
          break;
        case 2:
          matrix.setSourceValue(Math.floor(rand() * 16), pick());
          break;
        default:
          if (rand() < 0.05) matrix.clear();
      }
    } catch (e) {
      assert.ok(e instanceof RangeError, `step ${step}: ${e}`);
    }
    // Per-sample sources are whatever the owner writes, non-finite included.
    if (rand() < 0.1) matrix.sourceBuffer(Math.floor(rand() * 16))[0] = pick();
    matrix.process(0, 1 + Math.floor(rand() * BLOCK));
    assert.ok(matrix.routeCount <= 8);
    for (let d = 0; d < 16; d++) {
      assertAllFinite(matrix.destinationBuffer(d), `step ${step} dest ${d}`);
    }
  }
});

Deno.test("ModMatrix snapshot continues bit-identically mid-glide", () => {
  const rand = seededRandom(4);
  const a = new ModMatrix(RATE);
  a.addRoute(0, 0, 2);
  a.addRoute(1, 0, -1);
  a.addRoute(2, 5, 0.25);
  a.process(0, 40);
  a.removeRoute(1, 0);
  a.process(0, 7);
  const state = new Float64Array(a.stateSize);
  assert.equal(a.saveState(state, 0), a.stateSize);
  const b = new ModMatrix(RATE);
  assert.equal(b.loadState(state, 0), b.stateSize);
  assert.equal(b.routeCount, 3);
  for (let blk = 0; blk < 100; blk++) {
    for (const m of [a, b]) if (blk === 50) m.addRoute(3, 5, 9);
    for (let s = 0; s < 4; s++) {
      const v = rand();
      a.sourceBuffer(s).fill(v);
      b.sourceBuffer(s).fill(v);
    }
    a.process(0, BLOCK);
    b.process(0, BLOCK);
    for (const d of [0, 5]) {
      assert.deepEqual(b.destinationBuffer(d), a.destinationBuffer(d), `block ${blk} dest ${d}`);
    }
  }
});

Deno.test("ModMatrix drives a filter cutoff from an envelope, key tracking and an LFO", () => {
  const ENV = 0, NOTE = 1, LFO = 2, CUTOFF = 0;
  const matrix = new ModMatrix(RATE, { smoothingMs: 0 });
  matrix.addRoute(ENV, CUTOFF, 3); // envelope amount: 3 octaves
  matrix.addRoute(NOTE, CUTOFF, 0.5); // half key tracking
  matrix.addRoute(LFO, CUTOFF, 0.25);
  matrix.setSourceValue(NOTE, keyTrackOctaves(880, 1));
  const env = new Envelope(RATE, { attackMs: 1, decayMs: 50, sustain: 0.3 });
  const lfo = new Lfo(RATE, { shape: LfoShape.Triangle, rateHz: 6 });
  const filter = new SvfFilter(RATE, { cutoffHz: 300, resonance: 0.5 });
  const reference = new SvfFilter(RATE, { cutoffHz: 300, resonance: 0.5 });
  const levels = new Float64Array(BLOCK);
  const wobble = new Float64Array(BLOCK);
  const manual = new Float64Array(BLOCK);
  const a = new Float64Array(BLOCK);
  const b = new Float64Array(BLOCK);
  env.gateOn();
  for (let blk = 0; blk < 100; blk++) {
    env.process(matrix.sourceBuffer(ENV), 0, BLOCK);
    lfo.process(matrix.sourceBuffer(LFO), 0, BLOCK);
    levels.set(matrix.sourceBuffer(ENV));
    wobble.set(matrix.sourceBuffer(LFO));
    matrix.process(0, BLOCK);
    const keyTrack = keyTrackOctaves(880, 0.5);
    for (let i = 0; i < BLOCK; i++) {
      manual[i] = 3 * (levels[i] as number) + keyTrack + 0.25 * (wobble[i] as number);
      a[i] = b[i] = Math.sin(i);
    }
    filter.process(a, 0, BLOCK, matrix.destinationBuffer(CUTOFF));
    reference.process(b, 0, BLOCK, manual);
    for (let i = 0; i < BLOCK; i++) {
      assert.ok(Math.abs((a[i] as number) - (b[i] as number)) < 1e-9, `block ${blk} frame ${i}`);
    }
  }
});

/** Render `blocks` blocks with per-sample sources and route edits that keep amounts gliding. */
function renderScenario(matrix: ModMatrix, lfo: Lfo, blocks: number): void {
  const lfoBuffer = matrix.sourceBuffer(0);
  for (let b = 0; b < blocks; b++) {
    lfo.process(lfoBuffer, 0, BLOCK);
    matrix.process(0, 50);
    // Whole-number values: passing them boxes nothing, so only process can allocate.
    matrix.addRoute(0, b & 3, (b % 5) - 2);
    if ((b & 7) === 7) matrix.removeRoute(0, (b >> 3) & 3);
    matrix.process(50, BLOCK);
  }
}

Deno.test("ModMatrix.process allocates nothing in steady state (V8 heap sampling)", async () => {
  const matrix = new ModMatrix(RATE);
  const lfo = new Lfo(RATE, { rateHz: 5 });
  for (let s = 1; s < 16; s++) matrix.addRoute(s, s % 8, s);
  renderScenario(matrix, lfo, 20000); // let V8 optimise first
  const bytes = await sampledAllocation(
    () => renderScenario(matrix, lfo, 40000),
    "renderScenario",
  );
  // Sampled every 64 bytes on average: 16 bytes per block would show as ~640 KB.
  assert.ok(bytes < 64 * 1024, `${bytes} bytes sampled while rendering 40000 blocks`);
});
