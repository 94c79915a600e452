import assert from "node:assert/strict";
import { assertEquals } from "./_assert.ts";
import { euclid, PatternError, readPattern } from "../repl/pattern_notation.ts";

const BAR = 3840;

/** Events as "tick+length:atom" strings. */
function events(text: string, cycle = BAR): string[] {
  return readPattern(text, cycle).events.map((e) => `${e.tick}+${e.length}:${e.atom}`);
}

/** A sequence of `atoms` over `span` ticks from `start`: the rule every case below follows. */
function evenly(atoms: readonly string[], start: number, span: number): string[] {
  const step = span / atoms.length;
  return atoms.flatMap((a, i) => a === "~" ? [] : [`${start + i * step}+${step}:${a}`]);
}

Deno.test("mini-notation: sequences share the cycle equally; rests leave gaps", () => {
  assertEquals(events("c4 e4 g4 c5"), evenly(["c4", "e4", "g4", "c5"], 0, BAR));
  assertEquals(
    events("c2 ~ c2 eb2 g2 ~ c3 ~"),
    evenly(["c2", "~", "c2", "eb2", "g2", "~", "c3", "~"], 0, BAR),
  );
  assertEquals(events("a b c"), evenly(["a", "b", "c"], 0, BAR)); // triplets: 1280 each
  assertEquals(events("60 64 67"), evenly(["60", "64", "67"], 0, BAR));
});

Deno.test("mini-notation: [ ] subdivides a step, * repeats in a step, _ ties", () => {
  assertEquals(events("c4 [e4 g4]"), [
    ...evenly(["c4"], 0, BAR / 2),
    ...evenly(["e4", "g4"], BAR / 2, BAR / 2),
  ]);
  assertEquals(events("hh*4 sn"), [
    ...evenly(["hh", "hh", "hh", "hh"], 0, BAR / 2),
    ...evenly(["sn"], BAR / 2, BAR / 2),
  ]);
  assertEquals(events("[a [b c]] d"), ["0+960:a", "960+480:b", "1440+480:c", "1920+1920:d"]);
  assertEquals(events("c4 _ _ e4"), ["0+2880:c4", "2880+960:e4"]);
  assertEquals(events("[c4 e4] _"), ["0+960:c4", "960+2880:e4"]);
});

Deno.test("mini-notation: < > alternates per cycle; the pattern lasts the alternations' lcm", () => {
  const p = readPattern("<c4 e4> <a b c>", BAR);
  assertEquals(p.cycles, 6);
  const firsts = p.events.filter((e) => e.tick % BAR === 0).map((e) => e.atom);
  const seconds = p.events.filter((e) => e.tick % BAR === BAR / 2).map((e) => e.atom);
  assertEquals(firsts, ["c4", "e4", "c4", "e4", "c4", "e4"]);
  assertEquals(seconds, ["a", "b", "c", "a", "b", "c"]);
  // Nested alternation advances when its branch comes round again.
  assertEquals(readPattern("<a <b c>>", BAR).events.map((e) => e.atom), ["a", "b", "a", "c"]);
});

Deno.test("mini-notation: , stacks layers over the same span", () => {
  assertEquals(events("c4 e4, g3"), ["0+1920:c4", "0+3840:g3", "1920+1920:e4"]);
  assertEquals(events("[c4, e4, g4] ~"), ["0+1920:c4", "0+1920:e4", "0+1920:g4"]);
});

Deno.test("mini-notation: (k,n[,r]) spreads k hits over n sub-steps, rotated", () => {
  assertEquals(euclid(3, 8).map((h) => (h ? "x" : ".")).join(""), "x..x..x.");
  for (const [k, n] of [[3, 8], [5, 8], [4, 16], [7, 12], [0, 5], [5, 5]] as const) {
    const hits = euclid(k, n);
    assertEquals(hits.filter((h) => h).length, k, `(${k},${n}) has ${k} hits`);
    if (k > 0) assertEquals(hits[0], true, `(${k},${n}) starts on a hit`);
    // Evenly: gaps between hits differ by at most one step.
    const at = hits.flatMap((h, i) => (h ? [i] : []));
    const gaps = at.map((a, i) => ((at[(i + 1) % at.length] as number) - a + n) % n || n);
    if (k > 1) {
      assertEquals(Math.max(...gaps) - Math.min(...gaps) <= 1, true, `(${k},${n}) ${gaps}`);
    }
  }
  assertEquals(events("bd(3,8)"), ["0+480:bd", "1440+480:bd", "2880+480:bd"]);
  // Rotated one sub-step left: x..x..x. becomes ..x..x.x.
  assertEquals(events("bd(3,8,1)").map((e) => e.split("+")[0]), ["960", "2400", "3360"]);
});

Deno.test("mini-notation: every malformed pattern is refused with a one-line reason", () => {
  const bad: [string, RegExp][] = [
    ["", /empty pattern/],
    ["c4 [e4", /"\]" missing/],
    ["c4 e4]", /without its opening/],
    ["<c4 e4", /">" missing/],
    ["[]", /empty sequence/],
    ["_ c4", /must follow a step/],
    ["c4*0", /repeat 1 to 64/],
    ["c4*", /whole number/],
    ["bd(9,8)", /hits must be/],
    ["bd(3", /euclidean/],
    ["c4 $", /not a note/],
    ["<a b c d e> <a b c d e f g>", /repeat only after 35 cycles/],
    ["[".repeat(20) + "a" + "]".repeat(20), /deeper/],
    ["a".repeat(3000), /at most 2000/],
    ["a*64*64", /more than 1024 events/],
  ];
  for (const [text, reason] of bad) {
    assert.throws(() => readPattern(text, BAR), (error: unknown) => {
      assert.ok(error instanceof PatternError, String(error));
      assert.match(error.message, reason, text);
      assert.ok(!error.message.includes("\n"));
      return true;
    });
  }
});

Deno.test("mini-notation: ! accents, ^v sets the velocity, ? and ?p set the chance of playing", () => {
  const p = readPattern("c4! e4^0.4 [g4 a4]? b4?0.25", BAR);
  assertEquals(
    p.events.map((e) => [e.atom, e.velocity, e.chance]),
    [["c4", 1, undefined], ["e4", 0.4, undefined], ["g4", undefined, 0.5], [
      "a4",
      undefined,
      0.5,
    ], ["b4", undefined, 0.25]],
  );
  for (
    const [text, reason] of [["c4^2", /velocity/], ["c4?0", /probability/], [
      "!c4",
      /must follow/,
    ]] as const
  ) {
    assert.throws(
      () => readPattern(text, BAR),
      (e: unknown) => e instanceof PatternError && reason.test(e.message),
    );
  }
});
