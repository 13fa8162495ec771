/** Runs the real CLI (bin/sseredact, built by `npm test`'s pretest) with execa. */
import { fileURLToPath } from 'node:url';
import { type Options, execa } from 'execa';

export const BIN = fileURLToPath(new URL('../../bin/sseredact', import.meta.url));

export function sseredact(args: readonly string[], options: Options = {}) {
  return execa(BIN, args, { reject: false, stripFinalNewline: false, encoding: 'buffer', ...options });
}

/** A GitHub classic token shape that passes the pack's checks. */
export const AWS_KEY = 'AKIAZ7VQ3XJ5K2LMN4PQ';
