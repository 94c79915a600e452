import assert from "node:assert/strict";
import {
  type Command,
  COMMAND_BYTES,
  COMMAND_F64S,
  COMMAND_WORDS,
  FaultKind,
  FloatField,
  Opcode,
  readCommand,
  setParam,
  WordField,
  writeCommand,
} from "../engine/command.ts";
import { SynthParam } from "../dsp/params.ts";

/** True on little-endian hosts; the struct uses native endianness. */
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Views over `count` structs, every byte preset to 0xff so untouched bytes show. */
function structs(count: number): { bytes: Uint8Array; words: Uint32Array; floats: Float64Array } {
  const buffer = new ArrayBuffer(count * COMMAND_BYTES);
  const bytes = new Uint8Array(buffer).fill(0xff);
  return { bytes, words: new Uint32Array(buffer), floats: new Float64Array(buffer) };
}

const SAMPLES: readonly Command[] = [
  {
    opcode: Opcode.SetParam,
    target: 0,
    param: SynthParam.FilterCutoff,
    flags: 0,
    value: 800,
    frame: 1280,
    seq: 7,
  },
  { opcode: Opcode.Fault, target: 1, param: FaultKind.Exit, flags: 0, value: 0, frame: 0, seq: 0 },
  {
    opcode: Opcode.Snapshot,
    target: 0xffffffff,
    param: 0x80000001,
    flags: 0xdeadbeef,
    value: -1.5e-300,
    frame: 2 ** 53 - 1,
    seq: 2 ** 40 + 3,
  },
  {
    opcode: Opcode.Nop,
    target: 12345,
    param: 9,
    flags: 1,
    value: Number.MAX_VALUE,
    frame: 128 * 3 + 50,
    seq: 999_999,
  },
];

Deno.test("COMMAND_BYTES is 64 and the word and float counts match it", () => {
  assert.equal(COMMAND_BYTES, 64);
  assert.equal(COMMAND_WORDS, 16);
  assert.equal(COMMAND_F64S, 8);
  assert.deepEqual(WordField, { Opcode: 0, Target: 1, Param: 2, Flags: 3 });
  assert.deepEqual(FloatField, { Value: 2, Frame: 3, Seq: 4 });
});

Deno.test("writeCommand and readCommand round-trip every field at several indices", () => {
  const count = 9;
  const { words, floats } = structs(count);
  const at = [0, 3, 5, 8];
  at.forEach((index, k) => writeCommand(words, floats, index, SAMPLES[k] as Command));
  at.forEach((index, k) => assert.deepEqual(readCommand(words, floats, index), SAMPLES[k]));
  // Rewriting one struct leaves its neighbours as they were.
  writeCommand(words, floats, 3, SAMPLES[0] as Command);
  assert.deepEqual(readCommand(words, floats, 3), SAMPLES[0]);
  assert.deepEqual(readCommand(words, floats, 0), SAMPLES[0]);
  assert.deepEqual(readCommand(words, floats, 5), SAMPLES[2]);
  assert.deepEqual(readCommand(words, floats, 8), SAMPLES[3]);
});

Deno.test("writeCommand keeps -0, NaN and infinities in the float fields", () => {
  const { words, floats } = structs(1);
  const cmd: Command = { ...setParam(SynthParam.Gate, -0), frame: Infinity, seq: NaN };
  writeCommand(words, floats, 0, cmd);
  const back = readCommand(words, floats, 0);
  assert.ok(Object.is(back.value, -0));
  assert.equal(back.frame, Infinity);
  assert.ok(Number.isNaN(back.seq));
});

Deno.test("writeCommand puts each field at its documented byte offset and zeroes bytes 40-63", () => {
  const { bytes, words, floats } = structs(4);
  const cmd: Command = {
    opcode: Opcode.SetParam,
    target: 0x01020304,
    param: 0x0a0b0c0d,
    flags: 0x11223344,
    value: 440.25,
    frame: 4096 + 17,
    seq: 123_456_789,
  };
  const index = 2;
  writeCommand(words, floats, index, cmd);
  const base = index * 64;
  const view = new DataView(bytes.buffer);
  assert.equal(view.getUint32(base + 0, LITTLE), Opcode.SetParam);
  assert.equal(view.getUint32(base + 4, LITTLE), 0x01020304);
  assert.equal(view.getUint32(base + 8, LITTLE), 0x0a0b0c0d);
  assert.equal(view.getUint32(base + 12, LITTLE), 0x11223344);
  assert.equal(view.getFloat64(base + 16, LITTLE), 440.25);
  assert.equal(view.getFloat64(base + 24, LITTLE), 4096 + 17);
  assert.equal(view.getFloat64(base + 32, LITTLE), 123_456_789);
  for (let b = 40; b < 64; b++) assert.equal(bytes[base + b], 0, `byte ${b} is reserved`);
  // The structs before and after were not touched (still 0xff everywhere).
  for (let b = base - 64; b < base; b++) assert.equal(bytes[b], 0xff, `byte ${b}`);
  for (let b = base + 64; b < base + 128; b++) assert.equal(bytes[b], 0xff, `byte ${b}`);
});

Deno.test("readCommand reads a struct written byte by byte through a DataView", () => {
  const { bytes, words, floats } = structs(2);
  const view = new DataView(bytes.buffer);
  const base = 64;
  view.setUint32(base + 0, Opcode.Fault, LITTLE);
  view.setUint32(base + 4, 1, LITTLE);
  view.setUint32(base + 8, FaultKind.Hang, LITTLE);
  view.setUint32(base + 12, 0, LITTLE);
  view.setFloat64(base + 16, -2.5, LITTLE);
  view.setFloat64(base + 24, 640, LITTLE);
  view.setFloat64(base + 32, 42, LITTLE);
  assert.deepEqual(readCommand(words, floats, 1), {
    opcode: Opcode.Fault,
    target: 1,
    param: FaultKind.Hang,
    flags: 0,
    value: -2.5,
    frame: 640,
    seq: 42,
  });
});

Deno.test("setParam builds a SetParam spec with flags 0 and target 0 by default", () => {
  assert.deepEqual(setParam(SynthParam.SineFreq, 440), {
    opcode: Opcode.SetParam,
    target: 0,
    param: SynthParam.SineFreq,
    flags: 0,
    value: 440,
  });
  assert.equal(setParam(SynthParam.Gate, 1, 3).target, 3);
});
