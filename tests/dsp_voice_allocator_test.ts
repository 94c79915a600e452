import assert from "node:assert/strict";
import {
  checkVoiceCount,
  DEFAULT_VOICES,
  MAX_VOICES,
  MONO_STACK_SIZE,
  NoteAction,
  VoiceAllocator,
  voiceAllocatorStateSize,
  VoiceMode,
} from "../dsp/voice_allocator.ts";
import { seededRandom } from "./_random.ts";

Deno.test("VoiceAllocator fills free voices lowest first", () => {
  const a = new VoiceAllocator(4);
  assert.equal(a.capacity, 4);
  assert.equal(a.polyphony, 4);
  for (let k = 0; k < 4; k++) {
    assert.equal(a.noteOn(60 + k, 1), k);
    assert.equal(a.lastAction, NoteAction.Start);
  }
  assert.equal(a.activeVoices, 4);
  assert.equal(a.heldVoices, 4);
  // A voice that has ended is free again and taken before any steal.
  a.noteOff(62);
  a.voiceEnded(2);
  assert.equal(a.activeVoices, 3);
  assert.equal(a.noteOn(70, 1), 2);
  assert.equal(a.lastAction, NoteAction.Start);
});

Deno.test("VoiceAllocator steals the oldest released voice first, then the oldest held", () => {
  const a = new VoiceAllocator(4);
  for (const note of [60, 62, 64, 65]) a.noteOn(note, 1); // voices 0..3
  // Release in a known order: voice 2 first, then voice 0.
  assert.equal(a.noteOff(64), 2);
  assert.equal(a.lastAction, NoteAction.Release);
  assert.equal(a.noteOff(60), 0);
  assert.equal(a.heldVoices, 2);
  assert.equal(a.activeVoices, 4, "released voices still sound until voiceEnded");
  // New notes take the released voices, the one released first first.
  assert.equal(a.noteOn(67, 1), 2);
  assert.equal(a.lastAction, NoteAction.Retrigger);
  assert.equal(a.noteOn(69, 1), 0);
  assert.equal(a.lastAction, NoteAction.Retrigger);
  // None released: the oldest held voice (62 on voice 1, then 65 on voice 3).
  assert.equal(a.noteOn(71, 1), 1);
  assert.equal(a.noteOn(72, 1), 3);
  // Then the voices stolen earliest: 67 (voice 2) is now the oldest.
  assert.equal(a.noteOn(74, 1), 2);
  assert.equal(a.voiceNote(2), 74);
  // The stolen notes' note-offs find nothing.
  assert.equal(a.noteOff(62), -1);
  assert.equal(a.lastAction, NoteAction.None);
  // Releasing a held voice makes it the first to be stolen, even though it is younger.
  assert.equal(a.noteOff(74), 2);
  assert.equal(a.noteOn(76, 1), 2);
});

Deno.test("VoiceAllocator stealing order matches a reference model over random events", () => {
  const rand = seededRandom(7);
  const cap = 6;
  const a = new VoiceAllocator(cap);
  // Reference: per voice {note, held, sounding, on, off}.
  const ref = Array.from(
    { length: cap },
    () => ({ note: -1, held: false, on: 0, off: 0, snd: false }),
  );
  let clock = 0;
  for (let step = 0; step < 3000; step++) {
    const r = rand();
    const note = 40 + Math.floor(rand() * 24);
    if (r < 0.5) {
      let want = ref.findIndex((v) => v.snd && v.note === note);
      if (want < 0) want = ref.findIndex((v) => !v.snd);
      if (want < 0) {
        const released = ref.map((v, i) => ({ v, i })).filter((x) => !x.v.held);
        const pool = released.length > 0 ? released : ref.map((v, i) => ({ v, i }));
        pool.sort((x, y) => released.length > 0 ? x.v.off - y.v.off : x.v.on - y.v.on);
        want = (pool[0] as { i: number }).i;
      }
      assert.equal(a.noteOn(note, 1), want, `step ${step}: noteOn ${note}`);
      ref[want] = { note, held: true, on: clock++, off: 0, snd: true };
    } else if (r < 0.85) {
      const held = ref.map((v, i) => ({ v, i })).filter((x) => x.v.held && x.v.note === note);
      held.sort((x, y) => x.v.on - y.v.on);
      const want = held.length > 0 ? (held[0] as { i: number }).i : -1;
      assert.equal(a.noteOff(note), want, `step ${step}: noteOff ${note}`);
      if (want >= 0) {
        const v = ref[want] as (typeof ref)[number];
        v.held = false;
        v.off = clock++;
      }
    } else {
      const i = Math.floor(rand() * cap);
      const v = ref[i] as (typeof ref)[number];
      if (v.snd && !v.held) {
        a.voiceEnded(i);
        ref[i] = { note: -1, held: false, on: 0, off: 0, snd: false };
      }
    }
    assert.equal(a.activeVoices, ref.filter((v) => v.snd).length);
  }
});

Deno.test("VoiceAllocator retriggers the voice already sounding a repeated note", () => {
  const a = new VoiceAllocator(4);
  assert.equal(a.noteOn(60, 0.5), 0);
  assert.equal(a.noteOn(64, 1), 1);
  assert.equal(a.noteOn(60, 0.9), 0);
  assert.equal(a.lastAction, NoteAction.Retrigger);
  assert.equal(a.voiceVelocity(0), 0.9);
  assert.equal(a.activeVoices, 2);
  assert.equal(a.noteOff(60), 0);
  assert.equal(a.noteOff(60), -1, "one note-off releases it");
});

Deno.test("VoiceAllocator polyphony limits the voices used and releases those beyond it", () => {
  const a = new VoiceAllocator(8);
  for (let k = 0; k < 6; k++) a.noteOn(50 + k, 1);
  assert.equal(a.setPolyphony(3), true);
  assert.equal(a.polyphony, 3);
  for (let i = 3; i < 6; i++) assert.equal(a.isHeld(i), false, `voice ${i} released`);
  for (let i = 0; i < 3; i++) assert.equal(a.isHeld(i), true);
  for (let k = 0; k < 10; k++) {
    const v = a.noteOn(70 + k, 1);
    assert.ok(v >= 0 && v < 3, `note ${k} on voice ${v}`);
  }
  for (let i = 3; i < 8; i++) a.voiceEnded(i);
  assert.equal(a.activeVoices, 3);
  assert.equal(a.setPolyphony(NaN), false);
  assert.equal(a.polyphony, 3);
  a.setPolyphony(1000);
  assert.equal(a.polyphony, 8);
  a.setPolyphony(-5);
  assert.equal(a.polyphony, 1);
  a.setPolyphony(2.6);
  assert.equal(a.polyphony, 3);
});

Deno.test("VoiceAllocator mono mode returns to the previous held note and retriggers", () => {
  const a = new VoiceAllocator(4);
  assert.equal(a.setMode(VoiceMode.Mono), true);
  assert.equal(a.noteOn(60, 0.5), 0);
  assert.equal(a.lastAction, NoteAction.Start);
  assert.equal(a.noteOn(64, 0.6), 0);
  assert.equal(a.lastAction, NoteAction.Retrigger);
  assert.equal(a.noteOn(67, 0.7), 0);
  assert.equal(a.heldNotes, 3);
  // Releasing a note that is not sounding changes nothing audible.
  assert.equal(a.noteOff(64), -1);
  assert.equal(a.heldNotes, 2);
  // Releasing the top returns to the latest still held (60, not 64), with its velocity.
  assert.equal(a.noteOff(67), 0);
  assert.equal(a.lastAction, NoteAction.Retrigger);
  assert.equal(a.voiceNote(0), 60);
  assert.equal(a.voiceVelocity(0), 0.5);
  assert.equal(a.noteOff(60), 0);
  assert.equal(a.lastAction, NoteAction.Release);
  assert.equal(a.isHeld(0), false);
  assert.equal(a.activeVoices, 1, "voice 0 releasing");
  // A new note while voice 0 releases retriggers it; after it ended, starts it.
  assert.equal(a.noteOn(62, 1), 0);
  assert.equal(a.lastAction, NoteAction.Retrigger);
  a.noteOff(62);
  a.voiceEnded(0);
  assert.equal(a.noteOn(62, 1), 0);
  assert.equal(a.lastAction, NoteAction.Start);
});

Deno.test("VoiceAllocator legato mode glides between overlapping notes without retriggering", () => {
  const a = new VoiceAllocator(4);
  a.setMode(VoiceMode.Legato);
  a.noteOn(60, 1);
  assert.equal(a.lastAction, NoteAction.Start);
  a.noteOn(64, 1);
  assert.equal(a.lastAction, NoteAction.Legato);
  a.noteOff(64);
  assert.equal(a.lastAction, NoteAction.Legato);
  assert.equal(a.voiceNote(0), 60);
  a.noteOff(60);
  assert.equal(a.lastAction, NoteAction.Release);
  // Not overlapping (previous released, still sounding): a retrigger.
  a.noteOn(65, 1);
  assert.equal(a.lastAction, NoteAction.Retrigger);
});

Deno.test("VoiceAllocator mono stack forgets the oldest notes beyond its depth", () => {
  const a = new VoiceAllocator(1);
  a.setMode(VoiceMode.Mono);
  for (let k = 0; k < MONO_STACK_SIZE + 5; k++) a.noteOn(k, 1);
  assert.equal(a.heldNotes, MONO_STACK_SIZE);
  // Release from the top: returns through the remembered notes only.
  let last = -1;
  for (let k = MONO_STACK_SIZE + 4; k >= 5; k--) {
    a.noteOff(k);
    last = a.voiceNote(0);
  }
  assert.equal(last, 5);
  assert.equal(a.lastAction, NoteAction.Release);
  assert.equal(a.noteOff(4), -1, "forgotten");
});

Deno.test("VoiceAllocator changing mode releases held notes", () => {
  const a = new VoiceAllocator(4);
  a.noteOn(60, 1);
  a.noteOn(62, 1);
  assert.equal(a.setMode(VoiceMode.Legato), true);
  assert.equal(a.heldVoices, 0);
  assert.equal(a.mode, VoiceMode.Legato);
  assert.equal(a.setMode(3), false);
  assert.equal(a.setMode(NaN), false);
  assert.equal(a.mode, VoiceMode.Legato);
});

Deno.test("VoiceAllocator rejects non-finite notes and clamps notes and velocities", () => {
  const a = new VoiceAllocator(4);
  a.noteOn(50, 1);
  a.noteOff(50);
  a.voiceEnded(0);
  for (const bad of [NaN, Infinity, -Infinity]) {
    assert.equal(a.noteOn(bad, 1), -1);
    assert.equal(a.lastAction, NoteAction.Release, "rejected: unchanged");
    assert.equal(a.noteOn(60, bad), -1);
    assert.equal(a.noteOff(bad), -1);
  }
  assert.equal(a.activeVoices, 0);
  a.noteOn(1e30, 7);
  assert.equal(a.voiceNote(0), 127);
  assert.equal(a.voiceVelocity(0), 1);
  a.noteOn(-3, -2);
  assert.equal(a.voiceNote(1), 0);
  assert.equal(a.voiceVelocity(1), 0);
  assert.equal(a.noteOff(-50), 1, "note-off clamps the same way");
  const v = a.noteOn(60.5, 1);
  assert.equal(v, 2, "voice 1 still releasing: the next free voice");
  assert.equal(a.voiceNote(v), 60.5, "fractional notes kept");
});

Deno.test("VoiceAllocator checks its capacity", () => {
  assert.equal(new VoiceAllocator().capacity, DEFAULT_VOICES);
  for (const bad of [0, -1, 1.5, MAX_VOICES + 1, NaN]) {
    assert.throws(() => new VoiceAllocator(bad), RangeError);
    assert.throws(() => checkVoiceCount(bad), RangeError);
  }
  assert.equal(new VoiceAllocator(MAX_VOICES).capacity, MAX_VOICES);
});

Deno.test("VoiceAllocator snapshot restores the same decisions", () => {
  const rand = seededRandom(11);
  const a = new VoiceAllocator(5);
  const events: [number, number][] = [];
  for (let k = 0; k < 400; k++) events.push([Math.floor(rand() * 3), 50 + Math.floor(rand() * 12)]);
  const run = (x: VoiceAllocator, from: number, to: number): number[] => {
    const got: number[] = [];
    for (let k = from; k < to; k++) {
      const [kind, note] = events[k] as [number, number];
      if (kind === 0) got.push(x.noteOn(note, 0.5), x.lastAction);
      else if (kind === 1) got.push(x.noteOff(note), x.lastAction);
      else x.voiceEnded(note % 5);
    }
    return got;
  };
  run(a, 0, 200);
  const state = new Float64Array(a.stateSize + 3);
  assert.equal(a.stateSize, voiceAllocatorStateSize(5));
  assert.equal(a.saveState(state, 3), 3 + a.stateSize);
  const b = new VoiceAllocator(5);
  assert.equal(b.loadState(state, 3), 3 + b.stateSize);
  assert.deepEqual(run(b, 200, 400), run(a, 200, 400));
  // Mode and stack too.
  const m = new VoiceAllocator(5);
  m.setMode(VoiceMode.Legato);
  m.noteOn(60, 0.25);
  m.noteOn(64, 1);
  m.saveState(state, 0);
  const n = new VoiceAllocator(5);
  n.loadState(state, 0);
  assert.equal(n.mode, VoiceMode.Legato);
  n.noteOff(64);
  assert.equal(n.lastAction, NoteAction.Legato);
  assert.equal(n.voiceNote(0), 60);
  assert.equal(n.voiceVelocity(0), 0.25);
  assert.throws(() => new VoiceAllocator(4).loadState(state, 0), RangeError);
  // Garbage is repaired, not trusted.
  const junk = new Float64Array(a.stateSize).fill(NaN);
  junk[0] = 5;
  const j = new VoiceAllocator(5);
  j.loadState(junk, 0);
  assert.equal(j.activeVoices, 0);
  assert.equal(j.mode, VoiceMode.Poly);
  assert.equal(j.polyphony, 5);
  assert.equal(j.noteOn(60, 1), 0);
});
