import assert from "node:assert/strict";
import {
  encodeOscMessage,
  encodeSynthDefFile,
  FIRST_NODE_ID,
  oscTimeTag,
  renderNrt,
  scsynthVersion,
  VOICE_DEF_NAME,
  voiceScore,
  voiceSynthDef,
} from "../bench/_scsynth.ts";
import { decodeWav } from "../engine/wav.ts";
import { magnitudeSpectrum, maxAbs, peakFrequency } from "./_spectrum.ts";

/** Big-endian reader over a byte array. */
class Reader {
  readonly view: DataView;
  pos = 0;
  constructor(readonly bytes: Uint8Array, start = 0) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
  }
  int8(): number {
    return this.view.getInt8(this.pos++);
  }
  int16(): number {
    const x = this.view.getInt16(this.pos);
    this.pos += 2;
    return x;
  }
  int32(): number {
    const x = this.view.getInt32(this.pos);
    this.pos += 4;
    return x;
  }
  uint32(): number {
    const x = this.view.getUint32(this.pos);
    this.pos += 4;
    return x;
  }
  float32(): number {
    const x = this.view.getFloat32(this.pos);
    this.pos += 4;
    return x;
  }
  text(n: number): string {
    const s = new TextDecoder().decode(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
  pstring(): string {
    return this.text(this.view.getUint8(this.pos++));
  }
  /** An OSC string: NUL-terminated, padded to 4 bytes. */
  oscString(): string {
    const end = this.bytes.indexOf(0, this.pos);
    const s = this.text(end - this.pos);
    this.pos = (end + 4) & ~3;
    return s;
  }
}

interface ParsedUgen {
  name: string;
  rate: number;
  inputs: [number, number][];
  outputs: number[];
  special: number;
}

/** Parse a one-def SynthDef file (version 2) the way the server reads it. */
function parseSynthDefFile(bytes: Uint8Array) {
  const r = new Reader(bytes);
  const magic = r.text(4);
  const version = r.int32();
  const defs = r.int16();
  const name = r.pstring();
  const constants = Array.from({ length: r.int32() }, () => r.float32());
  const values = Array.from({ length: r.int32() }, () => r.float32());
  const names = Array.from({ length: r.int32() }, () => ({ name: r.pstring(), index: r.int32() }));
  const ugens: ParsedUgen[] = Array.from({ length: r.int32() }, () => {
    const name = r.pstring();
    const rate = r.int8();
    const inputCount = r.int32();
    const outputCount = r.int32();
    const special = r.int16();
    const inputs = Array.from({ length: inputCount }, (): [number, number] => [
      r.int32(),
      r.int32(),
    ]);
    const outputs = Array.from({ length: outputCount }, () => r.int8());
    return { name, rate, inputs, outputs, special };
  });
  const variants = r.int16();
  return { magic, version, defs, name, constants, values, names, ugens, variants, end: r.pos };
}

Deno.test("SynthDef file: SCgf version 2, one def, parses back to the voice", () => {
  const bytes = encodeSynthDefFile([voiceSynthDef()]);
  const def = parseSynthDefFile(bytes);
  assert.equal(def.magic, "SCgf");
  assert.equal(def.version, 2);
  assert.equal(def.defs, 1);
  assert.equal(def.name, VOICE_DEF_NAME);
  assert.equal(def.end, bytes.length, "nothing after the def");
  assert.equal(def.variants, 0);
  assert.deepEqual(def.names, [
    { name: "freq", index: 0 },
    { name: "cutoff", index: 1 },
    { name: "rq", index: 2 },
    { name: "gate", index: 3 },
    { name: "amp", index: 4 },
  ]);
  assert.deepEqual(def.values, [440, 2000, 0.5, 1, Math.fround(0.1)]);
  assert.deepEqual(def.ugens.map((u) => u.name), [
    "Control",
    "Saw",
    "RLPF",
    "EnvGen",
    "BinaryOpUGen",
    "Out",
  ]);
  // Constants: each value once, in order of first use (Out's bus 0 comes from EnvGen's bias).
  assert.equal(new Set(def.constants).size, def.constants.length);
  for (const c of [0, 1, 2, 3, -99, -5]) assert.ok(def.constants.includes(c), `constant ${c}`);
  for (const c of [0.005, 0.8, 0.2]) {
    assert.ok(def.constants.includes(Math.fround(c)), `constant ${c}`);
  }
  // Every input names an earlier ugen's output or a constant.
  def.ugens.forEach((ugen, u) => {
    for (const [source, index] of ugen.inputs) {
      if (source === -1) assert.ok(index >= 0 && index < def.constants.length);
      else {
        assert.ok(source >= 0 && source < u, `${ugen.name} reads ugen ${source}`);
        assert.ok(index < (def.ugens[source]?.outputs.length ?? 0));
      }
    }
  });
  const [control, saw, rlpf, envGen, mul, out] = def.ugens;
  assert.deepEqual(control?.outputs, [1, 1, 1, 1, 1]);
  assert.deepEqual(saw?.inputs, [[0, 0]]);
  assert.deepEqual(rlpf?.inputs, [[1, 0], [0, 1], [0, 2]]);
  assert.equal(envGen?.rate, 1);
  assert.equal(envGen?.inputs.length, 5 + 4 + 3 * 4, "gate, scale, bias, time scale, done, env");
  const env = envGen?.inputs.slice(5).map(([, i]) => def.constants[i]);
  assert.deepEqual(env?.slice(0, 4), [0, 3, 2, -99], "initial level, 3 segments, release node 2");
  assert.equal(mul?.special, 2, "BinaryOpUGen *");
  assert.deepEqual(out?.inputs.slice(1), [[4, 0], [4, 0]], "the same signal on both channels");
  assert.deepEqual(out?.outputs, []);
});

Deno.test("OSC time tags: NTP seconds and 2^-32 fractions", () => {
  assert.deepEqual([...oscTimeTag(0)], [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...oscTimeTag(10)], [0, 0, 0, 10, 0, 0, 0, 0]);
  assert.deepEqual([...oscTimeTag(2.5)], [0, 0, 0, 2, 0x80, 0, 0, 0]);
  assert.deepEqual([...oscTimeTag(1 - 2 ** -40)], [0, 0, 0, 1, 0, 0, 0, 0], "rounding carries");
  assert.throws(() => oscTimeTag(-1), RangeError);
});

Deno.test("OSC message: padded address and type tags, int32 / float32 / blob", () => {
  const m = encodeOscMessage("/c_set", [0, 0]);
  assert.equal(m.length, 8 + 4 + 8);
  const r = new Reader(m);
  assert.equal(r.oscString(), "/c_set");
  assert.equal(r.oscString(), ",ii");
  assert.deepEqual([r.int32(), r.int32()], [0, 0]);
  const b = new Reader(encodeOscMessage("/x", [new Uint8Array([1, 2, 3]), { float: 1 }, 0.5, "s"]));
  assert.equal(b.oscString(), "/x");
  assert.equal(b.oscString(), ",bffs");
  assert.equal(b.int32(), 3);
  assert.deepEqual([b.int8(), b.int8(), b.int8(), b.int8()], [1, 2, 3, 0]);
  assert.deepEqual([b.float32(), b.float32()], [1, 0.5]);
  assert.equal(b.oscString(), "s");
});

Deno.test("NRT score: size-prefixed bundles, /d_recv, one /s_new per voice, end at T", () => {
  const seconds = 7.25;
  const frequencies = [110, 220, 330];
  const synthDef = encodeSynthDefFile([voiceSynthDef()]);
  const score = voiceScore({ frequencies, seconds, synthDef });
  const r = new Reader(score);
  const bundles: { time: number; messages: Uint8Array[] }[] = [];
  while (r.pos < score.length) {
    const size = r.int32();
    const start = r.pos;
    assert.ok(start + size <= score.length, "bundle size within the file");
    assert.equal(r.text(8), "#bundle\0");
    const time = r.uint32() + r.uint32() / 2 ** 32;
    const messages: Uint8Array[] = [];
    while (r.pos < start + size) {
      const length = r.int32();
      messages.push(score.subarray(r.pos, r.pos + length));
      r.pos += length;
    }
    assert.equal(r.pos, start + size, "elements fill the bundle exactly");
    bundles.push({ time, messages });
  }
  // The first size prefix matches the first bundle's length.
  const firstSize = new DataView(score.buffer, score.byteOffset).getInt32(0);
  assert.equal(firstSize, 16 + 4 + (bundles[0]?.messages[0]?.length ?? 0));
  assert.equal(bundles.length, 1 + frequencies.length + 1);
  assert.equal(bundles[0]?.time, 0);
  assert.equal(bundles[bundles.length - 1]?.time, seconds);
  const dRecv = new Reader(bundles[0]?.messages[0] as Uint8Array);
  assert.equal(dRecv.oscString(), "/d_recv");
  assert.equal(dRecv.oscString(), ",b");
  assert.equal(dRecv.int32(), synthDef.length);
  assert.deepEqual(dRecv.bytes.subarray(dRecv.pos, dRecv.pos + synthDef.length), synthDef);
  frequencies.forEach((freq, i) => {
    const bundle = bundles[1 + i];
    assert.equal(bundle?.time, 0);
    const m = new Reader(bundle?.messages[0] as Uint8Array);
    assert.equal(m.oscString(), "/s_new");
    assert.equal(m.oscString(), ",siiisfsfsfsfsf");
    assert.equal(m.oscString(), VOICE_DEF_NAME);
    assert.deepEqual([m.int32(), m.int32(), m.int32()], [FIRST_NODE_ID + i, 1, 0]);
    assert.equal(m.oscString(), "freq");
    assert.equal(m.float32(), freq);
  });
  const end = new Reader(bundles[bundles.length - 1]?.messages[0] as Uint8Array);
  assert.equal(end.oscString(), "/c_set");
});

const HAS_SCSYNTH = (await scsynthVersion()) !== undefined;

Deno.test({
  name: "scsynth renders the score: one 440 Hz voice, stereo, 48 kHz",
  ignore: !HAS_SCSYNTH,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "chronus-scsynth-test-" });
    try {
      const scorePath = `${dir}/score.osc`;
      const outPath = `${dir}/out.wav`;
      await Deno.writeFile(scorePath, voiceScore({ frequencies: [440], seconds: 0.5 }));
      const timing = await renderNrt({ scorePath, outPath });
      assert.ok(timing.wallSeconds > 0);
      const wav = decodeWav(await Deno.readFile(outPath));
      assert.equal(wav.sampleRate, 48000);
      assert.equal(wav.channels.length, 2);
      const [left, right] = wav.channels as [Float64Array, Float64Array];
      assert.ok(left.length >= 24000, `${left.length} frames`);
      assert.deepEqual(left, right, "the same signal on both channels");
      assert.ok(maxAbs(left) > 0.05 && maxAbs(left) < 0.2, `level ${maxAbs(left)}`);
      const peak = peakFrequency(magnitudeSpectrum(left, { start: 4096, size: 16384 }));
      assert.ok(Math.abs(peak - 440) < 1, `peak ${peak} Hz`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
