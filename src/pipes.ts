/**
 * Pipe capacity, shared by the stdin source and the stdout sink. A Linux pipe holds 64 KiB unless
 * widened: a reader busy with one chunk then finds at most 64 KiB waiting, and a writer's 1 MiB
 * write to a reader that keeps up sleeps sixteen times. Node has no call for it: the addon of
 * native/ carries one (F_SETPIPE_SZ) beside Vectorscan's. Without the addon (or off Linux) a pipe
 * stays as it is.
 */
import { nativeModule } from './engine/vectorscan/native.js';

/** What a Linux pipe holds unless widened. */
export const DEFAULT_PIPE_CAPACITY = 64 * 1024;

/**
 * Asks for the pipe `fd` to hold at least `bytes` (never shrinks it; refused quietly past the
 * per-user limit of pipe memory, or when `fd` is no pipe). Never throws.
 */
export function widenPipe(fd: number, bytes: number): void {
  if (process.env.SSEREDACT_VECTORSCAN === 'off') return;
  try {
    (nativeModule() as { widenPipe?: (fd: number, bytes: number) => number }).widenPipe?.(fd, bytes);
  } catch {
    // No addon built: the pipe keeps its default capacity.
  }
}
