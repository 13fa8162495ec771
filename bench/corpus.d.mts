/** Types for corpus.mjs (plain ESM, so that bench/ needs no build step). */

export declare const GENERATOR_VERSION: number;
export declare const SECRET_KINDS: readonly string[];
export declare const BAIT_KINDS: readonly string[];
export type Shape = 'ci-log' | 'dense' | 'one-line' | 'base64' | 'minified-js';
export declare const SHAPES: readonly Shape[];
/** How many times more secrets the `dense` shape plants. */
export declare const DENSE_FACTOR: number;

/** A planted secret or bait: `text` sits at `[offset, offset + length)` of the corpus. */
export interface PlantedRecord {
  readonly kind: string;
  readonly offset: number;
  readonly length: number;
  readonly text: string;
}

export interface PlantedEvent extends PlantedRecord {
  readonly type: 'secret' | 'bait';
}

export interface CorpusOptions {
  /** Exact size of the corpus in bytes. */
  readonly bytes: number;
  readonly seed?: number | string;
  /** The input's shape (default 'ci-log'; see corpus.mjs). */
  readonly shape?: Shape;
  /** Mean distance between planted secrets, in bytes (default 100 KiB; 10 KiB for `dense`). */
  readonly secretEvery?: number;
  /** Mean distance between planted baits, in bytes (default 100 KiB). */
  readonly baitEvery?: number;
  /** Size of each yielded chunk but the last (default 1 MiB). */
  readonly chunkBytes?: number;
  readonly onPlant?: (record: PlantedEvent) => void;
}

export interface Random {
  next(): number;
  below(n: number): number;
  between(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

export interface Sidecar {
  readonly generator: 'sseredact-bench-corpus';
  readonly version: number;
  readonly seed: number | string;
  readonly bytes: number;
  readonly shape: Shape;
  readonly secretEvery: number;
  readonly baitEvery: number;
  readonly secrets: readonly PlantedRecord[];
  readonly baits: readonly PlantedRecord[];
}

export interface WriteCorpusResult extends Omit<Sidecar, 'secrets' | 'baits'> {
  readonly out: string;
  readonly sidecar: string;
  readonly secretCount: number;
  readonly baitCount: number;
}

export declare function createRandom(seed: number | string): Random;
export declare function generateCorpus(options: CorpusOptions): Generator<Buffer, void, undefined>;
export declare function writeCorpus(options: Omit<CorpusOptions, 'onPlant'> & { readonly out: string; readonly sidecar?: string }): WriteCorpusResult;
export declare function parseSize(text: string): number;
export declare function parseFlags(argv: readonly string[]): Map<string, string | true>;
