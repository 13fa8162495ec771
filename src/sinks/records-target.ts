/**
 * Where `--records` writes: a file (created or truncated) or `fd:N`, a descriptor the shell opened
 * (`3>findings.ndjson`, `3>&1`, a pipe). Both are checked before any output, so a typo is a usage
 * error (exit 2), never records lost in silence.
 *
 * A descriptor must be open for writing and be a file, pipe, socket or terminal (fstat). Node's own
 * descriptors are refused: libuv's epoll and eventfd descriptors are none of those, and its wakeup
 * and signal pipes are pipes whose both ends this process holds (on Linux, /proc/self says so).
 * Writing to one of them corrupts the event loop (an abort or a segfault), so the check comes first.
 */
import { type Stats, createWriteStream, fstatSync, openSync, readFileSync, readdirSync, writeSync } from 'node:fs';
import { SseredactError, describeSystemError } from '../errors.js';
import { type ByteSink, createByteSink } from './output.js';

/** Opens the records target `target` (a path or `fd:N`); throws SseredactError('usage' | 'io'). */
export function openRecordsSink(target: string): ByteSink {
  const fdMatch = /^fd:(\d+)$/.exec(target);
  if (fdMatch) {
    const fd = checkedDescriptor(Number(fdMatch[1]), target);
    // The descriptor is the shell's: flushed at the end, never closed by us.
    return createByteSink(createWriteStream('', { fd, autoClose: false }), { ownsStream: true, name: `records to ${target}` });
  }
  let fd: number;
  try {
    fd = openSync(target, 'w', 0o600);
  } catch (error) {
    throw new SseredactError('io', `--records ${target}: cannot write: ${describeSystemError(error)}`, { cause: error });
  }
  return createByteSink(createWriteStream('', { fd }), { ownsStream: true, name: `records to ${target}` });
}

function checkedDescriptor(fd: number, target: string): number {
  const refuse = (why: string): never => {
    throw new SseredactError('usage', `--records ${target}: ${why}`);
  };
  let stat: Stats;
  try {
    stat = fstatSync(fd);
  } catch {
    return refuse(`descriptor ${fd} is not open (open it in the shell: ${fd}>findings.ndjson)`);
  }
  if (!(stat.isFile() || stat.isFIFO() || stat.isSocket() || stat.isCharacterDevice())) refuse(`descriptor ${fd} is not a file, pipe, socket or terminal`);
  try {
    writeSync(fd, new Uint8Array(0)); // writes nothing; EBADF on a descriptor not open for writing
  } catch (error) {
    // Any other error (ENOSPC from /dev/full) is the first write's: it fails the run, exit 3.
    if ((error as NodeJS.ErrnoException).code === 'EBADF') refuse(`descriptor ${fd} is not open for writing (${describeSystemError(error)})`);
  }
  if (stat.isFIFO() && holdsBothEnds(fd, stat)) refuse(`descriptor ${fd} is not one the shell opened (it is sseredact's own)`);
  return fd;
}

/**
 * True when this process also holds a read end of the pipe `fd` writes to: one of libuv's
 * self-pipes, not a pipe to another process. False where /proc/self is not there to say.
 */
function holdsBothEnds(fd: number, pipe: Stats): boolean {
  let descriptors: string[];
  try {
    descriptors = readdirSync('/proc/self/fd');
  } catch {
    return false;
  }
  return descriptors.map(Number).some((other) => other !== fd && readsFrom(other, pipe));
}

function readsFrom(fd: number, pipe: Stats): boolean {
  try {
    const stat = fstatSync(fd);
    if (stat.ino !== pipe.ino || stat.dev !== pipe.dev) return false;
    const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1'));
    // O_ACCMODE is 3: 0 read-only, 1 write-only, 2 read-write.
    return flags?.[1] !== undefined && (Number.parseInt(flags[1], 8) & 3) !== 1;
  } catch {
    return false; // closed since the listing (the listing's own descriptor)
  }
}
