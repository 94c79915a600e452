/**
 * The tmux layout, driven as a person or an agent would: `tmux send-keys`
 * into the REPL and agent panes, `tmux capture-pane` to read what they show.
 * Runs on its own tmux server (`-L`) with the null backend, so it needs
 * neither a terminal nor JACK.
 */

import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname;
const SCRIPT = `${ROOT}tmux/chronus-tmux.sh`;

async function run(command: string, args: string[]): Promise<{ code: number; out: string }> {
  const output = await new Deno.Command(command, {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  return { code: output.code, out: text };
}

async function hasTmux(): Promise<boolean> {
  try {
    return (await run("tmux", ["-V"])).code === 0;
  } catch {
    return false;
  }
}

Deno.test({
  name:
    "tmux layout: REPL, monitor, log and agent panes, driven with send-keys and read with capture-pane",
  ignore: !await hasTmux(),
  fn: async () => {
    const socket = `chronus-test-${Deno.pid}`;
    const port = String(20000 + Math.floor(Math.random() * 30000));
    const tmux = (...args: string[]) => run("tmux", ["-L", socket, ...args]);
    const pane = async (index: number) =>
      (await tmux("capture-pane", "-p", "-J", "-t", `t:chronus.${index}`)).out;
    /** Poll pane `index` until `pattern` shows, for up to `seconds`. */
    const waitFor = async (index: number, pattern: RegExp, seconds = 60) => {
      for (let i = 0; i < seconds * 4; i++) {
        const text = await pane(index);
        if (pattern.test(text)) return text;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      assert.fail(`pane ${index} never showed ${pattern}:\n${await pane(index)}`);
    };
    const started = await run(SCRIPT, [
      "--detached",
      "--agent",
      "--session",
      "t",
      "--socket",
      socket,
      "--osc-port",
      port,
      "--",
      "--backend",
      "null",
    ]);
    try {
      assert.equal(started.code, 0, started.out);
      const panes = (await tmux("list-panes", "-t", "t:chronus", "-F", "#{pane_title}")).out;
      assert.deepEqual(panes.trim().split("\n"), ["REPL", "monitor", "log", "agent"]);
      await waitFor(0, /chronus: playing on null .*OSC on 127\.0\.0\.1:\d+/);
      await tmux("send-keys", "-t", "t:chronus.0", "/inst/lead/note C4", "Enter");
      await waitFor(0, /ok {2}lead note C4 \(60\) velocity 0\.8/);
      await tmux("send-keys", "-t", "t:chronus.0", "/inst/lead/cutoff 800", "Enter");
      await waitFor(0, /error {2}.*lead has no cutoff/);
      // The agent pane drives the same Chronus over OSC.
      await tmux(
        "send-keys",
        "-t",
        "t:chronus.3",
        `bin/chronus send --osc-port ${port} /drums/kick`,
        "Enter",
      );
      await waitFor(3, /ok {2}kick velocity 0\.8/);
      // The monitor shows both slots and the sounding voices.
      const monitor = await waitFor(1, /slot 0 .*voices [1-9]/);
      assert.match(monitor, /slot 1 /);
      assert.match(monitor, /chronus monitor {2}127\.0\.0\.1:\d+/);
      assert.match(monitor, /level \[#+-*\]/, "the level meter moves");
      assert.match(monitor, /lead +C4/, "the held note is shown");
      await tmux("send-keys", "-t", "t:chronus.0", "/quit", "Enter");
      await waitFor(0, /ok {2}bye/);
    } finally {
      await tmux("kill-server");
    }
  },
});
