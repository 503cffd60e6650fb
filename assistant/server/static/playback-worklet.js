// The reply's audio: int16 blocks at the server's rate go into a ring buffer, and come out at
// the AudioContext's rate (linear interpolation). "flush" empties the ring at once (barge-in,
// interrupt). After running dry it waits for 60 ms of audio (or 60 ms of time) before it plays
// again, so a late block does not make a click every 20 ms.
//
// Messages in:  {rate} | {pcm: ArrayBuffer of int16} | "flush"
// Messages out: {played, buffered} every ~50 ms while something changes (samples at the
//               server's rate: played since the start, and still waiting in the ring)

const SECONDS = 60; // ring size

class PlaybackProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.setRate(24000);
    this.played = 0;
    this.reported = -1;
    this.ticks = 0;
    this.port.onmessage = (e) => this.receive(e.data);
  }

  setRate(rate) {
    this.rate = rate;
    this.step = rate / sampleRate; // source samples per output sample
    this.ring = new Float32Array(Math.ceil(rate * SECONDS));
    this.read = 0;  // index of the next source sample
    this.count = 0; // source samples in the ring
    this.frac = 0;  // position between ring[read] and ring[read + 1]
    this.prev = 0;  // the last sample played (interpolation across blocks)
    this.primed = false;
    this.waited = 0;
    this.prebuffer = Math.round(rate * 0.06);
  }

  receive(data) {
    if (data === "flush") {
      this.read = (this.read + this.count) % this.ring.length;
      this.count = 0;
      this.frac = 0;
      this.primed = false;
      this.waited = 0;
      this.report(true);
      return;
    }
    if (data.rate) {
      if (data.rate !== this.rate) this.setRate(data.rate);
      return;
    }
    if (data.pcm) {
      const pcm = new Int16Array(data.pcm);
      const size = this.ring.length;
      let write = (this.read + this.count) % size;
      for (let i = 0; i < pcm.length; i++) {
        this.ring[write] = pcm[i] / 32768;
        write = write + 1 === size ? 0 : write + 1;
      }
      this.count += pcm.length;
      if (this.count > size) { // more than the ring holds: the oldest goes
        this.read = (this.read + this.count - size) % size;
        this.count = size;
      }
    }
  }

  report(force) {
    if (force || this.played !== this.reported) {
      this.reported = this.played;
      this.port.postMessage({ played: this.played, buffered: this.count });
    }
  }

  process(inputs, outputs) {
    const out = outputs[0];
    const ch0 = out[0];
    const frames = ch0.length;
    if (!this.primed) {
      this.waited += this.count ? frames : 0;
      if (this.count >= this.prebuffer || this.waited >= sampleRate * 0.06) this.primed = true;
    }
    let i = 0;
    if (this.primed) {
      const ring = this.ring;
      const size = ring.length;
      for (; i < frames; i++) {
        // the sample at `frac` between prev (consumed) and ring[read] (next)
        if (this.count === 0) break;
        const next = ring[this.read];
        ch0[i] = this.prev + (next - this.prev) * this.frac;
        this.frac += this.step;
        while (this.frac >= 1 && this.count > 0) {
          this.frac -= 1;
          this.prev = ring[this.read];
          this.read = this.read + 1 === size ? 0 : this.read + 1;
          this.count--;
          this.played++;
        }
      }
      if (this.count === 0) { // dry: wait for the prebuffer again
        this.primed = false;
        this.waited = 0;
      }
    }
    for (; i < frames; i++) ch0[i] = 0;
    for (let c = 1; c < out.length; c++) out[c].set(ch0);
    if (++this.ticks % 20 === 0) this.report(false); // 20 x 128 frames: ~50 ms
    return true;
  }
}

registerProcessor("playback-processor", PlaybackProcessor);
