/**
 * `chronus render <script> -o out.wav`: a phrase script rendered offline
 * from a file, the same audio as the script piped into `--backend offline`;
 * a missing script is one error line and exit status 1.
 */

import assert from "node:assert/strict";
import { runDeno } from "./_run.ts";

const SCRIPT = [
  "tempo 100",
  "lead: pluck",
  "play the C major scale",
  "wait 1 bar",
  "drums: kick x...x...x...x...",
  "bass: seq c2 ~ c2 eb2",
  "wait 2 bars",
  "stop",
].join("\n") + "\n";

Deno.test("chronus render: a script file renders to the same WAV as the script piped offline", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chronus-render-" });
  try {
    await Deno.writeTextFile(`${dir}/song.txt`, SCRIPT);
    const rendered = await runDeno([
      "main.ts",
      "render",
      `${dir}/song.txt`,
      "-o",
      `${dir}/a.wav`,
      "--seconds",
      "8",
    ]);
    assert.equal(rendered.code, 0, rendered.stderr);
    assert.equal(rendered.stdout.split("\n").filter((l) => l.startsWith("ok  ")).length, 8);
    const piped = await runDeno(
      ["main.ts", "--backend", "offline", "--out", `${dir}/b.wav`, "--seconds", "8"],
      SCRIPT,
    );
    assert.equal(piped.code, 0, piped.stderr);
    const a = await Deno.readFile(`${dir}/a.wav`);
    const b = await Deno.readFile(`${dir}/b.wav`);
    assert.ok(a.length > 8 * 48000 * 2 * 2, `${a.length} bytes`);
    assert.deepEqual(a, b);
    const missing = await runDeno(["main.ts", "render", `${dir}/nope.txt`, "-o", `${dir}/c.wav`]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim().split("\n").length, 1);
    assert.match(missing.stderr, /nope\.txt/);
    const usage = await runDeno(["main.ts", "render"]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /render needs a script/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
