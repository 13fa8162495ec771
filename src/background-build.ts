/**
 * Cache entries too slow to compute on a run's hot path (a rule set's Pike VM programs, its
 * in-flight automata) are built by a detached process of their own: `node BUILDER LOCK`, where
 * LOCK is the build's lock file (./cache.ts, claimBuild) holding its recipe. It is started while
 * the run goes on, or when the run exits if that comes first, so that a run shorter than the build
 * (`echo hi`, a pre-commit hook) fills the cache for the next one without waiting for it. Off the
 * main thread, below normal priority and unref'd: no line waits on it (DESIGN §8, latency) and it
 * never keeps the process alive. A builder removes its lock when done and exits 0 when it wrote
 * the entry.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type CacheKind, claimBuild } from './cache.js';

/** Below normal: the builder takes the CPU a foreground run leaves. */
const BUILDER_PRIORITY = 10;

export interface BackgroundBuild {
  /** The entry built: its cache directory, kind and key. */
  readonly directory: string;
  readonly kind: CacheKind;
  readonly key: string;
  /** What the builder reads from its lock file. */
  readonly recipe: string;
  /** The builder's module (as built, beside the caller's: `new URL('./x-builder.js', import.meta.url)`). */
  readonly builder: URL;
  /** How long to wait before starting it while the run goes on. */
  readonly delayMs: number;
  /** Told when this run starts no builder (another holds the lock, or the directory is unusable). */
  readonly onBusy: (why: string) => void;
  /** Told when the builder could not start, or ended without writing the entry while this run went on. */
  readonly onFailed: (why: string) => void;
  /** Called when the builder wrote the entry while this run went on. */
  readonly onBuilt: () => void;
}

/** Starts `build` `delayMs` from now, or at this process's exit if that comes first; one builder at a time per entry (claimBuild). Never throws. */
export function buildInBackground(build: BackgroundBuild): void {
  const start = (isExiting: boolean): void => {
    clearTimeout(timer);
    process.off('exit', startAtExit);
    const claim = claimBuild(build.directory, build.kind, build.key, build.recipe);
    if ('busy' in claim) {
      build.onBusy(claim.busy);
      return;
    }
    let builder: ReturnType<typeof spawn>;
    try {
      // Its own session and no stdio of ours: it outlives this process and never holds its pipes open.
      builder = spawn(process.execPath, [fileURLToPath(build.builder), claim.lock], { detached: true, stdio: 'ignore' });
    } catch (error) {
      rmSync(claim.lock, { force: true });
      build.onFailed(error instanceof Error ? error.message : String(error));
      return;
    }
    builder.unref();
    builder.on('error', (error) => {
      rmSync(claim.lock, { force: true });
      build.onFailed(error.message);
    });
    try {
      if (builder.pid !== undefined) setPriority(builder.pid, BUILDER_PRIORITY);
    } catch {
      // Gone already, or not allowed: it builds at the priority it has.
    }
    if (isExiting) return;
    builder.on('exit', (code) => {
      if (code === 0) build.onBuilt();
      else build.onFailed(`exit status ${code}`);
    });
  };
  const startAtExit = (): void => start(true);
  const timer = setTimeout(() => start(false), build.delayMs).unref();
  process.once('exit', startAtExit);
}
