// The microphone, from the AudioContext's rate to 16 kHz mono int16, posted in 20 ms blocks.
// A low-pass (two biquads, 7 kHz) keeps what is above the new Nyquist from folding back, then
// each output sample is the mean of the input it spans (fractional at the edges), so any
// context rate works: 48000, 44100, 96000...

const OUT_RATE = 16000;
const BLOCK = 320; // 20 ms at 16 kHz

function lowpass(rate, cutoff, q) {
  // RBJ cookbook low-pass, direct form I
  const w = (2 * Math.PI * Math.min(cutoff, rate * 0.45)) / rate;
  const alpha = Math.sin(w) / (2 * q);
  const cos = Math.cos(w);
  const a0 = 1 + alpha;
  return {
    b0: (1 - cos) / 2 / a0, b1: (1 - cos) / a0, b2: (1 - cos) / 2 / a0,
    a1: (-2 * cos) / a0, a2: (1 - alpha) / a0,
    x1: 0, x2: 0, y1: 0, y2: 0,
  };
}

function filter(f, x) {
  const y = f.b0 * x + f.b1 * f.x1 + f.b2 * f.x2 - f.a1 * f.y1 - f.a2 * f.y2;
  f.x2 = f.x1; f.x1 = x; f.y2 = f.y1; f.y1 = y;
  return y;
}

class CaptureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.ratio = sampleRate / OUT_RATE; // input samples per output sample
    // fourth-order Butterworth as two second-order sections
    this.filters = this.ratio > 1
      ? [lowpass(sampleRate, 7000, 0.5412), lowpass(sampleRate, 7000, 1.3066)]
      : [];
    this.acc = 0;    // weighted sum of the output sample being made
    this.filled = 0; // input samples (possibly fractional) in it so far
    this.block = new Int16Array(BLOCK);
    this.n = 0;
    this.peak = 0;
    this.running = true;
    this.port.onmessage = (e) => { if (e.data === "stop") this.running = false; };
  }

  emit(value) {
    const s = Math.max(-1, Math.min(1, value));
    this.block[this.n++] = s < 0 ? s * 32768 : s * 32767;
    const a = Math.abs(s);
    if (a > this.peak) this.peak = a;
    if (this.n === BLOCK) {
      const out = this.block;
      this.port.postMessage({ pcm: out.buffer, peak: this.peak }, [out.buffer]);
      this.block = new Int16Array(BLOCK);
      this.n = 0;
      this.peak = 0;
    }
  }

  process(inputs, outputs) {
    const input = inputs[0];
    if (input && input.length) {
      const channels = input.length;
      const frames = input[0].length;
      const ratio = this.ratio;
      for (let i = 0; i < frames; i++) {
        let x = 0;
        for (let c = 0; c < channels; c++) x += input[c][i];
        x /= channels;
        for (let k = 0; k < this.filters.length; k++) x = filter(this.filters[k], x);
        // (a context below 16 kHz, which is rare, comes out sample-and-hold)
        let left = 1; // share of this input sample not yet used
        while (left > 0) {
          const room = ratio - this.filled;
          if (left < room - 1e-9) {
            this.acc += x * left;
            this.filled += left;
            left = 0;
          } else {
            this.acc += x * room;
            this.emit(this.acc / ratio);
            left -= room;
            this.acc = 0;
            this.filled = 0;
          }
        }
      }
    }
    const out = outputs[0];
    if (out) for (const ch of out) ch.fill(0); // silent: connected only to keep it pulled
    return this.running;
  }
}

registerProcessor("capture-processor", CaptureProcessor);
