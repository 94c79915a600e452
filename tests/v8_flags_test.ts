import assert from "node:assert/strict";
import { REALTIME_V8_FLAGS } from "../engine/_v8_flags.ts";

const ROOT = new URL("..", import.meta.url);

Deno.test("every launcher passes the real-time V8 flags of engine/_v8_flags.ts", async () => {
  const bootstrap = await Deno.readTextFile(new URL("bin/_bootstrap.sh", ROOT));
  const match = /^CHRONUS_V8_FLAGS="([^"]*)"$/m.exec(bootstrap);
  assert.equal(match?.[1], REALTIME_V8_FLAGS, "bin/_bootstrap.sh CHRONUS_V8_FLAGS");
  const launcher = await Deno.readTextFile(new URL("bin/chronus", ROOT));
  assert.match(launcher, /run --allow-all --v8-flags="\$CHRONUS_V8_FLAGS"/, "bin/chronus");
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  assert.ok(
    String(config.tasks.start).includes(`--v8-flags=${REALTIME_V8_FLAGS} `),
    `deno task start: ${config.tasks.start}`,
  );
  assert.ok(
    String(config.tasks.test).includes(`--v8-flags=${REALTIME_V8_FLAGS} `),
    `deno task test: ${config.tasks.test}`,
  );
  const test = await Deno.readTextFile(new URL("bin/test", ROOT));
  assert.match(test, /test --allow-all --trace-leaks --v8-flags="\$CHRONUS_V8_FLAGS"/, "bin/test");
});

Deno.test("the real-time V8 flags are ones this Deno's V8 accepts", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", `--v8-flags=${REALTIME_V8_FLAGS}`, "console.log('ok')"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.success, true, stderr);
  assert.doesNotMatch(stderr, /unrecognized|unknown|error/i);
  assert.equal(new TextDecoder().decode(output.stdout).trim(), "ok");
});
