import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { type CommandSpec, Opcode } from "../engine/command.ts";
import { PARAM_SPECS, type ParamSpec, SynthParam, type SynthParamId } from "../dsp/params.ts";
import {
  ADDRESS_HELP,
  nearestAddress,
  parseAddressLine,
  parseDecimal,
} from "../repl/address_parser.ts";
import { HELP_TEXT } from "../repl/help.ts";
import { MAX_LINE_CHARS, type ParseResult } from "../repl/line_parser.ts";

/** The address → parameter map as the prototype defined it, written out independently. */
const PARAM_ADDRESSES: readonly (readonly [string, SynthParamId])[] = [
  ["/mod/sine/freq", SynthParam.SineFreq],
  ["/mod/sine/gain", SynthParam.SineGain],
  ["/gate/adsr", SynthParam.Gate],
  ["/mod/filter/cutoff", SynthParam.FilterCutoff],
  ["/mod/filter/resonance", SynthParam.FilterResonance],
  ["/mod/adsr/attack", SynthParam.AdsrAttack],
  ["/mod/adsr/decay", SynthParam.AdsrDecay],
  ["/mod/adsr/sustain", SynthParam.AdsrSustain],
  ["/mod/adsr/release", SynthParam.AdsrRelease],
  ["/mod/master/gain", SynthParam.MasterGain],
];

function assertStringIncludes(actual: string, expected: string): void {
  assert(
    actual.includes(expected),
    `expected ${JSON.stringify(actual)} to include ${JSON.stringify(expected)}`,
  );
}

function spec(id: SynthParamId): ParamSpec {
  const found = PARAM_SPECS.find((s) => s.id === id);
  assert(found !== undefined, `no spec for parameter ${id}`);
  return found;
}

function set(param: number, value: number): CommandSpec {
  return { opcode: Opcode.SetParam, target: 0, param, flags: 0, value };
}

function specsOf(result: ParseResult): readonly CommandSpec[] {
  assert(result.ok, `expected ok, got ${JSON.stringify(result)}`);
  assert(result.action.kind === "commands", `expected commands, got ${result.action.kind}`);
  return result.action.specs;
}

function messageOf(result: ParseResult): string {
  assert(result.ok && result.action.kind === "commands", JSON.stringify(result));
  return result.action.message;
}

function errorOf(result: ParseResult, reason: "invalid" | "unknown" = "invalid"): string {
  assert(!result.ok, `expected an error, got ${JSON.stringify(result)}`);
  assertEquals(result.reason, reason, result.error);
  assert(!result.error.includes("\n"), "error must be one line");
  assert(!/\w\.$/.test(result.error), "error must have no trailing period");
  return result.error;
}

/** Values inside a parameter's range: both ends, the middle, and 0/1 for toggles. */
function valuesInside(s: ParamSpec): number[] {
  return s.toggle === true ? [0, 1] : [s.min, s.max, (s.min + s.max) / 2];
}

Deno.test("parseAddressLine maps every parameter address to one SetParam spec", () => {
  for (const [address, id] of PARAM_ADDRESSES) {
    for (const value of valuesInside(spec(id))) {
      const result = parseAddressLine(`${address} ${value}`);
      assertEquals(specsOf(result), [set(id, value)], address);
    }
  }
});

Deno.test("parseAddressLine accepts exactly the boundaries of each range", () => {
  for (const [address, id] of PARAM_ADDRESSES) {
    const s = spec(id);
    if (s.toggle === true) continue;
    const unit = s.unit === "" ? "" : ` ${s.unit}`;
    for (const outside of [s.min - 1, s.max + 1, s.min - 1e-9 * Math.max(1, s.min)]) {
      if (outside >= s.min && outside <= s.max) continue;
      const error = errorOf(parseAddressLine(`${address} ${outside}`));
      assertEquals(
        error,
        `${address} must be between ${s.min} and ${s.max}${unit}, got ${outside}`,
      );
    }
  }
});

Deno.test("parseAddressLine reports a cutoff out of range with the house message", () => {
  assertEquals(
    errorOf(parseAddressLine("/mod/filter/cutoff 50000")),
    "/mod/filter/cutoff must be between 20 and 20000 Hz, got 50000",
  );
  assertEquals(
    errorOf(parseAddressLine("/mod/sine/gain -5")),
    "/mod/sine/gain must be between 0 and 1, got -5",
  );
});

Deno.test("parseAddressLine /test sends sine 440 Hz, gain 0.5, gate 1 in that order", () => {
  const specs = specsOf(parseAddressLine("/test"));
  assertEquals(specs, [
    set(SynthParam.SineFreq, 440),
    set(SynthParam.SineGain, 0.5),
    set(SynthParam.Gate, 1),
  ]);
  errorOf(parseAddressLine("/test 1"));
});

Deno.test("parseAddressLine gives short human messages with units", () => {
  assertEquals(messageOf(parseAddressLine("/mod/sine/freq 440")), "sine freq 440 Hz");
  assertEquals(messageOf(parseAddressLine("/mod/filter/cutoff 4.4e2")), "filter cutoff 440 Hz");
  assertEquals(messageOf(parseAddressLine("/mod/adsr/attack 10")), "adsr attack 10 ms");
  assertEquals(messageOf(parseAddressLine("/mod/master/gain 0.25")), "master gain 0.25");
  assertEquals(messageOf(parseAddressLine("/gate/adsr 1")), "gate on");
  assertEquals(messageOf(parseAddressLine("/gate/adsr 0")), "gate off");
});

Deno.test("parseAddressLine gate takes 0 or 1 (and the prototype's on/off) only", () => {
  assertEquals(specsOf(parseAddressLine("/gate/adsr on")), [set(SynthParam.Gate, 1)]);
  assertEquals(specsOf(parseAddressLine("/gate/adsr off")), [set(SynthParam.Gate, 0)]);
  assertEquals(specsOf(parseAddressLine("/gate/adsr 1.0")), [set(SynthParam.Gate, 1)]);
  for (const bad of ["0.5", "2", "-1"]) {
    assertEquals(
      errorOf(parseAddressLine(`/gate/adsr ${bad}`)),
      `/gate/adsr must be 0 or 1, got ${Number(bad)}`,
    );
  }
  assertStringIncludes(errorOf(parseAddressLine("/gate/adsr yes")), "0 or 1");
});

Deno.test("parseAddressLine routes status, help, quit and faults", () => {
  assertEquals(parseAddressLine("/status"), { ok: true, action: { kind: "status" } });
  assertEquals(parseAddressLine("/help"), { ok: true, action: { kind: "help" } });
  assertEquals(parseAddressLine(" /quit\t"), { ok: true, action: { kind: "quit" } });
  for (const fault of ["kill", "hang", "throw"] as const) {
    for (const slot of ["active", "standby"] as const) {
      assertEquals(parseAddressLine(`/fault/${fault} ${slot}`), {
        ok: true,
        action: { kind: "fault", fault, slot },
      });
    }
    assertStringIncludes(errorOf(parseAddressLine(`/fault/${fault}`)), "needs a slot");
    assertStringIncludes(errorOf(parseAddressLine(`/fault/${fault} both`)), "got both");
    assertStringIncludes(errorOf(parseAddressLine(`/fault/${fault} active x`)), "one slot");
  }
  assertStringIncludes(errorOf(parseAddressLine("/status now")), "no arguments");
});

Deno.test("parseAddressLine treats blank lines and comments as empty", () => {
  for (const line of ["", "   ", "\t", "# a comment", "   #x /status", "\uFEFF"]) {
    assertEquals(
      parseAddressLine(line),
      { ok: true, action: { kind: "empty" } },
      JSON.stringify(line),
    );
  }
  assertEquals(specsOf(parseAddressLine("/mod/sine/freq 220 # A3")), [
    set(SynthParam.SineFreq, 220),
  ]);
  assertEquals(specsOf(parseAddressLine("/mod/sine/freq 220\r")), [set(SynthParam.SineFreq, 220)]);
});

Deno.test("parseAddressLine suggests the nearest address for an unknown one", () => {
  assertEquals(
    errorOf(parseAddressLine("/mod/sine/frq 440"), "unknown"),
    "unknown command /mod/sine/frq, did you mean /mod/sine/freq?",
  );
  assertStringIncludes(errorOf(parseAddressLine("/stats"), "unknown"), "did you mean /status?");
  assertStringIncludes(errorOf(parseAddressLine("status"), "unknown"), "did you mean /status?");
  assertStringIncludes(errorOf(parseAddressLine("/fault/kil active"), "unknown"), "/fault/kill?");
  assertEquals(
    errorOf(parseAddressLine("play a C minor chord"), "unknown"),
    "unknown command play, type /help for the list",
  );
  assertEquals(nearestAddress("/zzzzzzzzzzzzzzzzzzzzzzzzz"), undefined);
  assertEquals(nearestAddress("/MOD/ADSR/DECAY"), "/mod/adsr/decay");
});

Deno.test("parseAddressLine names the problem with a missing, extra or bad value", () => {
  const a = "/mod/sine/freq";
  assertStringIncludes(errorOf(parseAddressLine(a)), `${a} needs a value`);
  assertStringIncludes(errorOf(parseAddressLine(`${a} 440 880`)), "takes one value, got 2");
  assertEquals(
    errorOf(parseAddressLine(`${a} loud`)),
    `${a} needs a decimal number like 440 or 4.4e2, got loud`,
  );
  for (const word of ["NaN", "nan", "Infinity", "-Infinity", "inf"]) {
    assertEquals(
      errorOf(parseAddressLine(`${a} ${word}`)),
      `${a} needs a finite number, got ${word}`,
    );
  }
  assertEquals(errorOf(parseAddressLine(`${a} 1e999`)), `${a} needs a finite number, got 1e999`);
  for (
    const bad of ["0x10", "1_000", "+", "-", ".", "1e", "e5", "1,5", "440hz", "٤٤٠", "0b1", "1e+"]
  ) {
    assertStringIncludes(errorOf(parseAddressLine(`${a} ${bad}`)), `got ${bad}`);
  }
  const long = "9".repeat(200);
  assert(errorOf(parseAddressLine(`${a} x${long}`)).length < 120, "long arguments are shortened");
});

Deno.test("parseAddressLine refuses control bytes, invalid text and very long lines", () => {
  assertEquals(
    errorOf(parseAddressLine("/sta\u0007tus")),
    "line contains unprintable character U+0007 at column 5",
  );
  assertStringIncludes(errorOf(parseAddressLine("/status\u0000")), "U+0000");
  assertStringIncludes(errorOf(parseAddressLine("\u001b[A/status")), "U+001B at column 1");
  assertStringIncludes(errorOf(parseAddressLine("/mod/sine/freq 4\uFFFD0")), "invalid UTF-8");
  assertStringIncludes(errorOf(parseAddressLine("/status\u200b")), "U+200B");
  assertStringIncludes(errorOf(parseAddressLine("/status \ud800")), "U+D800");
  const long = `/mod/sine/freq ${"4".repeat(MAX_LINE_CHARS)}`;
  assertEquals(errorOf(parseAddressLine(long)), `line too long: over ${MAX_LINE_CHARS} characters`);
  const justFits = `/mod/sine/gain 0.${"1".repeat(MAX_LINE_CHARS - "/mod/sine/gain 0.".length)}`;
  assertEquals(justFits.length, MAX_LINE_CHARS);
  assert(parseAddressLine(justFits).ok);
});

Deno.test("parseDecimal accepts plain decimals and exponents only", () => {
  for (
    const text of ["0", "440", "-5", "+5", "0.25", ".5", "5.", "4.4e2", "4.4E-2", "1e+3", "007"]
  ) {
    assertEquals(parseDecimal(text), Number(text), text);
  }
  assert(Object.is(parseDecimal("-0"), 0), "-0 becomes 0");
  assertEquals(parseDecimal("1e999"), Infinity);
  for (
    const text of [
      "",
      " 1",
      "1 ",
      "0x10",
      "0o7",
      "0b1",
      "1_000",
      "+",
      "-",
      ".",
      "e",
      "1e",
      "NaN",
      "Infinity",
      "--1",
      "1..2",
    ]
  ) {
    assertEquals(parseDecimal(text), undefined, JSON.stringify(text));
  }
});

Deno.test("ADDRESS_HELP lists every address, and every example parses", () => {
  const expected = [
    "/test",
    ...PARAM_ADDRESSES.map(([address]) => address),
    "/status",
    "/state",
    "/help",
    "/quit",
    "/fault/kill",
    "/fault/hang",
    "/fault/throw",
  ].sort();
  assertEquals(ADDRESS_HELP.map((h) => h.address).sort(), expected);
  for (const h of ADDRESS_HELP) {
    assert(parseAddressLine(h.example).ok, h.example);
    assertStringIncludes(HELP_TEXT, h.usage);
    assertStringIncludes(HELP_TEXT, h.example);
  }
  assertMatch(HELP_TEXT, /\/mod\/filter\/cutoff <20\.\.20000 Hz>/);
});
