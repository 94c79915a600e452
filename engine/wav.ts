/**
 * WAV encoding and decoding (npm `wavefile`), for the offline backend and
 * for tests that read captures. Not for the hot path.
 *
 * @module
 */

import wavefile from "wavefile";

const { WaveFile } = wavefile;

/** Decoded audio: one Float64Array per channel, and the sample rate in Hz. */
export interface DecodedWav {
  /** Sample rate in Hz. */
  readonly sampleRate: number;
  /** Samples per channel, scaled to -1..1. */
  readonly channels: readonly Float64Array[];
}

/**
 * Encode interleaved float32 audio as a 32-bit float WAV file.
 *
 * @example
 * ```ts
 * import { decodeWav, encodeWav } from "./wav.ts";
 * const bytes = encodeWav(new Float32Array([0.5, -0.5]), { channels: 2, sampleRate: 48000 });
 * console.log(decodeWav(bytes).channels.length); // 2
 * ```
 */
export function encodeWav(
  interleaved: Float32Array,
  format: { channels: number; sampleRate: number },
): Uint8Array {
  const frames = Math.floor(interleaved.length / format.channels);
  const channels: Float64Array[] = [];
  for (let c = 0; c < format.channels; c++) {
    const channel = new Float64Array(frames);
    for (let i = 0; i < frames; i++) channel[i] = interleaved[i * format.channels + c] as number;
    channels.push(channel);
  }
  const wav = new WaveFile();
  wav.fromScratch(format.channels, format.sampleRate, "32f", channels);
  return wav.toBuffer();
}

/**
 * Decode a WAV file (PCM 8–32 bit or float) to channels scaled to -1..1.
 * Throws a `SyntaxError` naming the problem for a file that is not a WAV.
 */
export function decodeWav(bytes: Uint8Array): DecodedWav {
  let wav: InstanceType<typeof WaveFile>;
  try {
    wav = new WaveFile(bytes);
  } catch (error) {
    throw new SyntaxError(
      `not a readable WAV file: ${error instanceof Error ? error.message : error}`,
    );
  }
  const fmt = wav.fmt as { sampleRate: number; numChannels: number };
  const bitDepth = wav.bitDepth;
  const raw = wav.getSamples(false, Float64Array) as unknown as Float64Array[] | Float64Array;
  const channels = fmt.numChannels === 1 ? [raw as Float64Array] : raw as Float64Array[];
  const scale = bitDepth === "32f" || bitDepth === "64"
    ? 1
    : bitDepth === "8"
    ? 128
    : 2 ** (Number(bitDepth) - 1);
  const offset = bitDepth === "8" ? 128 : 0;
  if (scale !== 1 || offset !== 0) {
    for (const channel of channels) {
      for (let i = 0; i < channel.length; i++) {
        channel[i] = ((channel[i] as number) - offset) / scale;
      }
    }
  }
  return { sampleRate: fmt.sampleRate, channels };
}
