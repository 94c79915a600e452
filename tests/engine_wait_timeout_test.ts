import assert from "node:assert/strict";
import { WAIT_MAX_MS, WAIT_STEP_MS, waitTimeout } from "../engine/_wait_timeout.ts";
import { sampledAllocation } from "./_alloc.ts";

Deno.test("waitTimeout rounds up to the step, caps at the maximum, and maps junk to 0", () => {
  assert.equal(waitTimeout(0), 0);
  assert.equal(waitTimeout(-3), 0);
  assert.equal(waitTimeout(NaN), 0);
  assert.equal(waitTimeout(Infinity), WAIT_MAX_MS);
  assert.equal(waitTimeout(1e30), WAIT_MAX_MS);
  for (let k = 1; k * 0.00293 <= WAIT_MAX_MS; k++) {
    const ms = k * 0.00293;
    const t = waitTimeout(ms);
    assert.ok(t >= ms - 1e-12, `${t} < ${ms}`);
    assert.ok(t - ms < WAIT_STEP_MS + 1e-12, `${t} too far above ${ms}`);
  }
});

Deno.test("waitTimeout lets Atomics.wait take fractional timeouts without allocating", async () => {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  let notEqual = 0;
  // Computed fractional timeouts, as in the DSP worker's just-in-time wait.
  // The cell never holds 1, so each wait returns at once ("not-equal").
  function boxed(n: number): void {
    for (let i = 0; i < n; i++) {
      const ms = 0.0517 * (1 + (i & 7)) + performance.now() * 0;
      if (Atomics.wait(cell, 0, 1, ms) === "not-equal") notEqual++;
    }
  }
  function tabled(n: number): void {
    for (let i = 0; i < n; i++) {
      const ms = 0.0517 * (1 + (i & 7)) + performance.now() * 0;
      if (Atomics.wait(cell, 0, 1, waitTimeout(ms)) === "not-equal") notEqual++;
    }
  }
  for (let i = 0; i < 30; i++) {
    boxed(1000);
    tabled(1000);
  }
  const n = 20000;
  const boxedBytes = await sampledAllocation(() => boxed(n), "boxed");
  const tabledBytes = await sampledAllocation(() => tabled(n), "tabled");
  // The control shows that the measurement sees the HeapNumber per call.
  assert.ok(
    boxedBytes / n >= 8,
    `plain fractional timeouts allocated only ${boxedBytes / n} B/call`,
  );
  assert.ok(tabledBytes / n < 0.5, `waitTimeout allocated ${tabledBytes / n} B/call`);
  assert.equal(notEqual, 60000 + 2 * n, "every wait returned at once");
});
