// A small seeded PRNG (mulberry32). Tests, benchmarks and probabilistic faults
// must be reproducible from a seed, which Math.random() cannot give us.

/** A deterministic random source. */
export interface Prng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** `n` lowercase hex digits. */
  hex(n: number): string;
}

/** Creates a PRNG from a 32-bit seed; the same seed always yields the same sequence. */
export function createPrng(seed: number): Prng {
  let s = seed >>> 0;
  const nextU32 = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const next = (): number => nextU32() / 4294967296;
  return {
    next,
    int(min, max) {
      return min + Math.floor(next() * (max - min + 1));
    },
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new Error("pick() from an empty array");
      return items[Math.floor(next() * items.length)] as T;
    },
    hex(n) {
      let out = "";
      while (out.length < n) out += nextU32().toString(16).padStart(8, "0");
      return out.slice(0, n);
    },
  };
}

/** A seed from the OS, for callers that did not ask for reproducibility. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 0x1_0000_0000) >>> 0;
}
