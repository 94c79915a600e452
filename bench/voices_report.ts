/**
 * Voices per core (issue 4): how many saw → state-variable low-pass → ADSR
 * voices render at 48 kHz in 128-frame blocks within 80 % of real time on
 * one core, for Chronus and, side by side with the same voice and block
 * size, for SuperCollider's scsynth; then the offline render speed of a
 * typical patch and the allocations and garbage collections of the render
 * loop. Printed as a table with the goals next to the figures:
 *
 * - Chronus, raw voice chain: N × (`Oscillator` saw → `SvfFilter` low-pass
 *   → `Envelope` ADSR), each voice multiplied into a stereo block, on the
 *   main thread;
 * - Chronus, `VoiceBank`: the same voice in the WebAssembly SIMD kernel
 *   (dsp/voice_bank.ts), four voices per vector, ⌈N/64⌉ banks of at most 64
 *   voices, each bank's sum added into the stereo block;
 * - Chronus, `Instrument`: the real path (voice allocator, filter envelope,
 *   gain, pan), ⌈N/64⌉ instruments of at most 64 voices each;
 * - scsynth: the same voice as a SynthDef (`Saw` → `RLPF` → `EnvGen`,
 *   see bench/_scsynth.ts), N synths rendered by `scsynth -N` (non-real-time
 *   synthesis runs on one thread) with `-z 128`; its start-up time is
 *   measured once and subtracted;
 * - goal: Chronus ≥ scsynth, and never below 200 voices;
 * - where a raw voice's time goes: µs per block of oscillator, filter and
 *   envelope;
 * - offline render speed of a typical patch (`OfflineEngine`: two
 *   instruments, drums, a reverb send) as a multiple of real time;
 * - bytes allocated per block in the render loops (V8's sampling heap
 *   profiler, tests/_alloc.ts; each figure in a fresh child process with
 *   the engine's V8 flags, since sampling sessions in one isolate disturb
 *   each other's optimised code), bytes per command the slot renderer
 *   applies, and the garbage collections during 60 s of the patch in a
 *   fresh process with `--trace-gc`.
 *
 * Every count comes from a bounded search (`searchMaxVoices` of
 * bench/_scsynth.ts): load = render time / audio time on the wall clock,
 * the largest count measured within 0.8 kept. CPU time over wall time of
 * that trial is printed too: well below 1 means another process took the
 * core during it.
 *
 * Run: `deno run -A bench/voices_report.ts` (bin/bench runs it last).
 * `CHRONUS_VOICES_SECONDS` sets the audio length of each scsynth trial
 * (default 10). When scsynth is missing it is installed with apt-get
 * (package `supercollider-server`, no recommends) if running as root;
 * otherwise its row says "not installed".
 *
 * @module
 */

import process from "node:process";
import { Envelope } from "../dsp/envelope.ts";
import { Instrument, InstrumentParam, noteToHz } from "../dsp/instrument.ts";
import { MixerParam } from "../dsp/mixer.ts";
import { Oscillator, Waveform } from "../dsp/oscillator.ts";
import { Rack, RackTarget } from "../dsp/rack.ts";
import { SvfFilter } from "../dsp/svf.ts";
import { BankEnvelope, VOICE_BANK_MAX_LANES, VoiceBank } from "../dsp/voice_bank.ts";
import { resonanceToQ } from "../dsp/svf_lowpass.ts";
import { MAX_VOICES } from "../dsp/voice_allocator.ts";
import { type CommandSpec, noteOff, noteOn, Opcode, setParam } from "../engine/command.ts";
import { OfflineEngine } from "../engine/offline.ts";
import { REALTIME_V8_FLAGS } from "../engine/_v8_flags.ts";
import { sampledAllocation } from "../tests/_alloc.ts";
import {
  renderNrt,
  scsynthVersion,
  searchMaxVoices,
  voiceScore,
  type VoiceSearch,
} from "./_scsynth.ts";

const RATE = 48000;
const BLOCK = 128;
/** Highest acceptable render load (render time / audio time). */
const TARGET_LOAD = 0.8;
/** Fewest voices acceptable. */
const GOAL_VOICES = 200;
/** Audio seconds rendered per Chronus trial (after {@linkcode WARM_BLOCKS}). */
const CHRONUS_TRIAL_SECONDS = 3;
const WARM_BLOCKS = 200;
/** Audio seconds per scsynth trial. */
const SC_TRIAL_SECONDS = Number(Deno.env.get("CHRONUS_VOICES_SECONDS") ?? 10);

// The voice, the same on both sides.
const CUTOFF_HZ = 2000;
const RESONANCE = 0.3;
const ATTACK_MS = 5;
const DECAY_MS = 100;
const SUSTAIN = 0.8;
const RELEASE_MS = 200;
const VOICE_LEVEL = 0.1;
/** Reciprocal Q of the scsynth filter: the same Q as the SVF at {@linkcode RESONANCE}. */
const RQ = 1 / resonanceToQ(RESONANCE);

/** MIDI note of voice `k`: three octaves from A2, then the same a hundredth of a semitone up. */
function voiceNote(k: number): number {
  return 45 + (k % 36) + 0.01 * Math.floor(k / 36);
}

// ---------------------------------------------------------------- Chronus: raw voice chain

/** Saw oscillator → SVF low-pass → ADSR, gate open. */
class RawVoice {
  readonly osc: Oscillator;
  readonly filter: SvfFilter;
  readonly env: Envelope;

  constructor(frequency: number) {
    this.osc = new Oscillator(RATE, { waveform: Waveform.Saw, frequency });
    this.filter = new SvfFilter(RATE, { cutoffHz: CUTOFF_HZ, resonance: RESONANCE });
    this.env = new Envelope(RATE, {
      attackMs: ATTACK_MS,
      decayMs: DECAY_MS,
      sustain: SUSTAIN,
      releaseMs: RELEASE_MS,
    });
    this.env.gateOn(1);
  }
}

/** Render one block of every voice, summed into the interleaved stereo `out`. */
function renderRawBlock(
  voices: readonly RawVoice[],
  out: Float32Array,
  buf: Float64Array,
  levels: Float64Array,
): void {
  out.fill(0);
  for (let v = 0; v < voices.length; v++) {
    const voice = voices[v] as RawVoice;
    voice.osc.process(buf, 0, BLOCK);
    voice.filter.process(buf, 0, BLOCK);
    voice.env.process(levels, 0, BLOCK);
    for (let i = 0; i < BLOCK; i++) {
      const x = (buf[i] as number) * (levels[i] as number) * 0.1;
      out[2 * i] = (out[2 * i] as number) + x;
      out[2 * i + 1] = (out[2 * i + 1] as number) + x;
    }
  }
}

/** A block renderer for `n` raw voices. */
function rawVoices(n: number): () => void {
  const voices: RawVoice[] = [];
  for (let k = 0; k < n; k++) voices.push(new RawVoice(noteToHz(voiceNote(k))));
  const out = new Float32Array(2 * BLOCK);
  const buf = new Float64Array(BLOCK);
  const levels = new Float64Array(BLOCK);
  return () => renderRawBlock(voices, out, buf, levels);
}

// ---------------------------------------------------------------- Chronus: VoiceBank

/** Render one block of every bank, added into `mono`, then spread to the stereo `out`. */
function renderBankBlock(
  banks: readonly VoiceBank[],
  out: Float32Array,
  mono: Float64Array,
): void {
  mono.fill(0);
  for (let j = 0; j < banks.length; j++) (banks[j] as VoiceBank).render(mono, 0, BLOCK);
  for (let i = 0; i < BLOCK; i++) {
    const x = (mono[i] as number) * 0.1;
    out[2 * i] = x;
    out[2 * i + 1] = x;
  }
}

/** A block renderer for `n` voices held on ⌈n/64⌉ saw voice banks. */
function bankVoices(n: number): () => void {
  const banks: VoiceBank[] = [];
  for (let k = 0; k < n; k += VOICE_BANK_MAX_LANES) {
    const lanes = Math.min(VOICE_BANK_MAX_LANES, n - k);
    const bank = new VoiceBank(RATE, { lanes });
    bank.setWaveform(Waveform.Saw);
    bank.setCutoff(CUTOFF_HZ);
    bank.setResonance(RESONANCE);
    bank.setEnvelope(BankEnvelope.Amp, {
      attackMs: ATTACK_MS,
      decayMs: DECAY_MS,
      sustain: SUSTAIN,
      releaseMs: RELEASE_MS,
    });
    bank.settle();
    for (let v = 0; v < lanes; v++) bank.start(v, voiceNote(k + v), 1);
    banks.push(bank);
  }
  const out = new Float32Array(2 * BLOCK);
  const mono = new Float64Array(BLOCK);
  return () => renderBankBlock(banks, out, mono);
}

// ---------------------------------------------------------------- Chronus: Instrument

const NO_SENDS: readonly Float32Array[] = [];

/** Render one block of every instrument, mixed into the interleaved stereo `out`. */
function renderInstrumentBlock(instruments: readonly Instrument[], out: Float32Array): void {
  out.fill(0);
  for (let j = 0; j < instruments.length; j++) {
    (instruments[j] as Instrument).mixInto(out, NO_SENDS, 0, BLOCK);
  }
}

/** A block renderer for `n` voices held on ⌈n/64⌉ saw instruments. */
function instrumentVoices(n: number): () => void {
  const instruments: Instrument[] = [];
  for (let k = 0; k < n; k += MAX_VOICES) {
    const voices = Math.min(MAX_VOICES, n - k);
    const inst = new Instrument(`i${k}`, RATE, { voices });
    inst.setParam(InstrumentParam.Waveform, Waveform.Saw);
    inst.setParam(InstrumentParam.FilterCutoff, CUTOFF_HZ);
    inst.setParam(InstrumentParam.FilterResonance, RESONANCE);
    inst.setParam(InstrumentParam.AmpAttack, ATTACK_MS);
    inst.setParam(InstrumentParam.AmpDecay, DECAY_MS);
    inst.setParam(InstrumentParam.AmpSustain, SUSTAIN);
    inst.setParam(InstrumentParam.AmpRelease, RELEASE_MS);
    inst.setParam(InstrumentParam.Gain, VOICE_LEVEL);
    for (let v = 0; v < voices; v++) inst.noteOn(voiceNote(k + v), 1);
    instruments.push(inst);
  }
  const out = new Float32Array(2 * BLOCK);
  return () => renderInstrumentBlock(instruments, out);
}

// ---------------------------------------------------------------- measuring

/** CPU seconds over wall seconds of the latest trial of each search, by voice count. */
const cpuShare = new Map<string, number>();

/** Load of `render` (one block per call) after a warm-up: wall time over audio time. */
function blockLoad(label: string, voices: number, render: () => void): number {
  for (let b = 0; b < WARM_BLOCKS; b++) render();
  const blocks = Math.round((CHRONUS_TRIAL_SECONDS * RATE) / BLOCK);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  for (let b = 0; b < blocks; b++) render();
  const wall = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu);
  cpuShare.set(`${label}:${voices}`, (used.user + used.system) / 1e6 / wall);
  return wall / ((blocks * BLOCK) / RATE);
}

async function chronusSearch(
  label: string,
  make: (n: number) => () => void,
): Promise<VoiceSearch> {
  return await searchMaxVoices(
    (n) => Promise.resolve(blockLoad(label, n, make(n))),
    { target: TARGET_LOAD, start: 64, max: 20000, trials: 6 },
  );
}

/** scsynth's start-up and shut-down time (no voices, one block of audio), best of 3. */
async function scsynthOverhead(dir: string): Promise<{ wall: number; cpu: number }> {
  let best = { wall: Infinity, cpu: Infinity };
  const scorePath = `${dir}/empty.osc`;
  await Deno.writeFile(scorePath, voiceScore({ frequencies: [], seconds: BLOCK / RATE }));
  for (let i = 0; i < 3; i++) {
    const t = await renderNrt({ scorePath, outPath: `${dir}/empty.wav` });
    if (t.wallSeconds < best.wall) best = { wall: t.wallSeconds, cpu: t.cpuSeconds };
  }
  return best;
}

async function scsynthSearch(dir: string): Promise<VoiceSearch> {
  const overhead = await scsynthOverhead(dir);
  const seconds = SC_TRIAL_SECONDS;
  return await searchMaxVoices(async (n) => {
    const frequencies = Array.from({ length: n }, (_, k) => noteToHz(voiceNote(k)));
    const scorePath = `${dir}/voices.osc`;
    await Deno.writeFile(
      scorePath,
      voiceScore({ frequencies, seconds, cutoff: CUTOFF_HZ, rq: RQ, amp: VOICE_LEVEL }),
    );
    const t = await renderNrt({ scorePath, outPath: `${dir}/voices.wav`, blockFrames: BLOCK });
    const wall = Math.max(1e-6, t.wallSeconds - overhead.wall);
    cpuShare.set(`scsynth:${n}`, Math.max(0, t.cpuSeconds - overhead.cpu) / wall);
    return wall / seconds;
  }, { target: TARGET_LOAD, start: 256, max: 50000, trials: 6 });
}

/** The scsynth version line; installs the Debian package first when missing and root. */
async function ensureScsynth(): Promise<string | undefined> {
  const found = await scsynthVersion();
  if (found !== undefined || Deno.uid() !== 0) return found;
  console.log("note: scsynth not found; installing supercollider-server (apt-get, no recommends)");
  const apt = (args: string[]) =>
    new Deno.Command("apt-get", {
      args,
      env: { DEBIAN_FRONTEND: "noninteractive" },
      stdout: "null",
      stderr: "null",
    }).output();
  const install = ["install", "-y", "--no-install-recommends", "supercollider-server"];
  if (!(await apt(install)).success) {
    await apt(["update"]);
    await apt(install);
  }
  return await scsynthVersion();
}

// ---------------------------------------------------------------- typical patch

/** A command at a frame. */
interface PatchEvent {
  readonly frame: number;
  readonly spec: CommandSpec;
}

const LEAD = RackTarget.FirstInstrument;
const BASS = RackTarget.FirstInstrument + 1;
/** One sixteenth note at 120 BPM, in frames. */
const STEP = RATE / 8;

/**
 * `seconds` of a typical patch at 120 BPM: a saw lead arpeggiating the
 * chord in sixteenths with a filter envelope and a reverb send, a square
 * bass line in eighths, kick, snare and hats; A minor, F, C, G, one bar each.
 */
function typicalPatch(seconds: number): PatchEvent[] {
  const events: PatchEvent[] = [
    { frame: 0, spec: setParam(InstrumentParam.Waveform, Waveform.Saw, LEAD) },
    { frame: 0, spec: setParam(InstrumentParam.FilterCutoff, 1800, LEAD) },
    { frame: 0, spec: setParam(InstrumentParam.FilterResonance, 0.4, LEAD) },
    { frame: 0, spec: setParam(InstrumentParam.FilterEnvAmount, 2, LEAD) },
    { frame: 0, spec: setParam(InstrumentParam.AmpRelease, 300, LEAD) },
    { frame: 0, spec: setParam(InstrumentParam.ReverbSend, 0.35, LEAD) },
    { frame: 0, spec: setParam(InstrumentParam.Pan, -0.2, LEAD) },
    { frame: 0, spec: setParam(InstrumentParam.Waveform, Waveform.Square, BASS) },
    { frame: 0, spec: setParam(InstrumentParam.FilterCutoff, 500, BASS) },
    { frame: 0, spec: setParam(InstrumentParam.FilterResonance, 0.2, BASS) },
    { frame: 0, spec: setParam(InstrumentParam.AmpSustain, 0.5, BASS) },
    { frame: 0, spec: setParam(MixerParam.ReverbSize, 0.6, RackTarget.Mixer) },
  ];
  const chords = [[57, 60, 64, 69], [53, 57, 60, 65], [48, 52, 55, 60], [55, 59, 62, 67]];
  const steps = Math.floor((seconds * RATE) / STEP);
  for (let s = 0; s < steps; s++) {
    const frame = s * STEP;
    const at = s % 16;
    const chord = chords[Math.floor(s / 16) % chords.length] as number[];
    const lead = (chord[s % 4] as number) + 12;
    events.push({ frame, spec: noteOn(LEAD, lead, 0.7 + 0.3 * ((at + 1) % 2)) });
    events.push({ frame: frame + STEP / 2, spec: noteOff(LEAD, lead) });
    if (at % 2 === 0) {
      const bass = (chord[0] as number) - 24;
      events.push({ frame, spec: noteOn(BASS, bass, 0.9) });
      events.push({ frame: frame + STEP, spec: noteOff(BASS, bass) });
      events.push({ frame, spec: noteOn(RackTarget.Drums, at === 14 ? 46 : 42, 0.5) });
    }
    if (at === 0 || at === 8 || at === 10) {
      events.push({ frame, spec: noteOn(RackTarget.Drums, 36, 1) });
    }
    if (at === 4 || at === 12) events.push({ frame, spec: noteOn(RackTarget.Drums, 38, 0.9) });
  }
  return events.sort((a, b) => a.frame - b.frame);
}

/** Where a patch plays: apply a command now, render frames. */
interface PatchSink {
  readonly frames: number;
  apply(spec: CommandSpec): void;
  advance(frames: number): void;
}

/** Play `events` into `sink` for `frames` frames, each at the first block start at or after it. */
function playPatch(events: readonly PatchEvent[], sink: PatchSink, frames: number): void {
  let e = 0;
  while (e < events.length && (events[e] as PatchEvent).frame < sink.frames) e++;
  while (sink.frames < frames) {
    while (e < events.length && (events[e] as PatchEvent).frame <= sink.frames) {
      sink.apply((events[e] as PatchEvent).spec);
      e++;
    }
    const next = e < events.length ? (events[e] as PatchEvent).frame : frames;
    sink.advance(Math.max(BLOCK, Math.min(next, frames) - sink.frames));
  }
}

function engineSink(engine: OfflineEngine): PatchSink {
  return {
    get frames() {
      return engine.frames;
    },
    apply: (spec) => engine.send([spec]),
    advance: (n) => void engine.renderFrames(n),
  };
}

/** A rack driven directly, block by block, into one preallocated block (for the GC probe). */
function rackSink(rack: Rack): PatchSink {
  const block = new Float32Array(2 * BLOCK);
  let frames = 0;
  return {
    get frames() {
      return frames;
    },
    apply(spec) {
      if (spec.opcode === Opcode.SetParam) rack.setParam(spec.target, spec.param, spec.value);
      else if (spec.opcode === Opcode.NoteOn) rack.noteOn(spec.target, spec.param, spec.value);
      else if (spec.opcode === Opcode.NoteOff) rack.noteOff(spec.target, spec.param);
    },
    advance(n) {
      for (let done = 0; done < n; done += BLOCK) {
        rack.render(block, 0, BLOCK);
        frames += BLOCK;
      }
    },
  };
}

/** Offline render speed of the typical patch, as a multiple of real time (best of 3). */
function offlineSpeed(seconds: number): number {
  const events = typicalPatch(seconds);
  playPatch(events, engineSink(new OfflineEngine({ sampleRate: RATE, blockFrames: BLOCK })), RATE);
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const engine = new OfflineEngine({ sampleRate: RATE, blockFrames: BLOCK });
    const t0 = performance.now();
    playPatch(events, engineSink(engine), seconds * RATE);
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return seconds / best;
}

// ---------------------------------------------------------------- allocation and GC

/**
 * Bytes per block below which an allocation figure counts as zero: a few
 * 64-byte samples over a 20 s session (e.g. V8 settling its code), nothing
 * that grows with the blocks rendered; the GC probe checks the latter.
 */
const ALLOC_NOISE_BYTES = 1;

/** Most sampling sessions per allocation figure. */
const ALLOC_SESSIONS = 3;

/**
 * Bytes per block allocated under the frames named `frameName` while `run`
 * renders `blocks` blocks, sampled by V8's heap profiler. A sampling session
 * can catch V8 re-optimising the code it runs (the first session after a
 * warm-up may report the allocations of that transition, not of the steady
 * state), so up to {@linkcode ALLOC_SESSIONS} sessions run, stopping at the
 * first that sees nothing, and the least is reported.
 */
async function bytesPerBlock(run: () => void, frameName: string, blocks: number): Promise<number> {
  let least = Infinity;
  for (let s = 0; s < ALLOC_SESSIONS && least > 0; s++) {
    least = Math.min(least, (await sampledAllocation(run, frameName)) / blocks);
  }
  return least;
}

/** What an allocation probe measures. */
type AllocationKind = "raw" | "bank" | "instrument" | "patch-render" | "patch-block";

/** Seconds of audio per allocation session. */
const ALLOC_SECONDS = 20;

/**
 * The allocation probe (run in a fresh child per figure: sampling sessions
 * in one isolate disturb each other's optimised code): warm the loop up,
 * then sample it. The raw chain and the Instrument run 64 voices; the patch
 * plays on one engine that keeps going, 20 s per session, sampled in
 * `Rack.render` ("render": the DSP) or in `SlotRenderer.renderBlock` (the
 * DSP and the commands it applies).
 */
async function allocationProbe(kind: AllocationKind): Promise<void> {
  const blocks = Math.round((ALLOC_SECONDS * RATE) / BLOCK);
  let run: () => void;
  let frame: string;
  let commands = 0;
  if (kind === "raw" || kind === "bank" || kind === "instrument") {
    const render = kind === "raw"
      ? rawVoices(64)
      : kind === "bank"
      ? bankVoices(64)
      : instrumentVoices(64);
    run = () => {
      for (let b = 0; b < blocks; b++) render();
    };
    frame = kind === "raw"
      ? "renderRawBlock"
      : kind === "bank"
      ? "renderBankBlock"
      : "renderInstrumentBlock";
  } else {
    const sessions = 1 + ALLOC_SESSIONS;
    const events = typicalPatch(sessions * ALLOC_SECONDS);
    const sink = engineSink(new OfflineEngine({ sampleRate: RATE, blockFrames: BLOCK }));
    run = () => playPatch(events, sink, sink.frames + ALLOC_SECONDS * RATE);
    frame = kind === "patch-render" ? "render" : "renderBlock";
    commands = events.filter((e) => e.frame < ALLOC_SECONDS * RATE).length;
  }
  run();
  const bytes = await bytesPerBlock(run, frame, blocks);
  console.error(`RESULT ${JSON.stringify({ bytes, blocks, commands })}`);
}

/** Run `bench/voices_report.ts` with `args` in a child process; returns its RESULT and stdout. */
async function child<T>(args: readonly string[], v8Flags: string): Promise<[T, string]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `--v8-flags=${v8Flags}`, new URL(import.meta.url).pathname, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  const line = stderr.split("\n").find((l) => l.startsWith("RESULT "));
  if (!out.success || line === undefined) {
    const tail = stderr.trim().split("\n").slice(-5).join("\n");
    throw new Error(`voices_report ${args.join(" ")} failed:\n${tail}`);
  }
  return [JSON.parse(line.slice("RESULT ".length)) as T, stdout];
}

/** Allocation figures of the render loops. */
interface AllocationFigures {
  /** Bytes per block of the raw voice chain (64 voices). */
  readonly raw: number;
  /** Bytes per block of a VoiceBank (64 voices). */
  readonly bank: number;
  /** Bytes per block of an Instrument (64 voices). */
  readonly instrument: number;
  /** Bytes per block in the typical patch's `Rack.render` (the DSP). */
  readonly patchRender: number;
  /** Bytes per command applied by `SlotRenderer.renderBlock` in the typical patch. */
  readonly perCommand: number;
}

async function allocationFigures(): Promise<AllocationFigures> {
  type Result = { bytes: number; blocks: number; commands: number };
  const probe = async (kind: AllocationKind) =>
    (await child<Result>(["--alloc-probe", kind], REALTIME_V8_FLAGS))[0];
  const raw = await probe("raw");
  const bank = await probe("bank");
  const instrument = await probe("instrument");
  const render = await probe("patch-render");
  const block = await probe("patch-block");
  return {
    raw: raw.bytes,
    bank: bank.bytes,
    instrument: instrument.bytes,
    patchRender: render.bytes,
    perCommand: Math.max(0, ((block.bytes - render.bytes) * block.blocks) / block.commands),
  };
}

/** Seconds of the patch rendered by the GC probe. */
const GC_PROBE_SECONDS = 60;

/**
 * The GC probe (run in a child with `--trace-gc --expose-gc`): warm up,
 * force a GC (a "testing" line in the trace), render the patch, force
 * another; the parent counts the trace lines between the two.
 */
function gcProbe(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("the GC probe needs --expose-gc");
  const events = typicalPatch(GC_PROBE_SECONDS);
  playPatch(events, rackSink(new Rack(RATE)), 5 * RATE);
  const rack = new Rack(RATE);
  const sink = rackSink(rack);
  gc();
  playPatch(events, sink, GC_PROBE_SECONDS * RATE);
  gc();
  console.error(`RESULT ${JSON.stringify({ seconds: GC_PROBE_SECONDS, faults: rack.faults })}`);
}

/** GCs during the probe's render (forced ones excluded), from V8's trace in a child process. */
async function gcsDuringPatch(): Promise<number> {
  const [, stdout] = await child<unknown>(
    ["--gc-probe"],
    `${REALTIME_V8_FLAGS},--trace-gc,--expose-gc`,
  );
  const gcLines = stdout.split("\n").filter((l) => /^\[\d+:0x[0-9a-f]+\]\s+[\d.]+ ms: /.test(l));
  const marks = gcLines.flatMap((l, i) => /\btesting\b/.test(l) ? [i] : []);
  const first = marks[0];
  const last = marks[marks.length - 1];
  if (first === undefined || last === undefined || first === last) {
    throw new Error("GC probe: no forced GCs found in the trace");
  }
  // gc() may log more than one line; count only what was not forced.
  return gcLines.slice(first, last + 1).filter((l) => !/\btesting\b/.test(l)).length;
}

// ---------------------------------------------------------------- where the time goes

/** Microseconds per voice and block of each stage of the raw chain (256 voices, 500 blocks). */
function stageCosts(): { osc: number; filter: number; env: number } {
  const n = 256;
  const blocks = 500;
  const voices: RawVoice[] = [];
  for (let k = 0; k < n; k++) voices.push(new RawVoice(noteToHz(voiceNote(k))));
  const buf = new Float64Array(BLOCK);
  const levels = new Float64Array(BLOCK);
  const time = (stage: (v: RawVoice) => void): number => {
    for (let b = 0; b < 50; b++) for (const v of voices) stage(v);
    const t0 = performance.now();
    for (let b = 0; b < blocks; b++) for (const v of voices) stage(v);
    return ((performance.now() - t0) * 1000) / (blocks * n);
  };
  return {
    osc: time((v) => v.osc.process(buf, 0, BLOCK)),
    filter: time((v) => v.filter.process(buf, 0, BLOCK)),
    env: time((v) => v.env.process(levels, 0, BLOCK)),
  };
}

/** Microseconds per voice and block of the VoiceBank (256 voices on 4 banks, 2000 blocks). */
function bankCost(): number {
  const n = 256;
  const blocks = 2000;
  const render = bankVoices(n);
  for (let b = 0; b < 200; b++) render();
  const t0 = performance.now();
  for (let b = 0; b < blocks; b++) render();
  return ((performance.now() - t0) * 1000) / (blocks * n);
}

// ---------------------------------------------------------------- report

const mark = (ok: boolean | undefined) => ok === undefined ? "    " : ok ? "ok  " : "MISS";

function row(what: string, figure: string, goal: string, ok?: boolean): void {
  console.log(`${mark(ok)}  ${what.padEnd(40)} ${figure.padEnd(44)} ${goal}`);
}

function describe(label: string, s: VoiceSearch): string {
  const share = cpuShare.get(`${label}:${s.voices}`);
  const cpu = share === undefined ? "" : `, cpu/wall ${share.toFixed(2)}`;
  return `${s.voices} (load ${s.load.toFixed(2)}${cpu})`;
}

async function main(): Promise<void> {
  console.log(
    `\nChronus voices per core: saw → low-pass → ADSR, ${
      RATE / 1000
    } kHz, ${BLOCK}-frame blocks, ` +
      `≤ ${TARGET_LOAD * 100} % of real time on one core; ${Deno.build.target}, ` +
      `${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}`,
  );
  console.log(
    "(wall-clock figures on a machine that may be shared with other work: noisy, " +
      "expect ±10 % between runs)\n",
  );
  console.log(`${"".padEnd(6)}${"measure".padEnd(40)} ${"figure".padEnd(44)} goal`);

  const raw = await chronusSearch("raw", rawVoices);
  const bank = await chronusSearch("bank", bankVoices);
  const inst = await chronusSearch("instrument", instrumentVoices);
  const version = await ensureScsynth();
  let sc: VoiceSearch | undefined;
  if (version !== undefined) {
    const dir = await Deno.makeTempDir({ prefix: "chronus-scsynth-" });
    try {
      sc = await scsynthSearch(dir);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
  const goal = `≥ ${GOAL_VOICES}${sc === undefined ? "" : " and ≥ scsynth"}`;
  const meets = (n: number) => n >= GOAL_VOICES && (sc === undefined || n >= sc.voices);
  row("Chronus voices, raw voice chain", describe("raw", raw), goal, meets(raw.voices));
  row("Chronus voices, VoiceBank (WASM SIMD)", describe("bank", bank), goal, meets(bank.voices));
  row("Chronus voices, Instrument", describe("instrument", inst), goal, meets(inst.voices));
  if (sc === undefined) {
    row("scsynth voices (NRT, -z 128)", "not installed", "", undefined);
  } else {
    row(`${version?.split(" (")[0]} voices (NRT, -z 128)`, describe("scsynth", sc), "");
    const ratio = (n: number) => sc !== undefined && sc.voices > 0 ? n / sc.voices : NaN;
    row(
      "ratio Chronus / scsynth",
      `${ratio(raw.voices).toFixed(2)} raw, ${ratio(bank.voices).toFixed(2)} VoiceBank, ${
        ratio(inst.voices).toFixed(2)
      } Instrument`,
      "≥ 1",
      ratio(bank.voices) >= 1 && ratio(inst.voices) >= 1,
    );
  }
  const cost = stageCosts();
  row(
    "raw voice, µs per 128-frame block",
    `osc ${cost.osc.toFixed(2)}, svf ${cost.filter.toFixed(2)}, env ${cost.env.toFixed(2)}`,
    `(block period ${((BLOCK / RATE) * 1e6).toFixed(0)} µs)`,
  );
  row("VoiceBank voice, µs per 128-frame block", `${bankCost().toFixed(2)} (whole voice)`, "");

  const speed = offlineSpeed(20);
  row("offline render, typical patch", `${speed.toFixed(1)} × real time`, "", undefined);

  const alloc = await allocationFigures();
  const b = (x: number) => x === 0 ? "0" : x.toFixed(2);
  const figures = [alloc.raw, alloc.bank, alloc.instrument, alloc.patchRender];
  row(
    "render loop: bytes allocated per block",
    `${b(alloc.raw)} raw, ${b(alloc.bank)} bank, ${b(alloc.instrument)} Instrument, ${
      b(alloc.patchRender)
    } patch`,
    `0 (< ${ALLOC_NOISE_BYTES} B/block: a few stray samples)`,
    figures.every((x) => x < ALLOC_NOISE_BYTES),
  );
  row(
    "commands: bytes allocated per command",
    `${alloc.perCommand.toFixed(0)} (applied in renderBlock)`,
    "",
  );
  const gcs = await gcsDuringPatch();
  row(`GCs during ${GC_PROBE_SECONDS} s of the patch`, String(gcs), "0", gcs === 0);

  const trials = (s: VoiceSearch) =>
    s.trials.map((t) => `${t.voices}→${t.load.toFixed(2)}`).join(" ");
  console.log(`\ntrials (voices→load), raw: ${trials(raw)}`);
  console.log(`  VoiceBank: ${trials(bank)}`);
  console.log(`  Instrument: ${trials(inst)}`);
  if (sc !== undefined) {
    console.log(
      `  scsynth: ${trials(sc)} (${SC_TRIAL_SECONDS} s of audio each, start-up subtracted)`,
    );
  }
}

const probeKind = Deno.args[Deno.args.indexOf("--alloc-probe") + 1];
if (Deno.args.includes("--gc-probe")) gcProbe();
else if (Deno.args.includes("--alloc-probe")) await allocationProbe(probeKind as AllocationKind);
else await main();
