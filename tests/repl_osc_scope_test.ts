/**
 * The `/chronus/scope` OSC query end to end: the server answers with the
 * engine's newest samples (checked against the offline engine's own scope,
 * bit for bit), through Chronus's client and through osc-js in a separate
 * process (tests/_osc_peer.ts); bad requests get error replies; replies stay
 * under 8 KiB; `chronus monitor` draws what it receives.
 */

import { assert, assertEquals } from "./_assert.ts";
import { createSocket } from "node:dgram";
import { fileURLToPath as fromFileUrl } from "node:url";
import { runDeno, type RunOutput } from "./_run.ts";
import { OfflineEngine } from "../engine/offline.ts";
import { setParam } from "../engine/command.ts";
import { SynthParam } from "../dsp/params.ts";
import { RackTarget } from "../dsp/rack.ts";
import { answerLine } from "../repl/line_session.ts";
import { parseChronusLine } from "../repl/parsers.ts";
import { encodeOscBundle, encodeOscMessage } from "../repl/osc_codec.ts";
import {
  answerReply,
  lineAnswerHandler,
  type OscServer,
  startOscServer,
} from "../repl/osc_server.ts";
import {
  answerScope,
  decodeScopeReply,
  DEFAULT_SCOPE_FRAMES,
  encodeScopeReply,
  MAX_SCOPE_FRAMES,
  SCOPE_ADDRESS,
  SCOPE_REPLY_ADDRESS,
  scopeRequestFrames,
} from "../repl/osc_scope.ts";
import { ChronusConnection, requestScope } from "../repl/osc_client.ts";
import { decodeOscPacket } from "../repl/osc_codec.ts";
import { beatPosition, beatText, runMonitor } from "../repl/monitor.ts";
import { scopeText } from "../repl/scope_text.ts";
import type { PeerScopeReply, Step } from "./_osc_peer.ts";

const PEER = fromFileUrl(new URL("./_osc_peer.ts", import.meta.url));
const RATE = 48000;
const BLOCK = 128;
const TONE = [
  setParam(SynthParam.SineFreq, 440, RackTarget.MiniSynth),
  setParam(SynthParam.SineGain, 0.5, RackTarget.MiniSynth),
  setParam(SynthParam.Gate, 1, RackTarget.MiniSynth),
];

/** An offline engine that has played `blocks` blocks of a 440 Hz tone. */
function playing(blocks = 40): OfflineEngine {
  const engine = new OfflineEngine({ sampleRate: RATE, blockFrames: BLOCK });
  engine.send(TONE);
  engine.renderFrames(blocks * BLOCK);
  return engine;
}

/** The engine's own scope of `frames` samples: what a reply must carry. */
function ownScope(engine: OfflineEngine, frames: number): Float32Array {
  const out = new Float32Array(frames);
  const { frames: real } = engine.scope(out);
  return out.subarray(frames - real);
}

function bits(samples: Float32Array): number[] {
  return Array.from(new Uint32Array(samples.slice().buffer));
}

async function withScopeServer(
  engine: OfflineEngine,
  use: (server: OscServer) => Promise<void>,
  options: { readonly scope?: boolean; readonly patchState?: () => unknown } = {},
): Promise<void> {
  const server = await startOscServer({
    port: 0,
    handle: lineAnswerHandler({
      engine,
      parse: parseChronusLine,
      ...(options.patchState === undefined ? {} : { patchState: options.patchState }),
    }),
    ...(options.scope === false ? {} : { scope: engine }),
  });
  try {
    await use(server);
  } finally {
    await server.close();
  }
}

function runPeer(args: readonly string[], stdin = ""): Promise<RunOutput> {
  return runDeno(["--quiet", PEER, ...args], stdin);
}

Deno.test("/chronus/scope over UDP answers the engine's newest samples, between phrases", async () => {
  const engine = playing();
  await withScopeServer(engine, async (server) => {
    const chronus = await ChronusConnection.open({ port: server.port, timeoutMs: 2000 });
    try {
      const answer = await chronus.scope(DEFAULT_SCOPE_FRAMES);
      assert(answer.ok, "a scope reply");
      assertEquals(answer.data.sampleRate, RATE);
      assertEquals(answer.data.endFrame, engine.frames);
      assertEquals(bits(answer.data.samples), bits(ownScope(engine, DEFAULT_SCOPE_FRAMES)));
      assert(answer.data.samples.some((x) => Math.abs(x) > 0.1), "the tone, not silence");
      const status = await chronus.ask("/status");
      assert(status.ok && status.text.startsWith("status\n"), status.text);
      engine.renderFrames(3 * BLOCK); // the window moves on with the engine
      const later = await chronus.scope(100);
      assert(later.ok);
      assertEquals(later.data.endFrame, 43 * BLOCK);
      assertEquals(bits(later.data.samples), bits(ownScope(engine, 100)));
    } finally {
      await chronus.close();
    }
    const most = await requestScope({ port: server.port, frames: MAX_SCOPE_FRAMES });
    assert(most.ok);
    assertEquals(bits(most.data.samples), bits(ownScope(engine, MAX_SCOPE_FRAMES)));
    assertEquals(server.stats.received, 4);
    assertEquals(server.stats.answered, 4);
    assertEquals(server.stats.malformed, 0);
  });
});

Deno.test("/chronus/scope from osc-js in a separate process: ,ihb with big-endian float32", async () => {
  const engine = playing();
  await withScopeServer(engine, async (server) => {
    for (const frames of [512, undefined]) {
      const peer = await runPeer(
        ["scope", String(server.port), ...(frames === undefined ? [] : [String(frames)])],
      );
      assertEquals(peer.code, 0, peer.stderr);
      const reply = JSON.parse(peer.stdout) as PeerScopeReply;
      const expected = ownScope(engine, frames ?? DEFAULT_SCOPE_FRAMES);
      assertEquals(reply, {
        address: SCOPE_REPLY_ADDRESS,
        types: ",ihb",
        args: [RATE, String(engine.frames), Array.from(expected)],
      });
    }
    // Bad requests get the usual error reply, from the line path's address.
    const bad = [
      { type: "i", value: 0 },
      { type: "i", value: MAX_SCOPE_FRAMES + 1 },
      { type: "s", value: "all" },
    ] as const;
    const steps: Step[] = bad.map((arg) => ({ message: { address: SCOPE_ADDRESS, args: [arg] } }));
    const peer = await runPeer(["scenario", String(server.port)], JSON.stringify(steps));
    assertEquals(peer.code, 0, peer.stderr);
    const expected = bad.map((arg) => {
      const refusal = scopeRequestFrames({ kind: "message", address: SCOPE_ADDRESS, args: [arg] });
      assert(typeof refusal !== "number");
      return ["error", refusal.text];
    });
    assertEquals(JSON.parse(peer.stdout), expected);
    assertEquals(
      expected.map(([, text]) => /got (.*)$/.exec(text ?? "")?.[1]),
      ["0", String(MAX_SCOPE_FRAMES + 1), ",s"],
    );
  });
});

Deno.test("/chronus/scope: without a scope source it is an unknown command; malformed is dropped", async () => {
  const engine = playing(2);
  await withScopeServer(engine, async (server) => {
    const chronus = await ChronusConnection.open({ port: server.port, timeoutMs: 2000 });
    try {
      const answer = await chronus.scope(64);
      const line = answerReply(
        answerLine(`${SCOPE_ADDRESS} 64`, { engine, parse: parseChronusLine }),
      );
      assertEquals(line.ok, false);
      assertEquals(answer, { ok: false, text: line.text });
    } finally {
      await chronus.close();
    }
  }, { scope: false });
  await withScopeServer(engine, async (server) => {
    const socket = createSocket("udp4");
    const replies: Uint8Array[] = [];
    socket.on("message", (data: Uint8Array) => replies.push(data));
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
    try {
      const request = encodeOscMessage(SCOPE_ADDRESS);
      const garbage = new Uint8Array([...request.subarray(0, 16), 0x2c, 0x69, 0, 0]); // ,i and no int
      const bundled = encodeOscBundle([request]);
      for (const bytes of [garbage, bundled, request]) {
        await new Promise<void>((resolve) =>
          socket.send(bytes, server.port, "127.0.0.1", () => resolve())
        );
      }
      const deadline = Date.now() + 3000;
      while (replies.length < 2 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      assertEquals(server.stats.malformed, 1, "the truncated request is dropped");
      const decoded = replies.map((bytes) => decodeOscPacket(bytes));
      const [inBundle, alone] = decoded.map((d) =>
        d.ok && d.packet.kind === "message" ? d.packet : undefined
      );
      // A scope query inside a bundle goes down the line path: an unknown command.
      assertEquals(inBundle?.address, "/chronus/reply");
      assertEquals(inBundle?.args[0], { type: "s", value: "error" });
      const data = alone === undefined ? undefined : decodeScopeReply(alone);
      assertEquals(data?.samples.length, 2 * BLOCK, "only the frames rendered so far");
      assertEquals(bits(data?.samples ?? new Float32Array()), bits(ownScope(engine, 1024)));
    } finally {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    }
  });
});

Deno.test("scope replies: exact round trip, under 8 KiB, errors instead of throws", () => {
  const samples = Float32Array.from(
    { length: MAX_SCOPE_FRAMES },
    (_, i) => Math.sin(i) * 0.9 - 1e-7 * i,
  );
  const bytes = encodeScopeReply({ sampleRate: 44100, endFrame: 2 ** 40 + 3, samples });
  assertEquals(bytes.length, 48 + 4 * MAX_SCOPE_FRAMES);
  assert(bytes.length <= 8192, `${bytes.length} bytes`);
  const decoded = decodeOscPacket(bytes);
  assert(decoded.ok && decoded.packet.kind === "message");
  const data = decodeScopeReply(decoded.packet);
  assertEquals(data?.sampleRate, 44100);
  assertEquals(data?.endFrame, 2 ** 40 + 3);
  assertEquals(bits(data?.samples ?? new Float32Array()), bits(samples));
  const request = (frames?: number) => ({
    kind: "message" as const,
    address: SCOPE_ADDRESS,
    args: frames === undefined ? [] : [{ type: "i" as const, value: frames }],
  });
  const source = {
    sampleRate: RATE,
    scope: (out: Float32Array) => {
      out.fill(0.25);
      return { frames: Math.min(out.length, 300), endFrame: 9600 };
    },
  };
  const answer = answerScope(request(), source);
  assert(answer.ok);
  assertEquals(answer.data.samples.length, 300, "only the frames the engine had");
  assertEquals(answer.data.endFrame, 9600);
  assertEquals(encodeScopeReply(answer.data).length, 48 + 4 * 300);
  const failing = {
    sampleRate: RATE,
    scope: (): never => {
      throw new Error("no rings");
    },
  };
  assertEquals(answerScope(request(64), failing), { ok: false, text: "scope failed: no rings" });
  assertEquals(scopeRequestFrames(request()), DEFAULT_SCOPE_FRAMES);
  assertEquals(scopeRequestFrames(request(MAX_SCOPE_FRAMES)), MAX_SCOPE_FRAMES);
  assertEquals(
    scopeRequestFrames(request(-3)),
    {
      ok: false,
      text:
        `/chronus/scope takes nothing or one int32, the frames wanted (1 to ${MAX_SCOPE_FRAMES}); got -3`,
    },
  );
});

Deno.test("runMonitor draws the scope and the beat from what Chronus answers", async () => {
  const engine = playing();
  const tempo = 120;
  await withScopeServer(engine, async (server) => {
    const frames: string[] = [];
    await runMonitor({
      port: server.port,
      frames: 2,
      intervalMs: 5,
      draw: (frame) => frames.push(frame),
      stop: new Promise(() => {}),
      layout: { cols: 40, scopeRows: 5, spectrumRows: 3 },
    });
    assertEquals(frames.length, 2);
    const lines = (frames[1] ?? "").split("\n");
    const samples = ownScope(engine, DEFAULT_SCOPE_FRAMES);
    const position = beatPosition(engine.frames, { sampleRate: RATE, tempo });
    assert(position !== undefined);
    assert(
      lines.includes(`tempo ${tempo} bpm   ${beatText(position)}   focus lead`),
      lines.join("\n"),
    );
    const at = lines.findIndex((line) => line.startsWith("scope  "));
    assert(at > 0, lines.join("\n"));
    assertEquals(
      lines.slice(at + 1, at + 6),
      scopeText(samples, { cols: 40, rows: 5, windowFrames: DEFAULT_SCOPE_FRAMES / 2 }),
    );
    assert(lines.some((line) => line.startsWith("backend offline")), "the engine status");
  }, { patchState: () => ({ tempo, focus: "lead" }) });
});

Deno.test("runMonitor with no Chronus listening says it is waiting", async () => {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  const frames: string[] = [];
  await runMonitor({
    port,
    frames: 1,
    draw: (frame) => frames.push(frame),
    stop: new Promise(() => {}),
  });
  assertEquals(frames[0]?.split("\n").slice(1), ["", "waiting for Chronus…"]);
});
