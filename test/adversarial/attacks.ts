/**
 * What the adversarial table and the fuzz target share: the secrets the packs' own examples hold,
 * and the leak check. A leak is any 10-byte window of a planted secret (the whole secret when it
 * is shorter) found in the output, unless the same bytes are in the input outside every planted
 * secret (then the output may rightly hold them).
 */
import { compileRules } from '../../src/rules/compile.js';
import { type PackName, loadPack } from '../../src/rules/packs/index.js';
import { oracleFindings } from '../oracle.js';

/** A pack rule's own example, cut down to the rule's match. */
export interface PackExample {
  readonly rule: string;
  /** The match, as a latin1 string. */
  readonly text: string;
  /** The secret's span inside `text`. */
  readonly secret: readonly [number, number];
  /** The rule has a token boundary (src/rules/token-boundary.ts): a word byte glued in front makes it another word. */
  readonly hasTokenBoundary: boolean;
  /** Whether the rule alone still finds the whole secret at `secret` in `text` (the oracle, DESIGN §2). */
  readonly isFoundIn: (text: string, secret: readonly [number, number]) => boolean;
}

/** One attack: a text and the spans of the secrets planted in it. */
export interface Attack {
  readonly label: string;
  readonly text: string;
  readonly secrets: ReadonlyArray<readonly [number, number]>;
}

const WINDOW = 10;

/**
 * Leaks the table and the fuzz target found that others own, per engine: rule ids whose attacks may
 * leak until the owner fixes them (then the entry goes), each with a `test.fails` that goes red
 * once it is fixed. None is open. The last one, an authress-access-key cut between its `sc` and
 * its `_` on the vectorscan engine (Debian 12's AVX2 copy of Vectorscan 5.4.9,
 * VectorCamp/vectorscan#402), is fixed by the runtime choice and held by cut-anchor.test.ts.
 */
export const KNOWN_LEAKS: Record<string, readonly string[]> = {};

/** Every `match` example of every rule of `pack`, but rules anchored at a line start (they describe a document shape). */
export function packExamples(pack: PackName): PackExample[] {
  const specs = loadPack(pack);
  const rules = compileRules(specs);
  return rules.flatMap((rule, index) => {
    const spec = specs[index]!;
    if (/^(\(\?[a-z]+\))?\^/.test(spec.regex)) return [];
    const hasTokenBoundary = /^(\(\?[a-z]+\))?\(\?:\\b\|/.test(spec.regex);
    const isFoundIn = (text: string, [start, end]: readonly [number, number]) =>
      oracleFindings([rule], Buffer.from(text, 'latin1')).some((finding) => finding.secret.start <= start && finding.secret.end >= end);
    return (spec.examples?.match ?? []).flatMap((example) =>
      oracleFindings([rule], Buffer.from(example, 'latin1')).map((finding) => ({
        rule: rule.id,
        text: example.slice(finding.match.start, finding.match.end),
        secret: [finding.secret.start - finding.match.start, finding.secret.end - finding.match.start] as const,
        hasTokenBoundary,
        isFoundIn,
      })),
    );
  });
}

/** The attack `before + example + after`, its secret shifted. */
export function plant(example: PackExample, before: string, after: string, label: string): Attack {
  const at = before.length;
  return { label, text: before + example.text + after, secrets: [[at + example.secret[0], at + example.secret[1]]] };
}

/** Attacks joined into one input, each after a marker line, so that each one's output can be told apart. */
export function joinAttacks(attacks: readonly Attack[]): Buffer {
  return Buffer.from(attacks.map((attack, index) => `${marker(index)}${attack.text}\n`).join(''), 'latin1');
}

function marker(index: number): string {
  return `@@attack ${index}@@\n`;
}

/**
 * The labels of the attacks whose planted secrets leak into `output` (the output of
 * joinAttacks(attacks)), each with the window found (see the module comment). Each attack's
 * output is what lies between its marker and the next; a marker that did not come through is a
 * failure of its own.
 */
export function leaks(attacks: readonly Attack[], output: Uint8Array): string[] {
  const pieces = Buffer.from(output)
    .toString('latin1')
    .split(/@@attack \d+@@\n/);
  if (pieces.length !== attacks.length + 1) return [`${attacks.length} markers in, ${pieces.length - 1} out`];
  return attacks.flatMap((attack, index) => {
    const got = pieces[index + 1]!;
    const outside = [...attack.text];
    for (const [start, end] of attack.secrets) outside.fill('\0', start, end);
    const outsideText = outside.join('');
    // A run of repeated secrets repeats its windows: each is looked for once.
    const seen = new Set<string>();
    for (const [start, end] of attack.secrets) {
      const width = Math.min(WINDOW, end - start);
      for (let at = start; at + width <= end; at++) {
        const window = attack.text.slice(at, at + width);
        if (seen.has(window)) continue;
        seen.add(window);
        if (got.includes(window) && !outsideText.includes(window)) return [`${attack.label}: ${JSON.stringify(window)} in ${JSON.stringify(got.slice(0, 200))}`];
      }
    }
    return [];
  });
}
