/**
 * The session log end to end: a `chronus` session logs every accepted line
 * with its time; `chronus render <log>` renders it offline exactly as the
 * script it stands for; `chronus replay <log>` plays it again.
 */

import assert from "node:assert/strict";
import { isLog, LOG_HEADER, logScript } from "../repl/session_log.ts";
import { runDeno } from "./_run.ts";

Deno.test("logScript: waits between the lines, in order; broken logs are named", () => {
  const text = `${LOG_HEADER}\n40\ttempo 100\n290\tlead: saw\n290\tplay C4\n1040\tstop\n`;
  assert.ok(isLog(text));
  assert.deepEqual(logScript(text), [
    "tempo 100",
    "wait 250ms",
    "lead: saw",
    "play C4",
    "wait 750ms",
    "stop",
  ]);
  assert.throws(() => logScript(`${LOG_HEADER}\nnot a line\n`), /log line 2 is not/);
  assert.throws(() => logScript(`${LOG_HEADER}\n10\ta\n5\tb\n`), /goes back in time/);
  assert.ok(!isLog("tempo 100\n"));
});

Deno.test("chronus logs a session; render and replay bring it back", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chronus-log-" });
  try {
    const live = await runDeno(
      ["main.ts", "--backend", "null", "--no-osc", "--linger", "0", "--data-dir", dir],
      "tempo 100\nwait 300ms\nbass: seq c2 c3\nnonsense words here\n",
    );
    assert.equal(live.code, 1, "the nonsense line failed");
    const logs = [...Deno.readDirSync(`${dir}/logs`)].map((e) => e.name);
    assert.equal(logs.length, 1);
    const log = `${dir}/logs/${logs[0]}`;
    const text = Deno.readTextFileSync(log);
    const script = logScript(text);
    // Accepted command lines only (not the wait, not the nonsense), the wait kept as time.
    assert.equal(script[0], "tempo 100");
    assert.equal(script.at(-1), "bass: seq c2 c3");
    const gap = Number(/^wait (\d+)ms$/.exec(script[1] ?? "")?.[1]);
    assert.ok(gap >= 290 && gap < 2000, `gap ${gap} ms`);

    // Rendered from the log: the same bytes as the script it stands for.
    Deno.writeTextFileSync(`${dir}/script.txt`, script.join("\n") + "\n");
    const a = await runDeno(["main.ts", "render", log, "-o", `${dir}/a.wav`, "--seconds", "3"]);
    const b = await runDeno([
      "main.ts",
      "render",
      `${dir}/script.txt`,
      "-o",
      `${dir}/b.wav`,
      "--seconds",
      "3",
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(await Deno.readFile(`${dir}/a.wav`), await Deno.readFile(`${dir}/b.wav`));

    // Replayed in real time: every line answered ok again.
    const again = await runDeno([
      "main.ts",
      "replay",
      log,
      "--backend",
      "null",
      "--no-osc",
      "--linger",
      "0",
      "--data-dir",
      dir,
    ]);
    assert.equal(again.code, 0, again.stderr);
    const oks = again.stdout.split("\n").filter((l) => l.startsWith("ok  "));
    assert.equal(oks.length, script.length);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
