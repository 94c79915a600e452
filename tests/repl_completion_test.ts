import assert from "node:assert/strict";
import { ALL_ADDRESSES, completeLine } from "../repl/completion.ts";
import { readHistory } from "../repl/line_input.ts";
import { parseChronusLine } from "../repl/parsers.ts";

Deno.test("addresses complete one path segment at a time", () => {
  assert.deepEqual(completeLine("/inst/le"), [["/inst/lead/"], "/inst/le"]);
  assert.deepEqual(completeLine("/inst/lead/filter/cu"), [
    ["/inst/lead/filter/cutoff"],
    "/inst/lead/filter/cu",
  ]);
  assert.deepEqual(completeLine("/dr"), [["/drums/"], "/dr"]);
  assert.deepEqual(completeLine("/mix/delay/b"), [["/mix/delay/beats"], "/mix/delay/b"]);
  assert.deepEqual(completeLine("/nothing"), [[], "/nothing"]);
});

Deno.test("every completable address is one the parsers know", () => {
  for (const address of ALL_ADDRESSES) {
    const result = parseChronusLine(address);
    assert.ok(result.ok || result.reason === "invalid", `${address}: ${JSON.stringify(result)}`);
  }
});

Deno.test("phrase words complete from the vocabulary, case-insensitively", () => {
  const [words, done] = completeLine("make it BRI");
  assert.equal(done, "BRI");
  assert.ok(words.includes("brighter"), words.join(" "));
  assert.ok(completeLine("play a c minor ch")[0].includes("chord"));
  assert.ok(completeLine("on ba")[0].includes("bass"));
});

Deno.test("history: the last lines of the file, newest first; a missing file is empty", () => {
  const path = Deno.makeTempFileSync();
  try {
    Deno.writeTextFileSync(path, "play C4\n\nbrighter\nadd reverb\n");
    assert.deepEqual(readHistory(path, 2), ["add reverb", "brighter"]);
    assert.deepEqual(readHistory(path, 10), ["add reverb", "brighter", "play C4"]);
  } finally {
    Deno.removeSync(path);
  }
  assert.deepEqual(readHistory(`${path}.missing`, 10), []);
});
