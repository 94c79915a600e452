import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { seededRandom as prng } from "./_random.ts";
import { Opcode } from "../engine/command.ts";
import { PARAM_SPECS } from "../dsp/params.ts";
import { ADDRESS_HELP, parseAddressLine } from "../repl/address_parser.ts";
import { linesFromReadable } from "../repl/line_input.ts";
import { firstParser, type LineParser, type ParseResult } from "../repl/line_parser.ts";

const SEED = 0x5eed_c0de;
const PARSER_CASES = 20_000;
const STREAM_CASES = 1_500;

class Gen {
  readonly #next: () => number;
  constructor(seed: number) {
    this.#next = prng(seed);
  }
  int(n: number): number {
    return Math.floor(this.#next() * n);
  }
  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new RangeError("cannot pick from an empty list");
    return item;
  }
  length(): number {
    // Mostly short, sometimes around or past the line limit.
    const r = this.int(100);
    return r < 85 ? this.int(40) : r < 97 ? this.int(300) : 900 + this.int(300);
  }
  printable(): string {
    let s = "";
    for (let i = this.length(); i > 0; i--) s += String.fromCharCode(32 + this.int(95));
    return s;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const r = this.int(10);
      // Bias towards line endings and UTF-8 lead/continuation bytes.
      out[i] = r === 0
        ? 0x0a
        : r === 1
        ? 0x0d
        : r === 2
        ? 0xc0 + this.int(64)
        : r === 3
        ? 0x80 + this.int(64)
        : this.int(256);
    }
    return out;
  }
  lossy(): string {
    return new TextDecoder().decode(this.bytes(this.length()));
  }
  anyChar(): string {
    const r = this.int(6);
    if (r === 0) return String.fromCharCode(this.int(32)); // C0 controls
    if (r === 1) return String.fromCharCode(0xd800 + this.int(0x800)); // lone surrogates
    if (r === 2) {
      return String.fromCodePoint(this.int(0x110000 - 0x800) + (this.int(2) === 0 ? 0 : 0x800))
        .slice(0, 2);
    }
    if (r === 3) {
      return this.pick([" ", "\t", "#", "/", ".", "e", "-", "+", "0", "1", "9", "x", "_"]);
    }
    return String.fromCharCode(32 + this.int(95));
  }
  mutated(): string {
    const base = this.pick(VALID);
    let s = base;
    for (let edits = 1 + this.int(4); edits > 0; edits--) {
      const at = this.int(s.length + 1);
      const r = this.int(6);
      if (r === 0) s = s.slice(0, at) + this.anyChar() + s.slice(at);
      else if (r === 1) s = s.slice(0, at) + s.slice(at + 1);
      else if (r === 2) s = s.slice(0, at) + this.anyChar() + s.slice(at + 1);
      else if (r === 3) s = `${s} ${this.pick(NUMBERS)}`;
      else if (r === 4) s = s.replace(/\S+$/, this.pick(NUMBERS));
      else s = s.slice(0, at);
    }
    return s;
  }
}

const NUMBERS = [
  "0",
  "1",
  "-1",
  "0.5",
  "440",
  "4.4e2",
  "1e999",
  "-1e999",
  "NaN",
  "Infinity",
  "-0",
  "1e-400",
  "0x10",
  "1_000",
  "",
  "+",
  ".",
  "20000",
  "20000.0001",
  "19.999",
  "10000",
  "1e4",
  "on",
  "off",
  "active",
  "standby",
  "9".repeat(400),
];
const VALID = [...ADDRESS_HELP.map((h) => h.example), "/test", "", "# comment"];

const KINDS = new Set(["commands", "status", "fault", "help", "quit", "empty", "state"]);

/** Check a result is well formed, and that every command it carries is in range. */
function checkResult(result: ParseResult, line: string): void {
  const where = `for line ${JSON.stringify(line.slice(0, 200))}`;
  assert(typeof result === "object" && result !== null, where);
  if (!result.ok) {
    assert(result.reason === "unknown" || result.reason === "invalid", where);
    assert(typeof result.error === "string" && result.error.length > 0, where);
    assert(result.error.length <= 200, `error too long ${where}: ${result.error}`);
    assert(
      !/[\p{Cc}\p{Cs}\uFFFD]/u.test(result.error),
      `unprintable error ${where}: ${result.error}`,
    );
    return;
  }
  assert(KINDS.has(result.action.kind), where);
  if (result.action.kind !== "commands") return;
  assert(result.action.specs.length > 0, where);
  for (const spec of result.action.specs) {
    assertEquals(spec.opcode, Opcode.SetParam, where);
    const range = PARAM_SPECS[spec.param];
    assert(range !== undefined, `unknown param ${spec.param} ${where}`);
    assert(Number.isFinite(spec.value), where);
    assert(
      spec.value >= range.min && spec.value <= range.max,
      `${spec.value} out of range ${where}`,
    );
    if (range.toggle === true) assert(spec.value === 0 || spec.value === 1, where);
  }
}

function parseSafely(parse: LineParser, line: string, index: number): ParseResult {
  try {
    return parse(line);
  } catch (error) {
    throw new Error(`case ${index} threw for ${JSON.stringify(line.slice(0, 200))}: ${error}`);
  }
}

Deno.test("parseAddressLine never throws and always answers ok or error on random input", () => {
  const gen = new Gen(SEED);
  const combined = firstParser([parseAddressLine]);
  const counts = { ok: 0, invalid: 0, unknown: 0 };
  for (let i = 0; i < PARSER_CASES; i++) {
    const kind = i % 3;
    const line = kind === 0 ? gen.printable() : kind === 1 ? gen.lossy() : gen.mutated();
    const result = parseSafely(parseAddressLine, line, i);
    checkResult(result, line);
    checkResult(parseSafely(combined, line, i), line);
    counts[result.ok ? "ok" : result.reason]++;
  }
  // The generator must reach every kind of answer, or the test proves little.
  assert(counts.ok > 500 && counts.invalid > 500 && counts.unknown > 500, JSON.stringify(counts));
});

/** The lines a byte string holds, computed the simple way: decode all, then split. */
function expectedLines(bytes: Uint8Array, max: number): { lines: string[]; long: number[] } {
  const parts = new TextDecoder().decode(bytes).split("\n");
  if (parts[parts.length - 1] === "") parts.pop();
  const long: number[] = [];
  const lines = parts.map((part) => {
    const line = part.endsWith("\r") ? part.slice(0, -1) : part;
    if (line.length <= max) return line;
    long.push(line.length);
    return line.slice(0, max + 1);
  });
  return { lines, long };
}

function chunked(bytes: Uint8Array, gen: Gen): ReadableStream<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = 1 + gen.int(gen.int(4) === 0 ? 3 : 64);
    chunks.push(bytes.slice(at, at + size));
    at += size;
  }
  if (gen.int(5) === 0) chunks.splice(gen.int(chunks.length + 1), 0, new Uint8Array(0));
  return ReadableStream.from(chunks);
}

Deno.test("linesFromReadable never throws on random bytes and yields every line", async () => {
  const gen = new Gen(SEED + 1);
  for (let i = 0; i < STREAM_CASES; i++) {
    const bytes = gen.bytes(gen.int(gen.int(10) === 0 ? 3000 : 200));
    const max = gen.int(3) === 0 ? 1 + gen.int(20) : 1000;
    const expected = expectedLines(bytes, max);
    const long: number[] = [];
    const lines: string[] = [];
    try {
      const input = linesFromReadable(chunked(bytes, gen), {
        maxLineChars: max,
        onLongLine: (length) => long.push(length),
      });
      for await (const line of input) lines.push(line);
    } catch (error) {
      throw new Error(`case ${i} threw: ${error}`);
    }
    assertEquals(lines, expected.lines, `case ${i}`);
    assertEquals(long, expected.long, `case ${i}`);
  }
});

Deno.test("linesFromReadable splits \\r\\n across chunks and keeps the last unterminated line", async () => {
  const enc = new TextEncoder();
  const chunks = [
    enc.encode("/status\r"),
    enc.encode("\n/gate/adsr 1\r\n\r\n/mod/sine/fr"),
    enc.encode("eq 4"),
    enc.encode("40"),
  ];
  const lines: string[] = [];
  for await (const line of linesFromReadable(ReadableStream.from(chunks))) lines.push(line);
  assertEquals(lines, ["/status", "/gate/adsr 1", "", "/mod/sine/freq 440"]);
});

Deno.test("linesFromReadable decodes UTF-8 split across chunks and replaces invalid bytes", async () => {
  const euro = new TextEncoder().encode("€"); // 3 bytes
  const chunks = [euro.slice(0, 1), euro.slice(1), new Uint8Array([0xff, 0x0a, 0xe2, 0x82])];
  const lines: string[] = [];
  for await (const line of linesFromReadable(ReadableStream.from(chunks))) lines.push(line);
  assertEquals(lines, ["€\uFFFD", "\uFFFD"]);
});

Deno.test("linesFromReadable caps a huge line, reports its length, and the parser refuses it", async () => {
  const huge = new Uint8Array(1_000_000).fill(0x41);
  const tail = new TextEncoder().encode("\n/status\n");
  const long: number[] = [];
  const lines: string[] = [];
  const input = linesFromReadable(ReadableStream.from([huge, tail]), {
    onLongLine: (n) => long.push(n),
  });
  for await (const line of input) lines.push(line);
  assertEquals(lines.map((line) => line.length), [1001, 7]);
  assertEquals(long, [1_000_000]);
  const first = parseAddressLine(lines[0] ?? "");
  assert(!first.ok && first.error.includes("too long"));
});
