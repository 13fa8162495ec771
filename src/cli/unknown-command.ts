/**
 * `sseredact scna`, `sseredact frobnicate`: the redact command takes files, so a mistyped command
 * would be read as a missing file. A first argument that names no file and looks like a command
 * word is refused as a usage error naming the nearest command.
 */
import { existsSync } from 'node:fs';
import { SseredactError } from '../errors.js';

/** Edit distance with adjacent transpositions (optimal string alignment): `scna` is 1 from `scan`. */
function distance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/** The command nearest `word`, if one is near enough to be what was meant. */
export function nearestCommand(word: string, commands: readonly string[]): string | undefined {
  let nearest: string | undefined;
  let best = Math.max(1, Math.floor(word.length * 0.4)) + 1;
  for (const command of commands) {
    const d = distance(word, command);
    if (d < best) [nearest, best] = [command, d];
  }
  return nearest;
}

/** Throws SseredactError('usage') when `files[0]` is no file but a word that reads like a command. */
export function refuseMistypedCommand(files: readonly string[], commands: readonly string[]): void {
  const [first] = files;
  if (first === undefined || !/^[a-z][a-z-]*$/.test(first) || existsSync(first)) return;
  const nearest = nearestCommand(first, commands);
  const suggestion = nearest === undefined ? '' : ` (did you mean 'sseredact ${nearest}'?)`;
  throw new SseredactError('usage', `'${first}' is neither a file nor a command${suggestion}; commands: ${commands.join(', ')}; to read a file of that name, write ./${first}`);
}
