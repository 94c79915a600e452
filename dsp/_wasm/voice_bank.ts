// AssemblyScript source of the voice bank kernel (dsp/voice_bank.ts loads
// the compiled module; bin/build-wasm compiles it into
// dsp/_voice_bank_wasm.ts). Not Deno code: it is excluded from deno check
// and lint, and compiled with `asc --enable simd`.
//
// Up to 64 voices of oscillator → state-variable filter → amp envelope,
// four voices per WebAssembly SIMD vector (f32x4): every per-sample
// operation below works on four voices at once. Per voice ("lane") state is
// stored field by field (64 f32 per field), so the four lanes of a group are
// one v128 load. Slow-moving values (pitch and glide, filter envelope,
// cutoff → coefficients, smoothed parameters) are computed every
// CONTROL_FRAMES frames ("control points") and ramped or held between them.
//
// All state lives in linear memory between STATE_BEGIN and STATE_END, so a
// snapshot is a copy of those bytes. The TypeScript side writes parameter
// targets into the PARAM region and calls the note functions; it reads the
// output block at OUT.

// ------------------------------------------------------------------ layout

/** Most voices in a bank. */
export const MAX_LANES: i32 = 64;
/** Frames between control points. */
export const CONTROL_FRAMES: i32 = 16;
/** Most frames per render call. */
export const MAX_FRAMES: i32 = 128;

const FIELD: usize = 256; // bytes of one lane field: 64 × f32

// Lane fields.
const PHASE: usize = 0; // oscillator phase, cycles [0, 1)
const INC: usize = 1; // phase increment at the last control point
const SIGN: usize = 2; // sub-oscillator sign, ±1
const MODPH: usize = 3; // FM modulator phase
const PITCH: usize = 4; // semitones (MIDI numbering)
const PTARGET: usize = 5; // glide target
const PSTEP: usize = 6; // semitones per frame while gliding
const PLEFT: usize = 7; // glide frames left
const IC1: usize = 8; // filter integrator states
const IC2: usize = 9;
const A1: usize = 10; // filter coefficients at the last control point
const A2: usize = 11;
const A3: usize = 12;
const AMP: usize = 13; // amp envelope, ENV_FIELDS fields
const FENV: usize = 20; // filter envelope, ENV_FIELDS fields
const FVAL: usize = 27; // filter envelope level at the last control point
const AX: usize = 34; // amp envelope progress x at the last frame (see renderGroup)
const DINC: usize = 28; // increment change per frame until the next control point
const DA1: usize = 29; // coefficient changes per frame until the next control point
const DA2: usize = 30;
const DA3: usize = 31;
const RPREV: usize = 32; // oscillator read phase of the next frame
const OFFPREV: usize = 33; // FM phase offset at the previous frame
const LANE_FIELDS: usize = 35;

// Fields of an envelope.
const E_STAGE: usize = 0; // AdsrStage: 0 idle, 1 attack, 2 decay, 3 sustain, 4 release
const E_POS: usize = 1; // frames into the segment
const E_LEN: usize = 2; // segment length in frames (>= 1)
const E_CURVE: usize = 3; // 0 linear, 1 exponential
const E_FROM: usize = 4; // level the segment started from
const E_PEAK: usize = 5; // velocity-scaled peak
const E_GATE: usize = 6; // 1 while the gate is open
const ENV_FIELDS: usize = 7;

const STAGE_IDLE: f32 = 0;
const STAGE_ATTACK: f32 = 1;
const STAGE_DECAY: f32 = 2;
const STAGE_SUSTAIN: f32 = 3;
const STAGE_RELEASE: f32 = 4;

// Bank parameters (f32 slots of PARAM), written by TypeScript.
/** Waveform: 0 sine, 1 saw, 2 square, 3 pulse, 4 triangle. */
export const P_WAVEFORM: i32 = 0;
/** Detune in cents (smoothed). */
export const P_DETUNE: i32 = 1;
/** Pulse width, fraction of the period (smoothed). */
export const P_WIDTH: i32 = 2;
/** Sub-oscillator level (smoothed). */
export const P_SUB: i32 = 3;
/** FM modulator frequency ratio (smoothed). */
export const P_FM_RATIO: i32 = 4;
/** FM index in radians (smoothed). */
export const P_FM_INDEX: i32 = 5;
/** Filter output weights: input, k·band, low (smoothed). */
export const P_WX: i32 = 6;
export const P_WB: i32 = 7;
export const P_WL: i32 = 8;
/** Filter cutoff in Hz (smoothed in octaves). */
export const P_CUTOFF: i32 = 9;
/** Filter k = 1/Q (smoothed). */
export const P_K: i32 = 10;
/** Key tracking, octaves of cutoff per octave of pitch above C4 (smoothed). */
export const P_KEYTRACK: i32 = 11;
/** Filter envelope amount in octaves (smoothed). */
export const P_ENV_AMOUNT: i32 = 12;
/** Amp envelope: attack, decay, release frames; sustain (smoothed); curves; mode; velocity sensitivity. */
export const P_AMP: i32 = 13;
/** Filter envelope: the same eight slots. */
export const P_FENV: i32 = 21;
/** Offsets within an envelope's parameters. */
export const EP_ATTACK: i32 = 0;
export const EP_DECAY: i32 = 1;
export const EP_RELEASE: i32 = 2;
export const EP_SUSTAIN: i32 = 3;
export const EP_ATTACK_CURVE: i32 = 4;
export const EP_DECAY_CURVE: i32 = 5;
export const EP_RELEASE_CURVE: i32 = 6;
export const EP_SENSITIVITY: i32 = 7;
/** Envelope mode (0 ADSR, 1 AR) of both envelopes. */
export const P_ENV_MODE: i32 = 29;
/** Sample rate in Hz. */
export const P_RATE: i32 = 30;
/** Smoothing coefficient per control point (1 − e^(−CONTROL_FRAMES / (τ·rate))). */
export const P_SMOOTH: i32 = 31;
/** Oscillator frequency smoothing coefficient per control point. */
export const P_FREQ_SMOOTH: i32 = 32;
/** Number of lanes in use (a multiple of 4, at most MAX_LANES). */
export const P_LANES: i32 = 33;
/** Parameter slots (f32). */
export const PARAM_SLOTS: i32 = 40;

// Smoothed values (CUR), at the indices of the parameters they follow (the
// cutoff in log2 Hz), and the frames left to the next control point.
const C_CONTROL_LEFT: i32 = 39;
// Waveforms.
const WAVE_SINE: i32 = 0;
const WAVE_SAW: i32 = 1;
const WAVE_SQUARE: i32 = 2;
const WAVE_PULSE: i32 = 3;
const WAVE_TRIANGLE: i32 = 4;
// Ring slot of the first frame of the next render call.
const C_RING: i32 = 38;

/** Residual taps per event: frames from 8 before to 7 after it. */
export const RESIDUAL_TAPS: i32 = 16;
/** Points per frame in the residual tables (plus one guard point per tap). */
export const RESIDUAL_PHASES: i32 = 64;
const STRIDE: i32 = RESIDUAL_PHASES + 1;
const HALF_TAPS: i32 = 8;

const STATE_BEGIN: usize = 1024;
const LANES: usize = STATE_BEGIN;
const CUR: usize = LANES + LANE_FIELDS * FIELD;
const PARAM: usize = CUR + <usize>PARAM_SLOTS * 4;
// The oscillator output rings: per group RESIDUAL_TAPS frames of v128.
const RING: usize = PARAM + <usize>PARAM_SLOTS * 4;
const RING_GROUP: usize = <usize>RESIDUAL_TAPS * 16;
const STATE_END_: usize = RING + <usize>(MAX_LANES / 4) * RING_GROUP;
const OUT: usize = STATE_END_;
const ACC: usize = (OUT + <usize>MAX_FRAMES * 4 + 15) & ~15;
const SCRATCH: usize = ACC + <usize>MAX_FRAMES * 16;
// Band-limited step and ramp residual tables (f32, filled by TypeScript):
// tap k, point j is the residual at k − 8 + j/RESIDUAL_PHASES frames.
const BLEP_TABLE: usize = SCRATCH + 128; // SCRATCH holds six v128
const BLAMP_TABLE: usize = BLEP_TABLE + <usize>(RESIDUAL_TAPS * STRIDE) * 4;
const LAYOUT_END: usize = BLAMP_TABLE + <usize>(RESIDUAL_TAPS * STRIDE) * 4;

/** Byte offsets of the step and ramp residual tables. */
export function blepTableOffset(): usize {
  return BLEP_TABLE;
}
export function blampTableOffset(): usize {
  return BLAMP_TABLE;
}

/**
 * Byte offset just past everything this file places in memory; the
 * compiler's own data (Mathf tables) starts at --memoryBase (see
 * tests/_wasm_build.ts), which must lie beyond it.
 */
export function layoutEnd(): usize {
  return LAYOUT_END;
}

/** Byte offset of the state a snapshot copies. */
export function stateBegin(): usize {
  return STATE_BEGIN;
}
/** Byte offset just past that state. */
export function stateEnd(): usize {
  return STATE_END_;
}
/** Byte offset of the parameter slots (f32). */
export function paramOffset(): usize {
  return PARAM;
}
/** Byte offset of the output block (f32, MAX_FRAMES). */
export function outOffset(): usize {
  return OUT;
}

// ------------------------------------------------------------------ access

@inline function laneAt(field: usize, lane: i32): usize {
  return LANES + field * FIELD + (<usize>lane << 2);
}
@inline function getL(field: usize, lane: i32): f32 {
  return load<f32>(laneAt(field, lane));
}
@inline function setL(field: usize, lane: i32, v: f32): void {
  store<f32>(laneAt(field, lane), v);
}
@inline function groupAt(field: usize, g: i32): usize {
  return LANES + field * FIELD + (<usize>g << 4);
}
@inline function ld(field: usize, g: i32): v128 {
  return v128.load(groupAt(field, g));
}
@inline function st(field: usize, g: i32, v: v128): void {
  v128.store(groupAt(field, g), v);
}
@inline function param(i: i32): f32 {
  return load<f32>(PARAM + (<usize>i << 2));
}
@inline function cur(i: i32): f32 {
  return load<f32>(CUR + (<usize>i << 2));
}
@inline function setCur(i: i32, v: f32): void {
  store<f32>(CUR + (<usize>i << 2), v);
}
@inline function splat(x: f32): v128 {
  return f32x4.splat(x);
}

// ------------------------------------------------------------------ SIMD maths

/** 2^x, relative error < 2e-7 for x in [-126, 126]. */
@inline function exp2v(x: v128): v128 {
  const c = f32x4.min(f32x4.max(x, splat(-126)), splat(126));
  const fl = f32x4.floor(c);
  const f = f32x4.sub(c, fl);
  // Minimax polynomial of 2^f on [0, 1).
  let p = splat(1.8775767e-3);
  p = f32x4.add(f32x4.mul(p, f), splat(8.9893397e-3));
  p = f32x4.add(f32x4.mul(p, f), splat(5.5826318e-2));
  p = f32x4.add(f32x4.mul(p, f), splat(2.4015361e-1));
  p = f32x4.add(f32x4.mul(p, f), splat(6.9315308e-1));
  p = f32x4.add(f32x4.mul(p, f), splat(9.9999994e-1));
  const e = i32x4.shl(i32x4.trunc_sat_f32x4_s(fl), 23);
  return i32x4.add(p, e);
}

/** tan(x) for x in [0, π/2): Padé [5/4] on [0, π/4], tan(x) = 1/tan(π/2 − x) above. */
@inline function tanv(x: v128): v128 {
  const upper = f32x4.gt(x, splat(0.78539816));
  const y = v128.bitselect(f32x4.sub(splat(1.57079633), x), x, upper);
  const y2 = f32x4.mul(y, y);
  const num = f32x4.mul(
    y,
    f32x4.add(splat(945), f32x4.mul(y2, f32x4.add(splat(-105), y2))),
  );
  const den = f32x4.add(splat(945), f32x4.mul(y2, f32x4.add(splat(-420), f32x4.mul(y2, splat(15)))));
  return v128.bitselect(f32x4.div(den, num), f32x4.div(num, den), upper);
}

/** sin(2π·x) for any x: reduced to [-¼, ¼] cycles, odd polynomial (error < 1e-6). */
@inline function sin2piv(x: v128): v128 {
  let r = f32x4.sub(x, f32x4.nearest(x)); // [-0.5, 0.5]
  // Fold |r| > 1/4 about ±1/4: sin(2π r) = sin(2π(±1/2 − r)).
  const half = v128.or(v128.and(r, splat(-0.0)), splat(0.5)); // ±1/2 with r's sign
  const folded = f32x4.sub(half, r);
  r = v128.bitselect(folded, r, f32x4.gt(f32x4.abs(r), splat(0.25)));
  const y = f32x4.mul(r, splat(6.28318531));
  const y2 = f32x4.mul(y, y);
  let p = splat(2.7557319e-6);
  p = f32x4.add(f32x4.mul(p, y2), splat(-1.9841270e-4));
  p = f32x4.add(f32x4.mul(p, y2), splat(8.3333333e-3));
  p = f32x4.add(f32x4.mul(p, y2), splat(-1.6666667e-1));
  p = f32x4.add(f32x4.mul(p, y2), splat(1));
  return f32x4.mul(p, y);
}

/**
 * Add `amount` × the residual in `table` of an event `x` frames (in [0, 1))
 * before frame `frame` of this render call to lane `j` of group `g`'s ring:
 * taps k = 0..15 go to frames frame − 8 + k, at k − 8 + x frames from it.
 */
function addResidual(g: i32, j: i32, frame: i32, x: f32, amount: f32, table: usize): void {
  const pos = x * <f32>RESIDUAL_PHASES;
  let p = <i32>pos;
  if (p > RESIDUAL_PHASES - 1) p = RESIDUAL_PHASES - 1;
  if (p < 0) p = 0;
  const frac = pos - <f32>p;
  const ring = RING + <usize>g * RING_GROUP + (<usize>j << 2);
  const first = <i32>cur(C_RING) + frame - HALF_TAPS;
  for (let k = 0; k < RESIDUAL_TAPS; k++) {
    const t = table + (<usize>(k * STRIDE + p) << 2);
    const lo = load<f32>(t);
    const v = lo + frac * (load<f32>(t, 4) - lo);
    const at = ring + (<usize>((first + k) & (RESIDUAL_TAPS - 1)) << 4);
    store<f32>(at, load<f32>(at) + amount * v);
  }
}

/**
 * Events of lane `j` between the previous frame and frame `frame`: the
 * read phase moved from `r0` by `delta` (negative while FM pulls it back),
 * crossing the waveform's edges; the main phase wrapped when `wrapped`
 * (the sub-oscillator flips there).
 */
function laneEvents(
  g: i32,
  j: i32,
  frame: i32,
  wave: i32,
  r0: f32,
  delta: f32,
  width: f32,
  phase: f32,
  inc: f32,
  wrapped: bool,
  subStep: f32,
): void {
  if (wave == WAVE_SAW) {
    edge(g, j, frame, r0, delta, 0, -2, BLEP_TABLE);
  } else if (wave == WAVE_SQUARE || wave == WAVE_PULSE) {
    edge(g, j, frame, r0, delta, 0, 2, BLEP_TABLE);
    edge(g, j, frame, r0, delta, wave == WAVE_SQUARE ? 0.5 : width, -2, BLEP_TABLE);
  } else if (wave == WAVE_TRIANGLE) {
    const slope: f32 = 8 * Mathf.abs(delta);
    edge(g, j, frame, r0, delta, 0.25, -slope, BLAMP_TABLE);
    edge(g, j, frame, r0, delta, 0.75, slope, BLAMP_TABLE);
  }
  if (wrapped && subStep != 0 && inc > 0) {
    addResidual(g, j, frame, phase / inc, subStep, BLEP_TABLE);
  }
}

/**
 * A crossing of the edge at phase `e` while the read phase moves from `r0`
 * by `delta`: its residual, with the step `h` (or slope change) negated when
 * crossed backwards.
 */
@inline function edge(
  g: i32,
  j: i32,
  frame: i32,
  r0: f32,
  delta: f32,
  e: f32,
  h: f32,
  table: usize,
): void {
  const q = r0 - e;
  const a = Mathf.floor(q);
  const b = Mathf.floor(q + delta);
  if (a == b || delta == 0) return;
  const boundary = delta > 0 ? b : a;
  const x = (q + delta - boundary) / delta;
  addResidual(g, j, frame, x, delta > 0 ? h : -h, table);
}

/** Events for every lane of `g` with its masks set, from vectors parked in SCRATCH. */
function groupEvents(g: i32, frame: i32, wave: i32, width: f32, subLevel: f32): void {
  for (let j = 0; j < 4; j++) {
    const o = <usize>j << 2;
    const wrapped = load<f32>(SCRATCH + 64 + o) != 0;
    const sign = load<f32>(SCRATCH + 80 + o); // before any flip at this wrap
    laneEvents(
      g,
      j,
      frame,
      wave,
      load<f32>(SCRATCH + o),
      load<f32>(SCRATCH + 16 + o),
      width,
      load<f32>(SCRATCH + 32 + o),
      load<f32>(SCRATCH + 48 + o),
      wrapped,
      -2 * subLevel * sign,
    );
  }
}

// ------------------------------------------------------------------ envelopes

const CURVATURE: f32 = 5;
const EXP_NORM: f32 = 1.0067837; // 1 / (1 − e^−5)

/** Fraction of a segment covered at position t in [0, 1] (scalar, control side). */
function curveAt(curve: f32, t: f32): f32 {
  if (t >= 1) return 1;
  return curve == 0 ? t : (1 - Mathf.exp(-CURVATURE * t)) * EXP_NORM;
}

/** Fractions of four segments at `pos`/`len` (SIMD, exponential via exp2v). */
@inline function curveV(curve: v128, pos: v128, len: v128): v128 {
  const t = f32x4.min(f32x4.div(pos, len), splat(1));
  const e = exp2v(f32x4.mul(t, splat(-7.2134752))); // e^(−5t) = 2^(−5·log2(e)·t)
  const ex = f32x4.mul(f32x4.sub(splat(1), e), splat(EXP_NORM));
  return v128.bitselect(ex, t, f32x4.gt(curve, splat(0.5)));
}

/** Level of four envelopes from their segment state (stage, fractions, sustain s). */
@inline function levelV(base: usize, g: i32, f: v128, s: v128): v128 {
  const stage = ld(base + E_STAGE, g);
  const from = ld(base + E_FROM, g);
  const peak = ld(base + E_PEAK, g);
  const sp = f32x4.mul(s, peak);
  const attack = f32x4.add(from, f32x4.mul(f32x4.sub(peak, from), f));
  const decay = f32x4.sub(peak, f32x4.mul(f32x4.sub(peak, sp), f));
  const release = f32x4.sub(from, f32x4.mul(from, f));
  let y = v128.and(attack, f32x4.eq(stage, splat(STAGE_ATTACK)));
  y = v128.bitselect(decay, y, f32x4.eq(stage, splat(STAGE_DECAY)));
  y = v128.bitselect(sp, y, f32x4.eq(stage, splat(STAGE_SUSTAIN)));
  return v128.bitselect(release, y, f32x4.eq(stage, splat(STAGE_RELEASE)));
}

/** Scalar level of one envelope now (control side: events and transitions). */
function levelNow(base: usize, lane: i32, s: f32): f32 {
  const stage = getL(base + E_STAGE, lane);
  const f = curveAt(getL(base + E_CURVE, lane), getL(base + E_POS, lane) / getL(base + E_LEN, lane));
  const from = getL(base + E_FROM, lane);
  const peak = getL(base + E_PEAK, lane);
  if (stage == STAGE_ATTACK) return from + (peak - from) * f;
  if (stage == STAGE_DECAY) return peak - (peak - s * peak) * f;
  if (stage == STAGE_SUSTAIN) return s * peak;
  if (stage == STAGE_RELEASE) return from - from * f;
  return 0;
}

@inline function envParam(pbase: i32, which: i32): f32 {
  return param(pbase + which);
}

function segment(base: usize, lane: i32, stage: f32, len: f32, curve: f32, from: f32): void {
  // The amp envelope's progress at position 0: linear 0, exponential e^0.
  if (base == AMP) setL(AX, lane, curve > 0.5 ? 1 : 0);
  setL(base + E_STAGE, lane, stage);
  setL(base + E_POS, lane, 0);
  setL(base + E_LEN, lane, len >= 1 ? len : 1);
  setL(base + E_CURVE, lane, curve);
  setL(base + E_FROM, lane, from);
}

function enterDecay(base: usize, pbase: i32, lane: i32): void {
  const decay = envParam(pbase, EP_DECAY);
  if (decay > 0) segment(base, lane, STAGE_DECAY, decay, envParam(pbase, EP_DECAY_CURVE), 0);
  else segment(base, lane, STAGE_SUSTAIN, 1, 0, 0);
}

function enterRelease(base: usize, pbase: i32, lane: i32, from: f32): void {
  segment(base, lane, STAGE_RELEASE, envParam(pbase, EP_RELEASE), envParam(pbase, EP_RELEASE_CURVE), from);
}

/** Open the gate of one envelope with `velocity`: attack from the current level. */
function gateOn(base: usize, pbase: i32, sus: i32, lane: i32, velocity: f32): void {
  const from = levelNow(base, lane, cur(sus));
  const v: f32 = velocity < 0 ? <f32>0 : velocity > 1 ? <f32>1 : velocity;
  setL(base + E_PEAK, lane, 1 - envParam(pbase, EP_SENSITIVITY) * (1 - v));
  setL(base + E_GATE, lane, 1);
  segment(base, lane, STAGE_ATTACK, envParam(pbase, EP_ATTACK), envParam(pbase, EP_ATTACK_CURVE), from);
}

/** Close the gate: release from the current level (ADSR mode; AR releases on its own). */
function gateOff(base: usize, pbase: i32, sus: i32, lane: i32): void {
  setL(base + E_GATE, lane, 0);
  const stage = getL(base + E_STAGE, lane);
  if (stage == STAGE_IDLE || param(P_ENV_MODE) == 1) return;
  enterRelease(base, pbase, lane, levelNow(base, lane, cur(sus)));
}

function envReset(base: usize, lane: i32): void {
  segment(base, lane, STAGE_IDLE, 1, 0, 0);
  setL(base + E_GATE, lane, 0);
}

/**
 * Advance one envelope of `lane` by `frames` frames from the segment
 * position, taking every stage boundary on the way exactly as the
 * TypeScript Envelope does (the frame at a segment's end holds its end
 * level; the next segment starts at the frame after).
 */
function envAdvance(base: usize, pbase: i32, sus: i32, lane: i32, frames: f32): void {
  let left = frames;
  while (left > 0) {
    const stage = getL(base + E_STAGE, lane);
    if (stage == STAGE_IDLE || stage == STAGE_SUSTAIN) return;
    const pos = getL(base + E_POS, lane);
    const len = getL(base + E_LEN, lane);
    if (pos + left < len) {
      setL(base + E_POS, lane, pos + left);
      return;
    }
    left -= len - pos;
    const peak = getL(base + E_PEAK, lane);
    if (stage == STAGE_ATTACK) {
      if (param(P_ENV_MODE) == 1) enterRelease(base, pbase, lane, peak);
      else enterDecay(base, pbase, lane);
    } else if (stage == STAGE_DECAY) {
      segment(base, lane, STAGE_SUSTAIN, 1, 0, 0);
    } else {
      envReset(base, lane);
    }
  }
}

// ------------------------------------------------------------------ notes

const AMP_SUSTAIN: i32 = P_AMP + EP_SUSTAIN;
const FENV_SUSTAIN: i32 = P_FENV + EP_SUSTAIN;

function jumpTo(lane: i32, note: f32): void {
  setL(PITCH, lane, note);
  setL(PTARGET, lane, note);
  setL(PSTEP, lane, 0);
  setL(PLEFT, lane, 0);
}

/** Start `lane` from silence at `note` with `velocity`: phases, filter and envelopes reset. */
export function noteStart(lane: i32, note: f32, velocity: f32): void {
  // A silent bank's smoothed values stood still (see render): the first
  // note starts from their targets.
  if (!anyActive((<i32>param(P_LANES)) >> 2)) settle();
  jumpTo(lane, note);
  setL(PHASE, lane, 0);
  setL(MODPH, lane, 0);
  setL(RPREV, lane, 0);
  setL(OFFPREV, lane, 0);
  const ring = RING + <usize>(lane >> 2) * RING_GROUP + (<usize>(lane & 3) << 2);
  for (let k = 0; k < RESIDUAL_TAPS; k++) store<f32>(ring + (<usize>k << 4), 0);
  setL(SIGN, lane, 1);
  setL(IC1, lane, 0);
  setL(IC2, lane, 0);
  envReset(AMP, lane);
  envReset(FENV, lane);
  gateOn(AMP, P_AMP, AMP_SUSTAIN, lane, velocity);
  gateOn(FENV, P_FENV, FENV_SUSTAIN, lane, velocity);
  prime(lane);
}

/** Move `lane` to `note`: a glide linear in semitones over `glideFrames` (< 1: at once). */
export function noteMove(lane: i32, note: f32, glideFrames: f32): void {
  if (!(glideFrames >= 1) || note == getL(PITCH, lane)) {
    jumpTo(lane, note);
    return;
  }
  setL(PTARGET, lane, note);
  setL(PLEFT, lane, glideFrames);
  setL(PSTEP, lane, (note - getL(PITCH, lane)) / glideFrames);
}

/** Retrigger both envelopes of `lane` from their levels and move to `note`. */
export function noteRetrigger(lane: i32, note: f32, velocity: f32, glideFrames: f32): void {
  noteMove(lane, note, glideFrames);
  gateOn(AMP, P_AMP, AMP_SUSTAIN, lane, velocity);
  gateOn(FENV, P_FENV, FENV_SUSTAIN, lane, velocity);
}

/** Close both gates of `lane` (release). */
export function noteRelease(lane: i32): void {
  gateOff(AMP, P_AMP, AMP_SUSTAIN, lane);
  gateOff(FENV, P_FENV, FENV_SUSTAIN, lane);
}

/** Silence `lane` at once: envelopes idle, glide stopped. */
export function noteStop(lane: i32): void {
  envReset(AMP, lane);
  envReset(FENV, lane);
  jumpTo(lane, getL(PTARGET, lane));
}

/** Stage of the amp envelope of `lane` (0 idle, 1 attack, 2 decay, 3 sustain, 4 release). */
export function laneStage(lane: i32): i32 {
  return <i32>getL(AMP + E_STAGE, lane);
}

/** Pitch of `lane` in semitones (fractional while gliding). */
export function lanePitch(lane: i32): f32 {
  return getL(PITCH, lane);
}

/** Level of the amp envelope of `lane` at the last frame rendered. */
export function laneLevel(lane: i32): f32 {
  return levelNow(AMP, lane, cur(AMP_SUSTAIN));
}

/** Level of the filter envelope of `lane` at the last control point. */
export function laneFilterEnvelope(lane: i32): f32 {
  return getL(FVAL, lane);
}

// ------------------------------------------------------------------ set-up

/** Jump every smoothed value to its target (no glide). */
export function settle(): void {
  for (let i = P_DETUNE; i <= P_ENV_AMOUNT; i++) setCur(i, param(i));
  setCur(P_CUTOFF, Mathf.log2(param(P_CUTOFF)));
  setCur(AMP_SUSTAIN, param(AMP_SUSTAIN));
  setCur(FENV_SUSTAIN, param(FENV_SUSTAIN));
}

/** Every lane idle and at rest; the next render starts with a control point. */
export function clear(): void {
  memory.fill(LANES, 0, LANE_FIELDS * FIELD);
  memory.fill(RING, 0, <usize>(MAX_LANES / 4) * RING_GROUP);
  for (let lane = 0; lane < MAX_LANES; lane++) {
    setL(SIGN, lane, 1);
    jumpTo(lane, 60);
    envReset(AMP, lane);
    envReset(FENV, lane);
  }
  setCur(C_CONTROL_LEFT, 0);
  setCur(C_RING, 0);
}

// ------------------------------------------------------------------ control points

/** Advance the smoothed bank values by one control point. */
function smoothStep(): void {
  const c = param(P_SMOOTH);
  for (let i = P_DETUNE; i <= P_ENV_AMOUNT; i++) {
    smoothTo(i, i == P_CUTOFF ? Mathf.log2(param(i)) : param(i), c);
  }
  smoothTo(AMP_SUSTAIN, param(AMP_SUSTAIN), c);
  smoothTo(FENV_SUSTAIN, param(FENV_SUSTAIN), c);
}

/**
 * One step of smoothed value `i` toward `target` by the fraction `c`,
 * landing exactly on it once within 1e-6 (float32 steps would otherwise
 * stall a few ulps short).
 */
@inline function smoothTo(i: i32, target: f32, c: f32): void {
  const d = target - cur(i);
  setCur(i, Mathf.abs(d) < 1e-6 ? target : cur(i) + d * c);
}

/** Glide and filter envelope of group `g` by one control step (scalar, per lane). */
function advanceGroup(g: i32): void {
  const frames = <f32>CONTROL_FRAMES;
  for (let j = 0; j < 4; j++) {
    const lane = (g << 2) + j;
    const left = getL(PLEFT, lane);
    if (left > 0) {
      if (left <= frames) {
        setL(PITCH, lane, getL(PTARGET, lane));
        setL(PLEFT, lane, 0);
      } else {
        setL(PITCH, lane, getL(PITCH, lane) + getL(PSTEP, lane) * frames);
        setL(PLEFT, lane, left - frames);
      }
    }
    envAdvance(FENV, P_FENV, FENV_SUSTAIN, lane, frames);
  }
}

/** Phase increments of group `g` for its pitches, detune and the rate. */
@inline function incrementsV(g: i32): v128 {
  const semis = f32x4.add(
    f32x4.sub(ld(PITCH, g), splat(69)),
    splat(cur(P_DETUNE) * 0.01),
  );
  const hz = f32x4.mul(exp2v(f32x4.mul(semis, splat(0.083333333))), splat(440));
  return f32x4.min(f32x4.mul(hz, splat(1 / param(P_RATE))), splat(0.5));
}

/**
 * Filter coefficients (a1, a2, a3 into the DA fields' places) of group `g`
 * for the cutoff in octaves: base + filter envelope · amount + key tracking
 * · (pitch − 60)/12, clamped to 20 Hz .. 0.45·rate.
 */
function coefficients(g: i32): void {
  const fenv = levelV(
    FENV,
    g,
    curveV(ld(FENV + E_CURVE, g), ld(FENV + E_POS, g), ld(FENV + E_LEN, g)),
    splat(cur(FENV_SUSTAIN)),
  );
  st(FVAL, g, fenv);
  const oct = f32x4.add(
    f32x4.add(splat(cur(P_CUTOFF)), f32x4.mul(fenv, splat(cur(P_ENV_AMOUNT)))),
    f32x4.mul(
      splat(cur(P_KEYTRACK) * 0.083333333),
      f32x4.sub(ld(PITCH, g), splat(60)),
    ),
  );
  const rate = param(P_RATE);
  const hz = f32x4.min(f32x4.max(exp2v(oct), splat(20)), splat(0.45 * rate));
  const gg = tanv(f32x4.mul(hz, splat(<f32>Math.PI / rate)));
  const k = splat(cur(P_K));
  const a1 = f32x4.div(splat(1), f32x4.add(splat(1), f32x4.mul(gg, f32x4.add(gg, k))));
  const a2 = f32x4.mul(gg, a1);
  st(DA1, g, a1);
  st(DA2, g, a2);
  st(DA3, g, f32x4.mul(gg, a2));
}

/** Control point of group `g`: targets for the next CONTROL_FRAMES, as ramps. */
function controlGroup(g: i32): void {
  advanceGroup(g);
  // The amp envelope's progress from its position, so float32 rounding of
  // the per-frame recurrence never builds up over a long segment.
  const t = f32x4.div(ld(AMP + E_POS, g), ld(AMP + E_LEN, g));
  const isExp = f32x4.gt(ld(AMP + E_CURVE, g), splat(0.5));
  st(AX, g, v128.bitselect(exp2v(f32x4.mul(t, splat(-7.2134752))), t, isExp));
  coefficients(g);
  const per = splat(1 / <f32>CONTROL_FRAMES);
  st(DA1, g, f32x4.mul(f32x4.sub(ld(DA1, g), ld(A1, g)), per));
  st(DA2, g, f32x4.mul(f32x4.sub(ld(DA2, g), ld(A2, g)), per));
  st(DA3, g, f32x4.mul(f32x4.sub(ld(DA3, g), ld(A3, g)), per));
  const inc = ld(INC, g);
  const next = f32x4.add(inc, f32x4.mul(f32x4.sub(incrementsV(g), inc), splat(param(P_FREQ_SMOOTH))));
  st(DINC, g, f32x4.mul(f32x4.sub(next, inc), per));
}

/** Lane `j` (0..3) of `v`. */
@inline function laneOf(v: v128, j: i32): f32 {
  v128.store(SCRATCH, v);
  return load<f32>(SCRATCH + (<usize>j << 2));
}

/** A started lane: coefficients and increment at their values now, no ramps. */
function prime(lane: i32): void {
  const g = lane >> 2;
  const j = lane & 3;
  // The group's values are computed; only this lane's are kept.
  const d1 = ld(DA1, g);
  const d2 = ld(DA2, g);
  const d3 = ld(DA3, g);
  coefficients(g);
  setL(A1, lane, getL(DA1, lane));
  setL(A2, lane, getL(DA2, lane));
  setL(A3, lane, getL(DA3, lane));
  st(DA1, g, d1);
  st(DA2, g, d2);
  st(DA3, g, d3);
  setL(DA1, lane, 0);
  setL(DA2, lane, 0);
  setL(DA3, lane, 0);
  setL(INC, lane, laneOf(incrementsV(g), j));
  setL(DINC, lane, 0);
}

// ------------------------------------------------------------------ render


/** True when any lane of group `g` has a sounding amp envelope. */
@inline function groupActive(g: i32): bool {
  return v128.any_true(f32x4.ne(ld(AMP + E_STAGE, g), splat(STAGE_IDLE)));
}

/** True when any lane of the first `groups` groups sounds. */
function anyActive(groups: i32): bool {
  for (let g = 0; g < groups; g++) if (groupActive(g)) return true;
  return false;
}

/** Smallest of the four lanes of `v`. */
@inline function minLane(v: v128): f32 {
  const a = f32x4.min(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.min(a, i32x4.shuffle(a, a, 1, 0, 3, 2)), 0);
}

/**
 * Render `m` frames of group `g` from frame `start`, added into the
 * accumulators: oscillator → filter → amp envelope, four voices per vector.
 */
function renderGroup(g: i32, start: i32, m: i32): void {
  const wave = <i32>param(P_WAVEFORM);
  const sub = cur(P_SUB);
  const hasSub = sub > 1e-6;
  const fmIndex = cur(P_FM_INDEX);
  const hasFm = fmIndex > 1e-6;
  const fmScale = splat(fmIndex * 0.15915494);
  const ratio = splat(cur(P_FM_RATIO));
  const width = cur(P_WIDTH);
  const w = splat(width);
  const dc = splat(2 * width - 1);
  const wx = splat(cur(P_WX));
  const wbk = splat(cur(P_WB) * cur(P_K));
  const wl = splat(cur(P_WL));
  const subV = splat(sub);
  const s = cur(AMP_SUSTAIN);
  const one = splat(1);
  const signBit = splat(-0.0);

  let phase = ld(PHASE, g);
  let inc = ld(INC, g);
  const dinc = ld(DINC, g);
  let sign = ld(SIGN, g);
  let modph = ld(MODPH, g);
  let rprev = ld(RPREV, g);
  let offprev = ld(OFFPREV, g);
  const ring = RING + <usize>g * RING_GROUP;
  const ring0 = <i32>cur(C_RING);
  // The waveform's edges: saw at 0; square and pulse at 0 and ½ or the width;
  // the triangle's corners at ¼ and ¾.
  const e1 = splat(wave == WAVE_TRIANGLE ? 0.25 : 0);
  const e2 = splat(wave == WAVE_TRIANGLE ? 0.75 : wave == WAVE_PULSE ? width : 0.5);
  let ic1 = ld(IC1, g);
  let ic2 = ld(IC2, g);
  let a1 = ld(A1, g);
  let a2 = ld(A2, g);
  let a3 = ld(A3, g);
  const da1 = ld(DA1, g);
  const da2 = ld(DA2, g);
  const da3 = ld(DA3, g);

  let i = start;
  const end = start + m;
  while (i < end) {
    // One run of the amp envelope up to the nearest segment end: level = U + W·x,
    // x ← x·r + d (linear: x = pos/len; exponential: x = e^(−5·pos/len)).
    const stage = ld(AMP + E_STAGE, g);
    const pos = ld(AMP + E_POS, g);
    const len = ld(AMP + E_LEN, g);
    const from = ld(AMP + E_FROM, g);
    const peak = ld(AMP + E_PEAK, g);
    const isAttack = f32x4.eq(stage, splat(STAGE_ATTACK));
    const isDecay = f32x4.eq(stage, splat(STAGE_DECAY));
    const isSustain = f32x4.eq(stage, splat(STAGE_SUSTAIN));
    const isRelease = f32x4.eq(stage, splat(STAGE_RELEASE));
    const moving = v128.or(v128.or(isAttack, isDecay), isRelease);
    const rem = v128.bitselect(f32x4.sub(len, pos), splat(1e9), moving);
    const left = <f32>(end - i);
    const k = <i32>min(left, minLane(rem));
    const isExp = f32x4.gt(ld(AMP + E_CURVE, g), splat(0.5));
    const invLen = f32x4.div(one, len);
    let x = ld(AX, g);
    const r = v128.bitselect(exp2v(f32x4.mul(invLen, splat(-7.2134752))), one, isExp);
    // Holding stages (idle, sustain) keep x where it is.
    const d = v128.and(v128.bitselect(splat(0), invLen, isExp), moving);
    const fa = v128.and(splat(EXP_NORM), isExp);
    const fb = v128.bitselect(splat(-EXP_NORM), one, isExp);
    const sp = f32x4.mul(splat(s), peak);
    // (P, Q) of level = P + Q·f per stage.
    let pp = v128.and(from, v128.or(isAttack, isRelease));
    pp = v128.bitselect(peak, pp, isDecay);
    pp = v128.bitselect(sp, pp, isSustain);
    let qq = v128.and(f32x4.sub(peak, from), isAttack);
    qq = v128.bitselect(f32x4.sub(sp, peak), qq, isDecay);
    qq = v128.bitselect(f32x4.neg(from), qq, isRelease);
    const u = f32x4.add(pp, f32x4.mul(qq, fa));
    const wq = f32x4.mul(qq, fb);

    for (let n = 0; n < k; n++) {
      const frame = i + n;
      // This frame: the naive waveform at the read phase (plus the sub) into
      // the ring; out comes the frame 8 before, its residuals complete.
      const rp = rprev;
      let y: v128;
      if (wave == WAVE_SAW) {
        y = f32x4.sub(f32x4.add(rp, rp), one);
      } else if (wave == WAVE_SINE) {
        y = sin2piv(rp);
      } else if (wave == WAVE_SQUARE) {
        y = v128.bitselect(one, splat(-1), f32x4.lt(rp, splat(0.5)));
      } else if (wave == WAVE_PULSE) {
        y = f32x4.sub(v128.bitselect(one, splat(-1), f32x4.lt(rp, w)), dc);
      } else {
        // Triangle: 1 − 4·|frac(r + ¼) − ½|.
        const tq = f32x4.add(rp, splat(0.25));
        y = f32x4.sub(
          one,
          f32x4.mul(splat(4), f32x4.abs(f32x4.sub(f32x4.sub(tq, f32x4.floor(tq)), splat(0.5)))),
        );
      }
      if (hasSub) y = f32x4.add(y, f32x4.mul(subV, sign));
      const now = ring + (<usize>((ring0 + frame) & (RESIDUAL_TAPS - 1)) << 4);
      v128.store(now, f32x4.add(v128.load(now), y));
      const old = ring + (<usize>((ring0 + frame + HALF_TAPS) & (RESIDUAL_TAPS - 1)) << 4);
      const osc = v128.load(old);
      v128.store(old, splat(0));
      // To the next frame: advance the phases, then the residuals of the
      // edges crossed on the way (none for the sine).
      inc = f32x4.add(inc, dinc);
      phase = f32x4.add(phase, inc);
      const wrapped = f32x4.ge(phase, one);
      phase = f32x4.sub(phase, v128.and(wrapped, one));
      let next = phase;
      let delta = inc;
      if (hasFm) {
        modph = f32x4.add(modph, f32x4.min(f32x4.mul(inc, ratio), splat(0.5)));
        modph = f32x4.sub(modph, v128.and(f32x4.ge(modph, one), one));
        const off = f32x4.mul(fmScale, sin2piv(modph));
        next = f32x4.add(next, off);
        next = f32x4.sub(next, f32x4.floor(next));
        delta = f32x4.add(inc, f32x4.sub(off, offprev));
        offprev = off;
      }
      let events = hasSub ? wrapped : splat(0);
      if (wave != WAVE_SINE) {
        const q = f32x4.sub(rp, e1);
        events = v128.or(events, f32x4.ne(f32x4.floor(q), f32x4.floor(f32x4.add(q, delta))));
        if (wave != WAVE_SAW) {
          const q2 = f32x4.sub(rp, e2);
          events = v128.or(events, f32x4.ne(f32x4.floor(q2), f32x4.floor(f32x4.add(q2, delta))));
        }
      }
      if (v128.any_true(events)) {
        v128.store(SCRATCH, rp);
        v128.store(SCRATCH + 16, delta);
        v128.store(SCRATCH + 32, phase);
        v128.store(SCRATCH + 48, inc);
        v128.store(SCRATCH + 64, v128.and(wrapped, one));
        v128.store(SCRATCH + 80, sign);
        groupEvents(g, frame + 1, wave, width, sub);
      }
      if (hasSub) sign = v128.xor(sign, v128.and(wrapped, signBit));
      rprev = next;
      // Topology-preserving state-variable filter (Simper), coefficients ramped.
      a1 = f32x4.add(a1, da1);
      a2 = f32x4.add(a2, da2);
      a3 = f32x4.add(a3, da3);
      const v3 = f32x4.sub(osc, ic2);
      const v1 = f32x4.add(f32x4.mul(a1, ic1), f32x4.mul(a2, v3));
      const v2 = f32x4.add(ic2, f32x4.add(f32x4.mul(a2, ic1), f32x4.mul(a3, v3)));
      ic1 = f32x4.sub(f32x4.add(v1, v1), ic1);
      ic2 = f32x4.sub(f32x4.add(v2, v2), ic2);
      const out = f32x4.add(f32x4.mul(wx, osc), f32x4.add(f32x4.mul(wbk, v1), f32x4.mul(wl, v2)));
      x = f32x4.add(f32x4.mul(x, r), d);
      const level = f32x4.add(u, f32x4.mul(wq, x));
      const at = ACC + (<usize>(i + n) << 4);
      v128.store(at, f32x4.add(v128.load(at), f32x4.mul(out, level)));
    }
    st(AX, g, x); // before envAdvance, which restarts x where a segment ends
    for (let j = 0; j < 4; j++) envAdvance(AMP, P_AMP, AMP_SUSTAIN, (g << 2) + j, <f32>k);
    i += k;
  }
  // Flush tiny filter states (no denormals in long tails).
  const tiny = splat(1e-20);
  ic1 = v128.and(ic1, f32x4.gt(f32x4.abs(ic1), tiny));
  ic2 = v128.and(ic2, f32x4.gt(f32x4.abs(ic2), tiny));
  st(PHASE, g, phase);
  st(INC, g, inc);
  st(SIGN, g, sign);
  st(MODPH, g, modph);
  st(RPREV, g, rprev);
  st(OFFPREV, g, offprev);
  st(IC1, g, ic1);
  st(IC2, g, ic2);
  st(A1, g, a1);
  st(A2, g, a2);
  st(A3, g, a3);
}

/** Render `n` (1..MAX_FRAMES) frames of every lane in use, summed, into OUT. */
export function render(n: i32): void {
  const frames = n < MAX_FRAMES ? n : MAX_FRAMES;
  const groups = (<i32>param(P_LANES)) >> 2;
  if (!anyActive(groups)) {
    // Silent: nothing moves, so skipping a silent bank changes nothing.
    memory.fill(OUT, 0, <usize>frames << 2);
    return;
  }
  memory.fill(ACC, 0, <usize>frames << 4);
  let done = 0;
  while (done < frames) {
    let left = <i32>cur(C_CONTROL_LEFT);
    if (left <= 0) {
      smoothStep();
      for (let g = 0; g < groups; g++) if (groupActive(g)) controlGroup(g);
      left = CONTROL_FRAMES;
    }
    const m = left < frames - done ? left : frames - done;
    for (let g = 0; g < groups; g++) if (groupActive(g)) renderGroup(g, done, m);
    done += m;
    setCur(C_CONTROL_LEFT, <f32>(left - m));
  }
  setCur(C_RING, <f32>((<i32>cur(C_RING) + frames) & (RESIDUAL_TAPS - 1)));
  for (let i = 0; i < frames; i++) {
    const v = v128.load(ACC + (<usize>i << 4));
    const h = f32x4.add(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
    const sum = f32x4.add(h, i32x4.shuffle(h, h, 1, 0, 3, 2));
    store<f32>(OUT + (<usize>i << 2), f32x4.extract_lane(sum, 0));
  }
}

// ------------------------------------------------------------------ repair

@inline function within(x: f32, lo: f32, hi: f32): bool {
  return x >= lo && x <= hi; // false for NaN
}

@inline function whole(x: f32): bool {
  return x == Mathf.floor(x);
}

/** True when the state of envelope `base` of `lane` is one the kernel can produce. */
function envValid(base: usize, lane: i32): bool {
  const stage = getL(base + E_STAGE, lane);
  const pos = getL(base + E_POS, lane);
  const len = getL(base + E_LEN, lane);
  const curve = getL(base + E_CURVE, lane);
  const gate = getL(base + E_GATE, lane);
  return within(stage, 0, 4) && whole(stage) && within(len, 1, 1e9) &&
    within(pos, 0, len) && (curve == 0 || curve == 1) && (gate == 0 || gate == 1) &&
    within(getL(base + E_FROM, lane), 0, 1) && within(getL(base + E_PEAK, lane), 0, 1);
}

/** True when every field of `lane` is one the kernel can produce. */
function laneValid(lane: i32): bool {
  const sign = getL(SIGN, lane);
  if (!(within(getL(PHASE, lane), 0, 1) && within(getL(RPREV, lane), 0, 1) &&
    within(getL(MODPH, lane), 0, 1) && within(getL(INC, lane), 0, 0.5) &&
    within(getL(DINC, lane), -0.5, 0.5) && (sign == 1 || sign == -1) &&
    within(getL(OFFPREV, lane), -4, 4))) return false;
  if (!(within(getL(PITCH, lane), 0, 127) && within(getL(PTARGET, lane), 0, 127) &&
    within(getL(PSTEP, lane), -127, 127) && within(getL(PLEFT, lane), 0, 1e9))) return false;
  if (!(within(getL(IC1, lane), -1e6, 1e6) && within(getL(IC2, lane), -1e6, 1e6))) return false;
  for (let f: usize = A1; f <= A3; f++) if (!within(getL(f, lane), 0, 1)) return false;
  for (let f: usize = DA1; f <= DA3; f++) if (!within(getL(f, lane), -1, 1)) return false;
  if (!(within(getL(AX, lane), 0, 1.001) && within(getL(FVAL, lane), 0, 1))) return false;
  if (!(envValid(AMP, lane) && envValid(FENV, lane))) return false;
  const ring = RING + <usize>(lane >> 2) * RING_GROUP + (<usize>(lane & 3) << 2);
  for (let k = 0; k < RESIDUAL_TAPS; k++) {
    if (!within(load<f32>(ring + (<usize>k << 4)), -1e3, 1e3)) return false;
  }
  return true;
}

/** `lane` idle and at rest: phases, filter, glide, envelopes and ring cleared. */
function laneReset(lane: i32): void {
  for (let f: usize = 0; f < LANE_FIELDS; f++) setL(f, lane, 0);
  setL(SIGN, lane, 1);
  jumpTo(lane, 60);
  envReset(AMP, lane);
  envReset(FENV, lane);
  const ring = RING + <usize>(lane >> 2) * RING_GROUP + (<usize>(lane & 3) << 2);
  for (let k = 0; k < RESIDUAL_TAPS; k++) store<f32>(ring + (<usize>k << 4), 0);
}

/**
 * Make a loaded state safe: counters outside their range restart, glided
 * values that are not finite jump to their targets, and every lane holding
 * a value the kernel cannot produce is reset (idle). Returns how many
 * lanes were reset. A state the kernel saved is left as it is.
 */
export function repair(): i32 {
  const left = cur(C_CONTROL_LEFT);
  if (!(within(left, 0, <f32>CONTROL_FRAMES) && whole(left))) setCur(C_CONTROL_LEFT, 0);
  const ring = cur(C_RING);
  if (!(within(ring, 0, <f32>(RESIDUAL_TAPS - 1)) && whole(ring))) setCur(C_RING, 0);
  let settled = true;
  for (let i = P_DETUNE; i <= P_ENV_AMOUNT; i++) settled = settled && within(cur(i), -1e4, 1e5);
  settled = settled && within(cur(AMP_SUSTAIN), 0, 1) && within(cur(FENV_SUSTAIN), 0, 1);
  // Slots the kernel does not use are saved too: zero when out of range.
  for (let i = 0; i < PARAM_SLOTS; i++) if (!within(cur(i), -1e5, 1e5)) setCur(i, 0);
  if (!settled) settle();
  let reset = 0;
  for (let lane = 0; lane < MAX_LANES; lane++) {
    if (!laneValid(lane)) {
      laneReset(lane);
      reset++;
    }
  }
  return reset;
}
