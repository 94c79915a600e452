/**
 * The OSC server and `chronus send`: the codec on its own, typed arguments,
 * replies and malformed packets from a separate process (tests/_osc_peer.ts,
 * encoding with osc-js), `send "<phrase>"` and `send -`, and a fuzz of
 * 100,000 random and mutated datagrams (every one answered, or counted and
 * dropped; the server keeps answering).
 */

import { deepStrictEqual as assertEquals, ok as assert, rejects } from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { fileURLToPath as fromFileUrl } from "node:url";
import { runDeno, type RunOutput } from "./_run.ts";
import type { CommandSpec } from "../engine/command.ts";
import type { EngineControl, EngineStatus, FaultName, SlotChoice } from "../engine/control.ts";
import { answerLine, runLineSession } from "../repl/line_session.ts";
import { CHRONUS_PARSERS, parseChronusLine } from "../repl/parsers.ts";
import {
  decodeOscPacket,
  encodeOscBundle,
  encodeOscMessage,
  MAX_BUNDLE_DEPTH,
  MAX_PACKET_MESSAGES,
  type OscArg,
  type OscPacket,
} from "../repl/osc_codec.ts";
import {
  answerDatagram,
  answerReply,
  float32Text,
  lineAnswerHandler,
  type OscHandler,
  oscMessageLine,
  type OscReply,
  type OscServer,
  startOscServer,
} from "../repl/osc_server.ts";
import {
  NoChronusError,
  replyLines,
  runSendCommand,
  sendLines,
  sendPhrase,
} from "../repl/osc_client.ts";
import type { PeerArg, PeerMessage, Step } from "./_osc_peer.ts";
import { seededRandom } from "./_random.ts";

const PEER = fromFileUrl(new URL("./_osc_peer.ts", import.meta.url));

const STATUS: EngineStatus = {
  backend: "null",
  device: "none",
  sampleRate: 48000,
  blockFrames: 128,
  activeSlot: 0,
  slots: [
    {
      index: 0,
      health: "active",
      generation: 1,
      renderedBlocks: 100,
      ringFill: 3,
      load: 0.05,
      voices: 2,
      guardFaults: 0,
    },
    {
      index: 1,
      health: "standby",
      generation: 1,
      renderedBlocks: 100,
      ringFill: 3,
      load: 0.05,
      voices: 2,
      guardFaults: 0,
    },
  ],
  failovers: 0,
  lastFailoverGap: -1,
  underruns: 0,
  blocksPlayed: 90,
  lateCommands: 0,
  outputLatencyMs: 0,
  dspLatencyMs: 0.25,
  outputPeak: 0.25,
  realtimeAudio: false,
  heapBytes: 20 * 1024 * 1024,
};

/** An engine that counts what it is asked. */
class FakeEngine implements EngineControl {
  sends = 0;
  faults = 0;
  send(_specs: readonly CommandSpec[]): void {
    this.sends++;
  }
  status(): EngineStatus {
    return STATUS;
  }
  injectFault(_fault: FaultName, _slot: SlotChoice): void {
    this.faults++;
  }
}

/** A handler answering like the terminal session, recording each line and its source. */
function recordingHandler(engine = new FakeEngine()) {
  const lines: string[] = [];
  const sources = new Set<string>();
  const inner = lineAnswerHandler({ engine, parse: parseChronusLine });
  const handle: OscHandler = (line, source) => {
    lines.push(line);
    sources.add(source);
    return inner(line, source);
  };
  return { handle, lines, sources, engine };
}

/** What the terminal session answers to `line`, as a `[status, text]` reply. */
function expectedReply(line: string): [string, string] {
  const reply = answerReply(
    answerLine(line, { engine: new FakeEngine(), parse: parseChronusLine }),
  );
  return [reply.ok ? "ok" : "error", reply.text];
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function ascii(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function runPeer(args: readonly string[], stdin = ""): Promise<RunOutput> {
  return runDeno(["--quiet", PEER, ...args], stdin);
}

async function freePort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

async function withServer(
  handle: OscHandler,
  use: (server: OscServer) => Promise<void>,
): Promise<void> {
  const server = await startOscServer({ port: 0, handle });
  try {
    await use(server);
  } finally {
    await server.close();
  }
}

// ---------------------------------------------------------------- codec

Deno.test("osc codec: every type round-trips, bundles nest, float32 prints short", () => {
  const args: OscArg[] = [
    { type: "i", value: -5 },
    { type: "f", value: Math.fround(0.8) },
    { type: "d", value: 550.5 },
    { type: "h", value: -(2n ** 40n) },
    { type: "t", value: 1n },
    { type: "s", value: "C4" },
    { type: "S", value: "ünïcode" },
    { type: "c", value: 65 },
    { type: "r", value: 0xff00ff00 },
    { type: "m", value: new Uint8Array([0, 0x90, 60, 100]) },
    { type: "b", value: new Uint8Array([1, 2, 3, 4, 5]) },
    { type: "T" },
    { type: "F" },
    { type: "N" },
    { type: "I" },
    { type: "[" },
    { type: "]" },
  ];
  const message = encodeOscMessage("/all/types", args);
  assertEquals(message.length % 4, 0);
  assertEquals(decodeOscPacket(message), {
    ok: true,
    packet: { kind: "message", address: "/all/types", args },
  });
  const inner = encodeOscBundle([encodeOscMessage("/b")], 42n);
  const outer = encodeOscBundle([encodeOscMessage("/a"), inner]);
  assertEquals(decodeOscPacket(outer), {
    ok: true,
    packet: {
      kind: "bundle",
      timetag: 1n,
      elements: [
        { kind: "message", address: "/a", args: [] },
        { kind: "bundle", timetag: 42n, elements: [{ kind: "message", address: "/b", args: [] }] },
      ],
    },
  });
  assertEquals(decodeOscPacket(encodeOscBundle([])), {
    ok: true,
    packet: { kind: "bundle", timetag: 1n, elements: [] },
  });
  assertEquals(
    [0.8, 440, 0.1, 1e-7, 3.14159, -0, 16777217, NaN, -Infinity].map((v) =>
      float32Text(Math.fround(v))
    ),
    ["0.8", "440", "0.1", "1e-7", "3.14159", "0", "16777216", "NaN", "-Infinity"],
  );
});

Deno.test("osc codec: malformed packets give a reason, never throw", () => {
  const good = encodeOscMessage("/a", [{ type: "i", value: 1 }]);
  const nested = (depth: number): Uint8Array =>
    depth === 0 ? encodeOscMessage("/x") : encodeOscBundle([nested(depth - 1)]);
  const cases: [Uint8Array, string][] = [
    [new Uint8Array(0), "empty packet"],
    [new Uint8Array([0x2f, 0x61, 0]), "packet size 3 is not a multiple of 4"],
    [new Uint8Array([1, 2, 3, 4]), 'packet starts with byte 1, neither "/" nor "#bundle"'],
    [ascii("/abc"), "address at byte 0 has no terminating NUL"],
    [ascii("/a\0x"), "address at byte 0 has non-zero padding"],
    [ascii("/a\0\0"), "message /a has no type tag string"],
    [ascii("/a\0\0i\0\0\0"), 'message /a has no type tag string (no ",")'],
    [ascii("/a\0\0,i\0\0"), "truncated int32 at byte 8: needs 4, 0 left"],
    [ascii("/a\0\0,x\0\0"), 'unknown type tag "x"'],
    [ascii("/a\0\0,\x01\0\0"), "unknown type tag U+0001"],
    [new Uint8Array([...good, 0, 0, 0, 0]), "4 bytes after the last argument"],
    [new Uint8Array([0x2f, 0xff, 0, 0, 0x2c, 0, 0, 0]), "address at byte 0 is not valid UTF-8"],
    [ascii("/a\0\0,b\0\0\0\0\0\x09abcd"), "blob at byte 8 has size 9, 4 bytes left"],
    [ascii("/a\0\0,b\0\0\0\0\0\x03abcd"), "blob at byte 8 has non-zero padding"],
    [ascii("#bundlX\0\0\0\0\0\0\0\0\x01"), 'packet starts with "#" but not with "#bundle"'],
    [ascii("#bundle\0\0\0\0\0"), "bundle shorter than its 16-byte header"],
    [
      new Uint8Array([...ascii("#bundle\0"), 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 16, ...good]),
      "bundle element at byte 16 has size 16, 12 bytes left",
    ],
    [
      new Uint8Array([...ascii("#bundle\0"), 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfc]),
      "bundle element at byte 16 has size -4, 0 bytes left",
    ],
    [nested(MAX_BUNDLE_DEPTH + 1), `bundles nested more than ${MAX_BUNDLE_DEPTH} deep`],
    [
      encodeOscBundle(
        Array.from({ length: MAX_PACKET_MESSAGES + 1 }, () => encodeOscMessage("/m")),
      ),
      `more than ${MAX_PACKET_MESSAGES} messages in one packet`,
    ],
  ];
  for (const [bytes, error] of cases) {
    assertEquals(decodeOscPacket(bytes), { ok: false, error }, hex(bytes));
  }
  assert(decodeOscPacket(nested(MAX_BUNDLE_DEPTH)).ok, "the deepest nesting allowed decodes");
});

// ------------------------------------------------------------ lines

Deno.test("osc lines: typed arguments become words; what cannot is an error", () => {
  const line = (address: string, args: OscArg[]) =>
    oscMessageLine({ kind: "message", address, args });
  assertEquals(line("/mod/sine/freq", [{ type: "f", value: 440 }]), "/mod/sine/freq 440");
  assertEquals(line("/mod/sine/freq", [{ type: "i", value: 660 }]), "/mod/sine/freq 660");
  assertEquals(line("/mod/sine/freq", [{ type: "d", value: 550.25 }]), "/mod/sine/freq 550.25");
  assertEquals(
    line("/inst/lead/note", [{ type: "s", value: "C4" }, { type: "f", value: Math.fround(0.8) }]),
    "/inst/lead/note C4 0.8",
  );
  assertEquals(line("/inst/lead/note", [{ type: "h", value: 60n }]), "/inst/lead/note 60");
  assertEquals(line("/gate/adsr", [{ type: "T" }]), "/gate/adsr 1");
  assertEquals(line("/gate/adsr", [{ type: "F" }]), "/gate/adsr 0");
  assertEquals(line("/status", []), "/status");
  assertEquals(
    line("/chronus/say", [{ type: "s", value: "/inst/lead/note C4 0.8" }]),
    "/inst/lead/note C4 0.8",
  );
  const errors: [string, OscArg[], string][] = [
    ["/chronus/say", [], "/chronus/say takes one string, the command line; got ,"],
    [
      "/chronus/say",
      [{ type: "s", value: "a" }, { type: "s", value: "b" }],
      "/chronus/say takes one string, the command line; got ,ss",
    ],
    [
      "/chronus/say",
      [{ type: "i", value: 1 }],
      "/chronus/say takes one string, the command line; got ,i",
    ],
    [
      "/x",
      [{ type: "b", value: new Uint8Array(1) }],
      "/x: argument 1 is an OSC blob (,b); Chronus takes i, h, f, d, s, S, T and F",
    ],
    [
      "/x",
      [{ type: "i", value: 1 }, { type: "N" }],
      "/x: argument 2 is an OSC nil (,N); Chronus takes i, h, f, d, s, S, T and F",
    ],
    [
      "/x",
      [{ type: "s", value: "C4 0.8" }],
      '/x: argument 1 must be one word (no spaces, not empty, not starting with #), got "C4 0.8"; send whole lines with /chronus/say',
    ],
    [
      "/x",
      [{ type: "s", value: "" }],
      '/x: argument 1 must be one word (no spaces, not empty, not starting with #), got ""; send whole lines with /chronus/say',
    ],
    [
      "/x",
      [{ type: "s", value: "#c" }],
      '/x: argument 1 must be one word (no spaces, not empty, not starting with #), got "#c"; send whole lines with /chronus/say',
    ],
    [
      "/x 1",
      [],
      'OSC address "/x 1" contains spaces; send whole lines with /chronus/say',
    ],
  ];
  for (const [address, args, text] of errors) {
    assertEquals(line(address, args), { ok: false, text }, address);
  }
});

Deno.test("osc replies match the terminal session line for line", async () => {
  const lines = [
    "/mod/sine/freq 440",
    "/status",
    "",
    "# a comment",
    "/mod/sine/freq 99999",
    "/nope 1",
    "/inst/lead/note C4 0.8",
    "/fault/kill standby",
  ];
  const session: string[] = [];
  await runLineSession({
    engine: new FakeEngine(),
    parsers: CHRONUS_PARSERS,
    input: (async function* () {
      yield* lines;
    })(),
    write: (line) => session.push(line),
  });
  const handle = lineAnswerHandler({ engine: new FakeEngine(), parse: parseChronusLine });
  const viaOsc = lines.flatMap((line) => replyLines(handle(line, "127.0.0.1:1")));
  assertEquals(viaOsc, session);
  assert(session.length > lines.length, "/status has detail lines");
});

Deno.test("osc /quit is refused unless the server owner takes it", () => {
  const refusing = lineAnswerHandler({ engine: new FakeEngine(), parse: parseChronusLine });
  assertEquals(refusing("/quit", "127.0.0.1:1"), {
    ok: false,
    text: "/quit is not taken over OSC; quit from the terminal running Chronus",
  });
  const quits: string[] = [];
  const taking = lineAnswerHandler({
    engine: new FakeEngine(),
    parse: parseChronusLine,
    onQuit: (source) => quits.push(source),
  });
  assertEquals(taking("/quit", "127.0.0.1:2"), { ok: true, text: "bye" });
  assertEquals(quits, ["127.0.0.1:2"]);
});

Deno.test("osc datagrams: a throwing handler is an error reply; /chronus/reply is ignored", () => {
  const throwing: OscHandler = () => {
    throw new Error("boom\nsecond line");
  };
  assertEquals(answerDatagram(encodeOscMessage("/status"), "s", throwing), {
    kind: "answered",
    replies: [{ ok: false, text: "handler failed: boom second line" }],
    ignored: 0,
  });
  const reply = encodeOscMessage("/chronus/reply", [
    { type: "s", value: "ok" },
    { type: "s", value: "x" },
  ]);
  assertEquals(answerDatagram(encodeOscBundle([reply, reply]), "s", throwing), {
    kind: "answered",
    replies: [],
    ignored: 2,
  });
});

// ------------------------------------------------- a separate process

Deno.test("osc from a separate process: typed arguments, a bundle, replies, malformed packets", async () => {
  const recorder = recordingHandler();
  await withServer(recorder.handle, async (server) => {
    const msg = (address: string, ...args: PeerArg[]): PeerMessage => ({ address, args });
    const steps: Step[] = [
      { message: msg("/mod/sine/freq", { type: "f", value: 440.0 }) },
      { message: msg("/mod/sine/freq", { type: "i", value: 660 }) },
      { message: msg("/mod/sine/freq", { type: "d", value: 550.5 }) },
      { message: msg("/inst/lead/note", { type: "s", value: "C4" }, { type: "f", value: 0.8 }) },
      { message: msg("/inst/lead/note", { type: "i", value: 60 }) },
      { message: msg("/inst/bass/off", { type: "h", value: "48" }) },
      { message: msg("/gate/adsr", { type: "T" }) },
      { message: msg("/gate/adsr", { type: "F" }) },
      { message: msg("/chronus/say", { type: "s", value: "/inst/lead/note F#3 0.5" }) },
      { message: msg("/chronus/say", { type: "s", value: "/mod/sine/freq 99999" }) },
      { message: msg("/nope", { type: "i", value: 1 }) },
      { message: msg("/mod/sine/freq", { type: "b", value: [1, 2, 3] }) },
      { message: msg("/mod/sine/freq", { type: "N" }) },
      {
        bundle: [
          msg("/mod/sine/gain", { type: "f", value: 0.5 }),
          msg("/chronus/say", { type: "s", value: "/status" }),
          msg("/mod/filter/cutoff", { type: "i", value: 800 }),
        ],
      },
      // Malformed: no reply, counted.
      { hex: "deadbeef" },
      { hex: "2f6100" },
      { hex: hex(ascii("/a\0\0")) },
      { hex: hex(ascii("/a\0\0,i\0\0")) },
      { hex: hex(ascii("/a\0\0,x\0\0")) },
      { hex: hex(ascii("#bundle\0\0\0\0\0")) },
      { hex: hex(ascii("/mod/sine/freq\0\0,f\0\0\0\0\0\0\0\0\0\0")) },
      // Still answering.
      { message: msg("/mod/sine/freq", { type: "f", value: 330 }) },
    ];
    const peer = await runPeer(["scenario", String(server.port)], JSON.stringify(steps));
    assertEquals(peer.code, 0, peer.stderr);
    const handled = [
      "/mod/sine/freq 440",
      "/mod/sine/freq 660",
      "/mod/sine/freq 550.5",
      "/inst/lead/note C4 0.8",
      "/inst/lead/note 60",
      "/inst/bass/off 48",
      "/gate/adsr 1",
      "/gate/adsr 0",
      "/inst/lead/note F#3 0.5",
      "/mod/sine/freq 99999",
      "/nope 1",
      "/mod/sine/gain 0.5",
      "/status",
      "/mod/filter/cutoff 800",
      "/mod/sine/freq 330",
    ];
    assertEquals(recorder.lines, handled);
    assertEquals(recorder.sources.size, 1, "every message came from one peer socket");
    const replies = JSON.parse(peer.stdout) as [string, string][];
    const expected = handled.map(expectedReply);
    // The blob and nil messages are answered by the server without reaching the handler.
    expected.splice(11, 0, [
      "error",
      "/mod/sine/freq: argument 1 is an OSC blob (,b); Chronus takes i, h, f, d, s, S, T and F",
    ], [
      "error",
      "/mod/sine/freq: argument 1 is an OSC nil (,N); Chronus takes i, h, f, d, s, S, T and F",
    ]);
    assertEquals(replies, expected);
    assertEquals(replies[0], ["ok", "sine freq 440 Hz"]);
    assertEquals(replies[9]?.[0], "error");
    assertEquals(replies[10]?.[0], "error");
    assert(replies[14]?.[1].startsWith("status\n  "), "/status in a bundle has its details");
    assertEquals(server.stats, {
      received: steps.length,
      answered: expected.length,
      malformed: 7,
      ignored: 0,
      sendErrors: 0,
    });
    assertEquals(recorder.engine.sends, handled.length - 3); // not: 99999, /nope, /status
  });
});

// ------------------------------------------------------ chronus send

Deno.test("sendPhrase and sendLines talk to a running server", async () => {
  const recorder = recordingHandler();
  await withServer(recorder.handle, async (server) => {
    const options = { port: server.port, timeoutMs: 2000 };
    assertEquals(await sendPhrase("/mod/sine/freq 440", options), {
      ok: true,
      text: "sine freq 440 Hz",
    });
    assertEquals((await sendPhrase("/mod/sine/freq x", options)).ok, false);
    const lines = ["/test", "", "/status", "/nope", "/inst/lead/note C4 0.8"];
    const out: string[] = [];
    const result = await sendLines(
      (async function* () {
        yield* lines;
      })(),
      { ...options, write: (line) => out.push(line) },
    );
    assertEquals(result, { lines: 5, failures: 1, reached: true });
    const session: string[] = [];
    await runLineSession({
      engine: new FakeEngine(),
      parsers: CHRONUS_PARSERS,
      input: (async function* () {
        yield* lines;
      })(),
      write: (line) => session.push(line),
    });
    assertEquals(out, session);
    assertEquals(recorder.lines, ["/mod/sine/freq 440", "/mod/sine/freq x", ...lines]);
  });
});

Deno.test("sendPhrase with nothing listening says so", async () => {
  const port = await freePort();
  const started = Date.now();
  await rejects(
    sendPhrase("/status", { port, timeoutMs: 200 }),
    (error: unknown) =>
      error instanceof NoChronusError &&
      error.message === `no Chronus listening on 127.0.0.1:${port} (start it with bin/chronus)`,
  );
  assert(Date.now() - started < 1500);
  const out: string[] = [];
  const result = await sendLines(
    (async function* () {
      yield "/status";
      yield "/test";
    })(),
    { port, timeoutMs: 200, write: (line) => out.push(line) },
  );
  assertEquals(result, { lines: 1, failures: 1, reached: false });
  assertEquals(out, [
    `error  no Chronus listening on 127.0.0.1:${port} (start it with bin/chronus)`,
  ]);
});

Deno.test("chronus send: usage errors", async () => {
  const run = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runSendCommand(args, {
      write: (line) => out.push(line),
      error: (line) => err.push(line),
      readLines: () => {
        throw new Error("stdin must not be read");
      },
    });
    return { code, out, err };
  };
  assertEquals(await run([]), {
    code: 2,
    out: [],
    err: [
      'chronus send: say what to send: chronus send "<phrase>", or chronus send - to read phrases from stdin (see chronus send --help)',
    ],
  });
  assertEquals((await run(["/status", "--osc-port", "70000"])).err, [
    'chronus send: --osc-port must be a whole number from 1 to 65535, got "70000" (see chronus send --help)',
  ]);
  assertEquals((await run(["/status", "--timeout", "0"])).code, 2);
  assertEquals((await run(["/status", "--bogus"])).code, 2);
  const help = await run(["--help"]);
  assertEquals(help.code, 0);
  assert(help.out[0]?.startsWith("usage:"));
});

Deno.test("chronus send from a separate process: a phrase, stdin, exit status, no server", async () => {
  const recorder = recordingHandler();
  await withServer(recorder.handle, async (server) => {
    const port = String(server.port);
    const one = await runPeer(["send", "/mod/sine/freq", "440", "--osc-port", port], "");
    assertEquals([one.code, one.stdout, one.stderr], [0, "ok  sine freq 440 Hz\n", ""]);
    const many = await runPeer(
      ["send", "-", "--osc-port", port, "--osc-host", "127.0.0.1"],
      "/test\n# comment\n/mod/sine/freq 99999\n/gate/adsr 0\n",
    );
    assertEquals(many.code, 1, many.stderr);
    assertEquals(many.stdout.trimEnd().split("\n"), [
      "ok  test tone: sine 440 Hz, gain 0.5, gate on",
      expectedReply("/mod/sine/freq 99999").join("  "),
      "ok  gate off",
    ]);
  });
  const port = await freePort();
  const none = await runPeer(
    ["send", "/status", "--osc-port", String(port), "--timeout", "300"],
    "",
  );
  assertEquals([none.code, none.stdout], [
    3,
    `error  no Chronus listening on 127.0.0.1:${port} (start it with bin/chronus)\n`,
  ]);
});

Deno.test("osc server: a taken port is a clear error", async () => {
  await withServer(() => ({ ok: true, text: "" }), async (server) => {
    await rejects(
      startOscServer({ port: server.port, handle: () => ({ ok: true, text: "" }) }),
      /^Error: cannot listen for OSC on 127\.0\.0\.1:\d+: .*EADDRINUSE/,
    );
  });
  await rejects(
    startOscServer({ port: 65536, handle: () => ({ ok: true, text: "" }) }),
    RangeError,
  );
});

// ------------------------------------------------------------- fuzz

const FUZZ_CASES = 100_000;
const FUZZ_OVER_UDP = 3_000;
const FLOOD = 10_000;

/** Valid packets to mutate: every argument type, bundles, say, reply, long strings. */
function corpus(): Uint8Array[] {
  const say = (line: string) => encodeOscMessage("/chronus/say", [{ type: "s", value: line }]);
  const messages = [
    encodeOscMessage("/mod/sine/freq", [{ type: "f", value: 440 }]),
    encodeOscMessage("/mod/sine/freq", [{ type: "i", value: 660 }]),
    encodeOscMessage("/inst/lead/note", [{ type: "s", value: "C4" }, { type: "f", value: 0.8 }]),
    encodeOscMessage("/inst/lead/note", [{ type: "h", value: 60n }, { type: "d", value: 0.5 }]),
    encodeOscMessage("/gate/adsr", [{ type: "T" }]),
    encodeOscMessage("/x", [{ type: "b", value: new Uint8Array([1, 2, 3, 4, 5, 6]) }]),
    encodeOscMessage("/x", [{ type: "N" }, { type: "I" }, { type: "t", value: 5n }]),
    encodeOscMessage("/status"),
    encodeOscMessage("/chronus/reply", [{ type: "s", value: "ok" }, { type: "s", value: "" }]),
    say("/inst/lead/note C4 0.8"),
    say("/quit"),
    say("x".repeat(1200)),
  ];
  return [
    ...messages,
    encodeOscBundle(messages.slice(0, 4)),
    encodeOscBundle([messages[0] as Uint8Array, encodeOscBundle(messages.slice(7, 10))]),
  ];
}

/** One fuzz datagram: pure garbage, or a valid packet with a few mutations. */
function fuzzDatagram(random: () => number, seeds: readonly Uint8Array[]): Uint8Array {
  const int = (n: number) => Math.floor(random() * n);
  if (random() < 0.3) {
    const length = random() < 0.5 ? 4 * int(20) : int(80);
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) bytes[i] = int(256);
    if (length > 0 && random() < 0.5) bytes[0] = random() < 0.5 ? 0x2f : 0x23;
    return bytes;
  }
  let bytes = (seeds[int(seeds.length)] as Uint8Array).slice();
  for (let m = 1 + int(3); m > 0; m--) {
    const at = int(bytes.length + 1);
    switch (int(6)) {
      case 0: // flip a bit
        if (bytes.length > 0) {
          bytes[at % bytes.length] = (bytes[at % bytes.length] ?? 0) ^ (1 << int(8));
        }
        break;
      case 1: // a random byte
        if (bytes.length > 0) bytes[at % bytes.length] = int(256);
        break;
      case 2: // truncate, often keeping alignment
        bytes = bytes.slice(0, random() < 0.5 ? at & ~3 : at);
        break;
      case 3: { // insert 4 random bytes
        const insert = Array.from({ length: 4 }, () => int(256));
        bytes = new Uint8Array([...bytes.slice(0, at & ~3), ...insert, ...bytes.slice(at & ~3)]);
        break;
      }
      case 4: // a nasty size or int field
        if (bytes.length >= 4) {
          new DataView(bytes.buffer).setInt32(
            Math.min(at, bytes.length - 4) & ~3,
            [0, -1, 4, 0x7fffffff, -0x80000000, int(64)][int(6)] as number,
          );
        }
        break;
      default: // a type tag swapped for another
        if (bytes.length > 0) {
          bytes[at % bytes.length] = "ifsbhtdSTFNI[]cmrx,/#\0".charCodeAt(int(22));
        }
    }
  }
  return bytes;
}

function encodePacket(packet: OscPacket): Uint8Array {
  return packet.kind === "message"
    ? encodeOscMessage(packet.address, packet.args)
    : encodeOscBundle(packet.elements.map(encodePacket), packet.timetag);
}

function countMessages(packet: OscPacket): number {
  return packet.kind === "message"
    ? 1
    : packet.elements.reduce((sum, element) => sum + countMessages(element), 0);
}

Deno.test("osc fuzz: 100,000 random datagrams are each answered or counted and dropped", async () => {
  const random = seededRandom(0x05c_f022);
  const seeds = corpus();
  const engine = new FakeEngine();
  const handle = lineAnswerHandler({ engine, parse: parseChronusLine });
  const datagrams = Array.from({ length: FUZZ_CASES }, () => fuzzDatagram(random, seeds));
  let malformed = 0;
  let replies = 0;
  let decodedPackets = 0;
  for (const bytes of datagrams) {
    const outcome = answerDatagram(bytes, "127.0.0.1:9", handle);
    const decoded = decodeOscPacket(bytes);
    if (outcome.kind === "malformed") {
      malformed++;
      assert(!decoded.ok);
      assert(/^[ -~]+$/.test(outcome.error), `one printable line: ${outcome.error}`);
      continue;
    }
    assert(decoded.ok);
    decodedPackets++;
    replies += outcome.replies.length;
    assertEquals(outcome.replies.length + outcome.ignored, countMessages(decoded.packet));
    for (const reply of outcome.replies) {
      assert(typeof reply.text === "string" && !reply.text.includes("\0"));
    }
    // What decodes re-encodes to the same bytes (the decoder is exact, not lenient).
    assertEquals(hex(encodePacket(decoded.packet)), hex(bytes));
  }
  assert(malformed > FUZZ_CASES / 3, `mostly malformed: ${malformed}`);
  assert(decodedPackets > FUZZ_CASES / 20, `some still decode: ${decodedPackets}`);
  assert(replies > 0);

  // A slice of them over UDP, in batches the socket buffer holds, then a valid message.
  const overUdp = datagrams.slice(0, FUZZ_OVER_UDP);
  let expectedReplies = 0;
  let expectedMalformed = 0;
  for (const bytes of overUdp) {
    const outcome = answerDatagram(bytes, "", handle);
    if (outcome.kind === "malformed") expectedMalformed++;
    else expectedReplies += outcome.replies.length;
  }
  await withServer(handle, async (server) => {
    const socket: Socket = createSocket("udp4");
    let received = 0;
    socket.on("message", () => received++);
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
    try {
      const waitFor = async (done: () => boolean) => {
        const deadline = Date.now() + 3000;
        while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
      };
      for (let i = 0; i < overUdp.length; i += 100) {
        const batch = overUdp.slice(i, i + 100);
        for (const bytes of batch) socket.send(bytes, server.port, "127.0.0.1");
        await waitFor(() => server.stats.received === i + batch.length);
      }
      await waitFor(() => received === expectedReplies);
      assertEquals(server.stats.received, FUZZ_OVER_UDP);
      assertEquals(server.stats.malformed, expectedMalformed);
      assertEquals(server.stats.answered, expectedReplies);
      assertEquals(received, expectedReplies);
    } finally {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    }
    let after: OscReply = await sendPhrase("/mod/sine/freq 220", { port: server.port });
    assertEquals(after, { ok: true, text: "sine freq 220 Hz" });

    // A flood: the rest sent as fast as the socket takes them, no waiting. The
    // kernel may drop some; the server must count what it gets and keep answering.
    const flood = createSocket("udp4");
    await new Promise<void>((resolve) => flood.bind(0, "127.0.0.1", () => resolve()));
    const before = server.stats;
    try {
      const rest = datagrams.slice(FUZZ_OVER_UDP, FUZZ_OVER_UDP + FLOOD);
      await Promise.all(
        rest.map((bytes) =>
          new Promise<void>((resolve) =>
            flood.send(bytes, server.port, "127.0.0.1", () => resolve())
          )
        ),
      );
      let last = -1;
      while (server.stats.received !== last) {
        last = server.stats.received;
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await new Promise<void>((resolve) => flood.close(() => resolve()));
    }
    const got = server.stats.received - before.received;
    assert(got > FLOOD / 10 && got <= FLOOD, `flood datagrams received: ${got}`);
    assert(server.stats.malformed - before.malformed <= got);
    after = await sendPhrase("/mod/sine/freq 110", { port: server.port });
    assertEquals(after, { ok: true, text: "sine freq 110 Hz" });
  });
});
