/**
 * Chronus DSP: pure, offline-testable signal processing. Nothing here knows
 * about workers, devices or words; every module is a small class over
 * preallocated state whose render methods neither allocate nor throw, plus
 * pure helpers for its maths.
 *
 * - {@linkcode MiniSynth}: sine → resonant low-pass → ADSR → master gain,
 *   with bit-identical state snapshots for hot standby.
 * - {@linkcode SineOscillator}, {@linkcode SvfLowpass}, {@linkcode Adsr},
 *   {@linkcode ParamSmoother}: its building blocks.
 * - {@linkcode SynthParam}, {@linkcode PARAM_SPECS}: the parameter table.
 * - Sources: {@linkcode Oscillator} (band-limited saw/pulse/triangle with
 *   windowed-sinc BLEP/BLAMP, sub, hard sync, FM), {@linkcode UnisonOscillator},
 *   {@linkcode Noise} (white/pink/brown, seeded).
 * - Filters, envelopes, modulation: {@linkcode SvfFilter} (low/high/band-pass,
 *   notch), {@linkcode LadderFilter} (24 dB/octave), {@linkcode Envelope}
 *   (ADSR/AR, curves, legato), {@linkcode Lfo} (incl. tempo sync and
 *   sample-and-hold), {@linkcode ModMatrix}.
 * - Effects: {@linkcode Saturator}, {@linkcode Chorus}, {@linkcode StereoDelay},
 *   {@linkcode Reverb} (8-line FDN), {@linkcode Compressor}; master safety:
 *   {@linkcode OutputGuard} (NaN/Infinity/runaway/DC → silence and a fault
 *   count) and {@linkcode SafetyLimiter} (never above -0.3 dBFS).
 * - Playing: {@linkcode Instrument} (polyphonic, voice stealing oldest
 *   released first, mono/legato with glide, gain/pan/sends) over a
 *   {@linkcode VoiceAllocator} and a {@linkcode VoiceBank} (up to 64 voices
 *   in a WebAssembly SIMD kernel); {@linkcode DrumKit} (synthesized kick,
 *   snare, hats, clap, toms, by General MIDI note); {@linkcode Mixer}
 *   (channels, reverb and delay sends, master guard and limiter).
 *
 * @example
 * ```ts
 * import { MiniSynth, SynthParam } from "./mod.ts";
 * const synth = new MiniSynth(48000);
 * const block = new Float32Array(2 * 128);
 * synth.setParam(SynthParam.Gate, 1);
 * synth.render(block, 0, 128);
 * ```
 *
 * @module
 */

export * from "./units.ts";
export * from "./params.ts";
export * from "./smoother.ts";
export * from "./sine.ts";
export * from "./adsr.ts";
export * from "./svf_lowpass.ts";
export * from "./mini_synth.ts";
export * from "./saturation.ts";
export * from "./chorus.ts";
export * from "./delay.ts";
export * from "./reverb.ts";
export * from "./compressor.ts";
export * from "./output_guard.ts";
export * from "./limiter.ts";
export * from "./svf.ts";
export * from "./ladder.ts";
export * from "./envelope.ts";
export * from "./lfo.ts";
export * from "./mod_matrix.ts";
export * from "./oscillator.ts";
export * from "./unison.ts";
export * from "./noise.ts";
export * from "./voice_allocator.ts";
export * from "./voice_bank.ts";
export * from "./instrument.ts";
export * from "./drums.ts";
export * from "./mixer.ts";
