import assert from "node:assert/strict";
import { setParam } from "../engine/command.ts";
import { INSTRUMENT_PARAM_SPECS, InstrumentParam } from "../dsp/instrument.ts";
import { RackTarget } from "../dsp/rack.ts";
import { FACTORY_PATCHES } from "../repl/factory_patches.ts";
import { firstParser, type ParseResult } from "../repl/line_parser.ts";
import { PatchModel } from "../repl/patch_model.ts";
import { PATCH_PARAMS, PatchStore, PatchStoreError, patchText } from "../repl/patch_store.ts";
import { phraseParsers } from "../repl/parsers.ts";

const LEAD = RackTarget.FirstInstrument;
const BASS = RackTarget.FirstInstrument + 1;

function session(store: PatchStore, model = new PatchModel()) {
  const parse = firstParser(phraseParsers(model, "local", store));
  return (line: string): ParseResult => {
    const result = parse(line);
    if (result.ok && result.action.kind === "commands") model.commit(result.action, "local");
    return result;
  };
}

function message(result: ParseResult): string {
  assert.ok(result.ok, result.ok ? "" : result.error);
  return result.action.kind === "commands" ? result.action.message : "";
}

async function withStore(body: (store: PatchStore, dir: string) => void | Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "chronus-patches-" });
  try {
    await body(new PatchStore(dir), dir);
  } finally {
    await Deno.chmod(dir, 0o755).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("patches: save, load on another instrument, re-save byte-identical, list, delete", async () => {
  await withStore((store) => {
    const model = new PatchModel();
    const parse = session(store, model);
    parse("lead: saw, cutoff 1200, more resonance, attack 30ms");
    assert.match(message(parse("save patch my-lead")), /lead: saved as patch my-lead/);
    const file = `${store.folder}/my-lead.json`;
    const text = Deno.readTextFileSync(file);
    assert.equal(JSON.parse(text).params["filter/cutoff"], 1200);
    // Loading on bass sends every patch parameter to bass, exactly.
    const load = parse("bass: load patch my-lead");
    assert.ok(load.ok && load.action.kind === "commands");
    const want = PATCH_PARAMS.map((name) => {
      const id = INSTRUMENT_PARAM_SPECS.findIndex((s) => s.name === name);
      return setParam(id, model.param(LEAD, id), BASS);
    });
    assert.deepEqual(load.action.specs, want);
    assert.equal(model.param(BASS, InstrumentParam.FilterCutoff), 1200);
    // Re-saving the same sound writes the same bytes.
    message(parse("save patch my-lead-2 from bass"));
    const again = Deno.readTextFileSync(`${store.folder}/my-lead-2.json`);
    assert.equal(again.replace("my-lead-2", "my-lead"), text);
    assert.match(message(parse("list patches")), /my-lead\* my-lead-2\*.*pad/);
    assert.match(message(parse("delete patch my-lead-2")), /deleted/);
    assert.deepEqual(store.userPatches(), ["my-lead"]);
    // Undo brings back the sound before the load.
    parse("undo");
    assert.notEqual(model.param(BASS, InstrumentParam.FilterCutoff), 1200);
  });
});

Deno.test("patches: sixteen factory patches load from the repo, every value in range", async () => {
  await withStore((store) => {
    assert.ok(FACTORY_PATCHES.size >= 16);
    for (
      const name of [
        "bass",
        "sub-bass",
        "lead",
        "pad",
        "pluck",
        "bell",
        "organ",
        "strings",
        "brass",
        "keys",
        "acid",
        "kick",
      ]
    ) {
      assert.ok(FACTORY_PATCHES.has(name), name);
    }
    for (const [name, values] of FACTORY_PATCHES) {
      const patch = store.load(name);
      assert.equal(patch.factory, true);
      for (const [key, value] of Object.entries(values)) {
        const spec = INSTRUMENT_PARAM_SPECS.find((s) => s.name === key);
        assert.ok(spec !== undefined && value >= spec.min && value <= spec.max, `${name}: ${key}`);
      }
    }
    const parse = session(store);
    assert.equal(message(parse("lead: load patch bell")), "lead: patch bell (factory)");
    assert.throws(() => store.delete("bell"), /factory patch/);
  });
});

Deno.test("patches: corrupt, truncated and hand-broken files get one clear line and are never overwritten", async () => {
  await withStore((store) => {
    store.save("ok", {});
    const good = Deno.readTextFileSync(`${store.folder}/ok.json`);
    const cases: [string, string, RegExp][] = [
      ["truncated", good.slice(0, good.length / 2), /not valid JSON/],
      ["garbage", "\u0000\u0001 not json", /not valid JSON/],
      [
        "other",
        JSON.stringify({ chronus: "session", version: 1 }),
        /not a Chronus patch \(chronus/,
      ],
      ["future", good.replace('"version": 1', '"version": 9'), /version/],
      [
        "unknown-param",
        good.replace('"osc/wave"', '"osc/waves"'),
        /"osc\/waves" is not a patch parameter/,
      ],
      [
        "out-of-range",
        good.replace(/"filter\/cutoff": [\d.]+/, '"filter/cutoff": 99999'),
        /outside 20\.\.20000/,
      ],
      ["nan", good.replace(/"amp\/sustain": [\d.]+/, '"amp/sustain": "loud"'), /amp\/sustain/],
    ];
    const parse = session(store);
    for (const [name, text, reason] of cases) {
      const file = `${store.folder}/${name}.json`;
      Deno.writeTextFileSync(file, text.replace('"name": "ok"', `"name": "${name}"`));
      const before = Deno.readTextFileSync(file);
      for (const line of [`load patch ${name}`, `save patch ${name}`]) {
        const result = parse(line);
        assert.ok(!result.ok, `${name}: ${line}`);
        if (!result.ok) {
          assert.match(result.error, reason, `${name}: ${line}`);
          assert.ok(result.error.includes(`${name}.json`) && !result.error.includes("\n"));
        }
      }
      assert.equal(Deno.readTextFileSync(file), before, `${name} untouched`);
    }
    for (
      const [line, reason] of [
        ["load patch ../etc/passwd", /must be lower-case/],
        ["load patch nothing-here", /no patch "nothing-here"/],
        ["flute: load patch bass", /not an instrument/],
        ["delete patch nothing-here", /no patch "nothing-here" to delete/],
      ] as const
    ) {
      const result = parse(line);
      assert.ok(
        !result.ok && reason.test(result.error),
        `${line}: ${result.ok ? "ok" : result.error}`,
      );
    }
  });
});

Deno.test("patches: a read-only folder refuses a save with a clear error and keeps the old file", async () => {
  if (Deno.uid() === 0) {
    // root writes through permissions: make the target a directory instead, so rename fails.
    await withStore((store) => {
      store.save("keep", {});
      Deno.mkdirSync(`${store.folder}/dir.json`);
      assert.throws(
        () => store.save("dir", {}),
        (e: unknown) =>
          e instanceof PatchStoreError && /cannot (save|read) .*dir\.json/.test(e.message),
      );
      assert.ok(Deno.statSync(`${store.folder}/dir.json`).isDirectory);
      assert.deepEqual(Deno.readDirSync(store.folder).toArray().map((e) => e.name).sort(), [
        "dir.json",
        "keep.json",
      ], "no temp file left");
    });
    return;
  }
  await withStore(async (store) => {
    store.save("keep", {});
    const before = Deno.readTextFileSync(`${store.folder}/keep.json`);
    await Deno.chmod(store.folder, 0o555);
    assert.throws(() => store.save("keep", { "osc/wave": 2 }), /cannot save/);
    assert.equal(Deno.readTextFileSync(`${store.folder}/keep.json`), before);
  });
});

Deno.test("patches: concurrent saves from two processes leave one whole file, never a mix", async () => {
  await withStore(async (store, dir) => {
    const writer = (wave: number) =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "eval",
          `import { PatchStore } from "${new URL("../repl/patch_store.ts", import.meta.url).href}";
           const s = new PatchStore(${JSON.stringify(dir)});
           for (let i = 0; i < 200; i++) s.save("race", { "osc/wave": ${wave}, "filter/cutoff": ${wave} * 1000 + i });`,
        ],
        stdout: "null",
        stderr: "piped",
      }).output();
    const [a, b] = await Promise.all([writer(1), writer(2)]);
    assert.ok(
      a.success && b.success,
      new TextDecoder().decode(a.stderr) + new TextDecoder().decode(b.stderr),
    );
    const patch = store.load("race");
    const wave = patch.params["osc/wave"] as number;
    assert.ok(wave === 1 || wave === 2);
    assert.equal(
      Math.floor((patch.params["filter/cutoff"] as number) / 1000),
      wave,
      "one writer's file, whole",
    );
    assert.equal(
      Deno.readTextFileSync(`${store.folder}/race.json`),
      patchText("race", patch.params),
    );
  });
});

Deno.test("sessions: save the whole jam, load it into a fresh Chronus: same parameters, same loops", async () => {
  await withStore((store) => {
    const model = new PatchModel();
    const parse = session(store, model);
    for (
      const line of [
        "tempo 96",
        "lead: load patch acid",
        "bass: saw, cutoff 700",
        "add reverb",
        "snare decay 300",
        "seq bass c2 ~ c2 eb2",
        "drums: kick x...x...x...x... snare ....x.......x...",
        "keys: arp C minor up 1/16",
      ]
    ) assert.ok(parse(line).ok, line);
    assert.match(message(parse("list sessions")), /no sessions yet/);
    assert.match(message(parse("save session jam")), /session jam saved: \d+ lines, 3 loops/);
    assert.match(message(parse("list sessions")), /sessions \(in .*\): jam$/);
    // A fresh model loads it: every parameter and loop comes back.
    const fresh = new PatchModel();
    const again = session(store, fresh);
    const load = again("load session jam");
    assert.match(message(load), /session jam: \d+ lines, 3 loops from the next bar/);
    assert.deepEqual(fresh.toJSON(), model.toJSON());
    // The loops are the same commands as the phrases that made them.
    assert.ok(load.ok && load.action.kind === "commands");
    const original = session(store, new PatchModel())("seq bass c2 ~ c2 eb2");
    assert.ok(original.ok && original.action.kind === "commands");
    const seq = JSON.stringify(original.action.specs);
    assert.ok(JSON.stringify(load.action.specs).includes(seq.slice(1, -1)), "the bass loop");
    // A hand-broken line: one error naming the session and the line; nothing applied.
    const file = `${store.sessionFolder}/jam.json`;
    Deno.writeTextFileSync(
      file,
      Deno.readTextFileSync(file).replace("/mix/tempo 96", "/mix/tempo lots"),
    );
    const bad = again("load session jam");
    assert.ok(!bad.ok && /session jam, line \d+/.test(bad.error), bad.ok ? "" : bad.error);
    assert.deepEqual(fresh.toJSON(), model.toJSON(), "nothing half-applied");
    assert.ok(!again("load session nope").ok);
  });
});
