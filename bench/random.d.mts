/** Types for random.mjs (plain ESM, so that bench/ needs no build step). */

/** A seeded PRNG: numbers in [0, 1), the same sequence for the same seed. */
export declare function random(seed: number): () => number;
