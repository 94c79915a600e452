import assert from "node:assert/strict";
import { InstrumentParam } from "../dsp/instrument.ts";
import { MixerParam } from "../dsp/mixer.ts";
import { Rack, RackTarget } from "../dsp/rack.ts";
import {
  MAX_TRACKS,
  type NoteSink,
  Sequencer,
  SEQUENCER_STATE_SIZE,
  TICKS_PER_BEAT,
  TransportParam,
} from "../dsp/sequencer.ts";
import { sampledAllocation } from "./_alloc.ts";
import { onsets as findOnsets } from "./_spectrum.ts";

const RATE = 48000;
const BLOCK = 128;
const SIXTEENTH = TICKS_PER_BEAT / 4;
const BAR = 4 * TICKS_PER_BEAT;

/** A note event as the sink saw it. */
interface Played {
  readonly frame: number;
  readonly on: boolean;
  readonly target: number;
  readonly note: number;
}

/** A sink recording what is played, at the frame the driver says it is. */
class Recorder implements NoteSink {
  readonly played: Played[] = [];
  frame = 0;
  noteOn(target: number, note: number): void {
    this.played.push({ frame: this.frame, on: true, target, note });
  }
  noteOff(target: number, note: number): void {
    this.played.push({ frame: this.frame, on: false, target, note });
  }
  onsets(note?: number): number[] {
    return this.played.filter((p) => p.on && (note === undefined || p.note === note))
      .map((p) => p.frame);
  }
}

/** Drive `seq` from `from` to `to` the way the rack does, without audio. */
function drive(seq: Sequencer, sink: Recorder, from: number, to: number): void {
  let frame = from;
  while (frame < to) {
    frame = seq.nextEventFrame(frame, to);
    if (frame < to) {
      sink.frame = frame;
      seq.fire(frame, sink);
    }
  }
}

/** A pattern for `track`: `notes` at [tick, note, length] on `target`, `length` ticks long. */
function pattern(
  seq: Sequencer,
  track: number,
  length: number,
  target: number,
  notes: readonly (readonly [number, number, number])[],
): void {
  assert.ok(seq.beginPattern(track, length, target));
  for (const [tick, note, len] of notes) {
    assert.ok(seq.patternCursor(track, tick, len));
    assert.ok(seq.patternNote(track, note, 0.9));
  }
}

/** Sixteen sixteenths of `note`, each a sixteenth long. */
function sixteenths(note: number): [number, number, number][] {
  return Array.from({ length: 16 }, (_, k) => [k * SIXTEENTH, note, SIXTEENTH / 2]);
}

Deno.test("Sequencer: at 120 bpm and 48 kHz every sixteenth starts exactly 6000 frames after the last", () => {
  const seq = new Sequencer(RATE);
  const sink = new Recorder();
  pattern(seq, 0, BAR, 2, sixteenths(36));
  assert.ok(seq.commitPattern(0, 0, 0));
  drive(seq, sink, 0, 4 * 2 * RATE); // 4 bars
  const onsets = sink.onsets();
  assert.equal(onsets.length, 64);
  onsets.forEach((frame, k) => assert.equal(frame, k * 6000, `onset ${k}`));
  // Note-offs half a sixteenth later, each before the next onset.
  const offs = sink.played.filter((p) => !p.on).map((p) => p.frame);
  offs.forEach((frame, k) => assert.equal(frame, k * 6000 + 3000, `off ${k}`));
});

Deno.test("Sequencer: no drift, ten minutes at 97 bpm land every beat on its exact frame", () => {
  const seq = new Sequencer(RATE);
  const sink = new Recorder();
  assert.ok(seq.setTransport(TransportParam.Tempo, 97, 0));
  pattern(seq, 3, TICKS_PER_BEAT, RackTarget.Drums, [[0, 36, 10]]);
  seq.commitPattern(3, 0, 0);
  const end = 10 * 60 * RATE;
  drive(seq, sink, 0, end + 1);
  const onsets = sink.onsets();
  // Beat k at exactly k·60·48000/97 frames: the first whole frame at or after it,
  // in integer arithmetic.
  const beats = Math.floor((end * 97) / (60 * RATE)) + 1;
  assert.equal(onsets.length, beats);
  for (let k = 0; k < beats; k++) {
    const num = BigInt(k) * 60n * BigInt(RATE);
    const want = Number((num + 96n) / 97n); // ceil(num / 97)
    assert.equal(onsets[k], want, `beat ${k}`);
  }
});

Deno.test("Sequencer: a pattern change lands exactly on the next bar line, the old one plays until then", () => {
  const seq = new Sequencer(RATE);
  const sink = new Recorder();
  pattern(seq, 1, BAR, 1, sixteenths(60));
  seq.commitPattern(1, 0, 0);
  drive(seq, sink, 0, 50_000); // bar 0 ends at 96 000
  pattern(seq, 1, BAR, 1, [[0, 72, 240], [2 * TICKS_PER_BEAT, 74, 240]]);
  assert.ok(seq.commitPattern(1, BAR, 50_000));
  drive(seq, sink, 50_000, 3 * 96_000);
  const old = sink.onsets(60);
  assert.deepEqual(old, Array.from({ length: 16 }, (_, k) => k * 6000), "bar 0 complete");
  assert.deepEqual(sink.onsets(72), [96_000, 192_000]);
  assert.deepEqual(sink.onsets(74), [96_000 + 48_000, 192_000 + 48_000]);
  // Quantized to the beat instead: from the next beat after frame 200 000 (beat 9 = 216 000).
  pattern(seq, 1, TICKS_PER_BEAT, 1, [[0, 50, 100]]);
  seq.commitPattern(1, TICKS_PER_BEAT, 200_000);
  drive(seq, sink, 3 * 96_000, 3 * 96_000 + 1);
  assert.deepEqual(sink.onsets(50).slice(0, 1), [288_000]);
});

Deno.test("Sequencer: stop at the next bar; a stopped clock takes a tempo at once, a running one on the next beat", () => {
  const seq = new Sequencer(RATE);
  const sink = new Recorder();
  assert.ok(seq.setTransport(TransportParam.Tempo, 60, 0)); // stopped: at once, a beat is 48 000
  pattern(seq, 0, TICKS_PER_BEAT, 1, [[0, 40, 100]]);
  seq.commitPattern(0, 0, 0);
  drive(seq, sink, 0, 100_000);
  assert.deepEqual(sink.onsets(), [0, 48_000, 96_000]);
  // Running: 120 bpm from the next beat (144 000), then beats every 24 000.
  seq.setTransport(TransportParam.Tempo, 120, 100_000);
  drive(seq, sink, 100_000, 200_000);
  assert.deepEqual(sink.onsets().slice(3), [144_000, 168_000, 192_000]);
  // Stop at the next bar line after frame 200 000. Tick 2880 was at 144 000
  // (2000 ticks at 60 bpm, then the beat), so frame 200 000 is tick 5120 and
  // the next bar line (a multiple of 3840 ticks) is tick 7680, at 264 000.
  assert.ok(seq.stopTrack(0, BAR, 200_000));
  drive(seq, sink, 200_000, 400_000);
  assert.ok(!seq.isPlaying(0));
  assert.equal(seq.frameOf(2 * BAR), 264_000);
  assert.deepEqual(sink.onsets().slice(6), [216_000, 240_000], "nothing from the bar line on");
  assert.equal(sink.played.at(-1)?.on, false, "the last note was released");
});

Deno.test("Sequencer: swing delays every second sixteenth by the fraction of a sixteenth, exactly", () => {
  const seq = new Sequencer(RATE);
  const sink = new Recorder();
  seq.setTransport(TransportParam.Swing, 0.25, 0); // 60 ticks = 1500 frames
  pattern(seq, 0, BAR, 1, sixteenths(62));
  seq.commitPattern(0, 0, 0);
  drive(seq, sink, 0, 96_000);
  const onsets = sink.onsets();
  onsets.forEach((frame, k) => assert.equal(frame, k * 6000 + (k % 2 === 1 ? 1500 : 0)));
});

Deno.test("Sequencer: chords start together; refused input changes nothing", () => {
  const seq = new Sequencer(RATE);
  const sink = new Recorder();
  pattern(seq, 5, BAR, 3, [[0, 60, 480], [0, 64, 480], [0, 67, 480]]);
  assert.equal(seq.patternCursor(5, BAR, 10), false, "cursor past the end");
  assert.equal(seq.patternNote(5, 128, 0.5), false);
  assert.equal(seq.patternNote(5, 60, 0), false);
  assert.equal(seq.patternNote(MAX_TRACKS, 60, 0.5), false);
  assert.equal(seq.beginPattern(0, 0, 1), false);
  assert.equal(seq.commitPattern(7, 0, 0), false, "nothing built");
  assert.equal(seq.setTransport(TransportParam.Tempo, NaN, 0), false);
  assert.equal(seq.setTransport(99, 1, 0), false);
  seq.commitPattern(5, 0, 0);
  drive(seq, sink, 0, 1000);
  assert.deepEqual(sink.played.map((p) => `${p.frame} ${p.note}`), ["0 60", "0 64", "0 67"]);
});

Deno.test("Sequencer: a snapshot continues the beat exactly; a corrupt one resets to a stopped clock", () => {
  const a = new Sequencer(RATE);
  const sa = new Recorder();
  a.setTransport(TransportParam.Tempo, 133, 0);
  pattern(a, 2, 3 * TICKS_PER_BEAT, 1, [[0, 48, 100], [SIXTEENTH * 3, 55, 300]]);
  a.commitPattern(2, 0, 0);
  drive(a, sa, 0, 77_777);
  const state = new Float64Array(SEQUENCER_STATE_SIZE);
  assert.equal(a.saveState(state, 0), SEQUENCER_STATE_SIZE);
  const b = new Sequencer(RATE);
  b.loadState(state, 0);
  const sb = new Recorder();
  drive(a, sa, 77_777, 500_000);
  drive(b, sb, 77_777, 500_000);
  assert.deepEqual(sb.played, sa.played.filter((p) => p.frame >= 77_777));
  // A NaN in one note's fields: that note never plays, the rest goes on.
  state[5] = NaN;
  b.loadState(state, 0);
  assert.equal(b.playingTracks, 1);
  const sc = new Recorder();
  drive(b, sc, 500_000, 700_000);
  assert.ok(sc.played.every((p) => Number.isFinite(p.frame) && Number.isFinite(p.note)));
  // A state no sequencer can have (here every slot NaN): reset, stopped, 120 bpm.
  b.loadState(state.map(() => NaN), 0);
  assert.equal(b.playingTracks, 0);
  assert.equal(b.tempo, 120);
});

Deno.test("Rack: a drum pattern sounds on its sixteenths; the rack's snapshot keeps the beat bit for bit", () => {
  const rack = new Rack(RATE);
  rack.setParam(RackTarget.Mixer, MixerParam.Tempo, 120);
  assert.ok(rack.beginPattern(0, BAR, RackTarget.Drums));
  for (let k = 0; k < 4; k++) {
    rack.patternCursor(0, k * TICKS_PER_BEAT, 100);
    rack.patternNote(0, 36, 1); // kick
  }
  assert.ok(rack.commitPattern(0, 0));
  const render = (r: Rack, blocks: number) => {
    const out = new Float32Array(blocks * 2 * BLOCK);
    const block = new Float32Array(2 * BLOCK);
    for (let b = 0; b < blocks; b++) {
      r.render(block, 0, BLOCK);
      out.set(block, b * 2 * BLOCK);
    }
    return out;
  };
  const first = render(rack, 400); // 51 200 frames: beats at 0 and 24 000 and 48 000
  const left = first.filter((_, i) => i % 2 === 0);
  // Each kick starts within a few frames of its beat (the limiter's look-ahead,
  // the drum's attack), the same few for every kick: onsets 24 000 apart exactly.
  const [o0 = -1, o1 = -1, o2 = -1] = findOnsets(left, { quiet: 4000 });
  assert.ok(o0 >= 0 && o0 < 64, `first kick at ${o0}`);
  assert.equal(o1 - o0, 24_000);
  assert.equal(o2 - o1, 24_000);
  // Snapshot mid-bar, load into a new rack: the same samples from then on.
  const state = new Float64Array(rack.stateSize);
  rack.saveState(state);
  const copy = new Rack(RATE);
  copy.loadState(state);
  assert.equal(copy.frame, rack.frame);
  assert.deepEqual(render(copy, 600), render(rack, 600));
});

Deno.test("Rack: instruments play their patterns through the transport target, tempo shared with the delay", () => {
  const rack = new Rack(RATE);
  const lead = RackTarget.FirstInstrument;
  rack.setParam(lead, InstrumentParam.Waveform, 0);
  assert.ok(rack.setParam(RackTarget.Transport, TransportParam.Tempo, 90));
  assert.equal(rack.getParam(RackTarget.Mixer, MixerParam.Tempo), 90);
  assert.equal(rack.sequencer.tempo, 90);
  assert.ok(rack.beginPattern(1, TICKS_PER_BEAT, lead));
  rack.patternCursor(1, 0, TICKS_PER_BEAT / 2);
  rack.patternNote(1, 69, 1);
  rack.commitPattern(1, 0);
  const block = new Float32Array(2 * BLOCK);
  let voicesSeen = 0;
  for (let b = 0; b < 300; b++) {
    rack.render(block, 0, BLOCK);
    voicesSeen = Math.max(voicesSeen, rack.activeVoices);
  }
  assert.equal(voicesSeen, 1);
  assert.equal(rack.beginPattern(1, BAR, RackTarget.Mixer), false, "the mixer plays no notes");
});

function renderBlocks(rack: Rack, block: Float32Array, blocks: number): void {
  for (let b = 0; b < blocks; b++) rack.render(block, 0, BLOCK);
}

Deno.test("Rack: rendering with patterns running allocates nothing per block", async () => {
  const rack = new Rack(RATE);
  for (let track = 0; track < 4; track++) {
    rack.beginPattern(
      track,
      BAR,
      track === 3 ? RackTarget.Drums : RackTarget.FirstInstrument + track,
    );
    for (let k = 0; k < 16; k++) {
      rack.patternCursor(track, k * SIXTEENTH, SIXTEENTH / 2);
      rack.patternNote(track, track === 3 ? 42 : 48 + k, 0.8);
    }
    rack.commitPattern(track, 0);
  }
  const block = new Float32Array(2 * BLOCK);
  renderBlocks(rack, block, 20000); // let V8 optimise first
  const bytes = await sampledAllocation(() => renderBlocks(rack, block, 20000), "renderBlocks", {
    sessions: 3,
    below: 64 * 1024,
  });
  // 20 000 blocks hold 13 333 sixteenths × 4 tracks: 53 000 note-ons and as
  // many note-offs. One boxed double (16 B) per event would show as 1.7 MB;
  // measured: about 84 KB in all, under 1 B per event.
  assert.ok(bytes < 256 * 1024, `${bytes} bytes sampled`);
});

Deno.test("Sequencer: a note with chance ½ plays about half the time, the same way after a snapshot", () => {
  const seq = new Sequencer(RATE);
  assert.equal(seq.patternNote(0, 60, 0.8, 0), false, "chance 0 is refused");
  seq.beginPattern(0, SIXTEENTH, 1);
  seq.patternCursor(0, 0, 10);
  assert.ok(seq.patternNote(0, 60, 0.8, 0.5));
  seq.commitPattern(0, 0, 0);
  const sink = new Recorder();
  drive(seq, sink, 0, 1000 * 6000); // 1000 sixteenths
  const played = sink.onsets().length;
  assert.ok(played > 450 && played < 550, `${played} of 1000`);
  // Deterministic: a copy from a snapshot makes the same choices.
  const state = new Float64Array(SEQUENCER_STATE_SIZE);
  seq.saveState(state, 0);
  const copy = new Sequencer(RATE);
  copy.loadState(state, 0);
  const a = new Recorder();
  const b = new Recorder();
  drive(seq, a, 1000 * 6000, 2000 * 6000);
  drive(copy, b, 1000 * 6000, 2000 * 6000);
  assert.deepEqual(b.played, a.played);
  assert.notEqual(a.onsets().length, 1000, "some were dropped");
});

Deno.test("Rack: ten minutes of rendered audio at 133 bpm, every bar's note on its exact sample", () => {
  const rack = new Rack(RATE);
  // A saw note (attack 0): every note starts the same way, so its first
  // loud sample is the same number of frames after its start every time.
  const lead = RackTarget.FirstInstrument;
  rack.setParam(RackTarget.Transport, TransportParam.Tempo, 133);
  rack.setParam(lead, InstrumentParam.Waveform, 1);
  rack.setParam(lead, InstrumentParam.AmpAttack, 0);
  rack.setParam(lead, InstrumentParam.AmpRelease, 5);
  rack.beginPattern(0, BAR, lead);
  rack.patternCursor(0, 0, 100);
  rack.patternNote(0, 57, 1);
  rack.commitPattern(0, 0);
  const block = new Float32Array(2 * BLOCK);
  const onsets: number[] = [];
  let quiet = 20_000;
  const blocks = Math.ceil((10 * 60 * RATE) / BLOCK);
  for (let b = 0; b < blocks; b++) {
    rack.render(block, 0, BLOCK);
    for (let i = 0; i < BLOCK; i++) {
      const loud = Math.abs(block[2 * i] as number) > 1e-3;
      if (loud && quiet >= 20_000) onsets.push(b * BLOCK + i);
      quiet = loud ? 0 : quiet + 1;
    }
  }
  // Bar k starts at k·4·60·48000/133 frames: the first whole frame at or after it.
  const lag = onsets[0] as number;
  assert.ok(lag >= 0 && lag < 64);
  const bars = onsets.length;
  assert.ok(bars >= 332, `${bars} bars in ten minutes`);
  onsets.forEach((frame, k) => {
    const want = Number((BigInt(k) * 4n * 60n * BigInt(RATE) + 132n) / 133n);
    assert.equal(frame - lag, want, `bar ${k}`);
  });
});
