/**
 * End to end over OSC: a `chronus` process (null backend, `--stay`) driven by
 * `chronus send` from other processes, as another tmux pane or a shell
 * script would: one reply line per command, exit statuses, and a clean stop
 * on SIGTERM.
 */

import assert from "node:assert/strict";
import { REALTIME_V8_FLAGS } from "../engine/_v8_flags.ts";
import { chronusSend as send, ROOT } from "./_run.ts";

Deno.test("chronus send drives a running chronus over OSC, one reply per line", async () => {
  const port = 20000 + Math.floor(Math.random() * 30000);
  const chronus = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `--v8-flags=${REALTIME_V8_FLAGS}`,
      "main.ts",
      "--backend",
      "null",
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
  try {
    // Wait until it answers (the workers start first).
    let ready = false;
    for (let i = 0; i < 120 && !ready; i++) {
      ready = (await send(port, ["--timeout", "500", "/status"])).code === 0;
    }
    assert(ready, "chronus never answered on OSC");
    const note = await send(port, ["/inst/lead/note", "C4"]);
    assert.deepEqual(note, { code: 0, out: "ok  lead note C4 (60) velocity 0.8" });
    const bad = await send(port, ["/inst/lead/filter/cutoff NaN"]);
    assert.deepEqual(bad.code, 1);
    assert.match(bad.out, /^error {2}\/inst\/lead\/filter\/cutoff needs a finite number/);
    const script = await send(
      port,
      ["-"],
      "/drums/kick\n# a comment\n/mix/reverb/size 2\n/status\n",
    );
    assert.deepEqual(script.code, 1, "one line of the script failed");
    const lines = script.out.split("\n");
    assert.deepEqual(lines[0], "ok  kick velocity 0.8");
    assert.match(lines[1] ?? "", /^error {2}\/mix\/reverb\/size must be between 0 and 1/);
    assert.deepEqual(lines[2], "ok  status");
    assert(
      lines.some((line) => /slot 0 .*voices [1-9]/.test(line)),
      `a voice sounds:\n${script.out}`,
    );
  } finally {
    chronus.kill("SIGTERM");
    const status = await chronus.output();
    assert.deepEqual(status.code, 0, new TextDecoder().decode(status.stderr));
  }
  const gone = await send(port, ["--timeout", "300", "/status"]);
  assert.deepEqual(gone.code, 3);
});
