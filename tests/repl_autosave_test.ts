import assert from "node:assert/strict";
import { Autosave, AUTOSAVE_NAME } from "../repl/autosave.ts";
import { firstParser } from "../repl/line_parser.ts";
import { PatchModel } from "../repl/patch_model.ts";
import { PatchStore } from "../repl/patch_store.ts";
import { phraseParsers } from "../repl/parsers.ts";
import { runDeno } from "./_run.ts";

Deno.test("autosave: saves only what changed, once more on stop; a failure is one warning", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chronus-autosave-" });
  try {
    const store = new PatchStore(dir);
    const model = new PatchModel();
    const warnings: string[] = [];
    const autosave = new Autosave(store, model, { warn: (line) => warnings.push(line) });
    assert.equal(autosave.save(), false, "a fresh start is not saved");
    assert.equal(Autosave.offer(store), undefined);
    const parse = firstParser(phraseParsers(model, "local", store));
    const tempo = parse("tempo 99");
    assert.ok(tempo.ok && tempo.action.kind === "commands");
    model.commit(tempo.action, "local");
    assert.equal(autosave.save(), true);
    assert.equal(autosave.save(), false, "nothing new");
    assert.ok(store.loadSession(AUTOSAVE_NAME).includes("/mix/tempo 99"));
    assert.match(Autosave.offer(store) ?? "", /load session autosave/);
    // A broken autosave file is not overwritten: one warning line instead.
    const file = `${store.sessionFolder}/${AUTOSAVE_NAME}.json`;
    Deno.writeTextFileSync(file, "{ broken");
    const bass = parse("bass: cutoff 300");
    assert.ok(bass.ok && bass.action.kind === "commands");
    model.commit(bass.action, "local");
    autosave.stop();
    assert.equal(Deno.readTextFileSync(file), "{ broken");
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? "", /autosave failed: .*autosave\.json is not valid JSON/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("autosave: chronus saves the jam when it stops; the next start finds it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chronus-autosave-" });
  try {
    const run = await runDeno(
      ["main.ts", "--backend", "null", "--no-osc", "--linger", "0", "--data-dir", dir],
      "tempo 97\nbass: seq c2 ~ c2 eb2\n",
    );
    assert.equal(run.code, 0, run.stderr);
    const lines = new PatchStore(dir).loadSession(AUTOSAVE_NAME);
    assert.ok(lines.includes("/mix/tempo 97"));
    assert.ok(lines.includes('bass: pattern "c2 ~ c2 eb2"'));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
