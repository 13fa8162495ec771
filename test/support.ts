/** Shared test helpers: run a rule set through the streaming redactor over a given chunking. */

import type { Engine } from '../src/engine/engine.js';
import { tsEngine } from '../src/engine/ts/engine.js';
import { createStreamRedactor } from '../src/redact/redactor.js';
import { type Replacement, parseReplacement } from '../src/redact/replace.js';
import { type RuleSet, compileRuleSet } from '../src/rules/ruleset.js';
import type { LiteralSetSpec, LocatedFinding, RuleSpec } from '../src/types.js';

export const TEMPLATE: Replacement = parseReplacement('[REDACTED:{rule}]');

export function ruleSetOf(specs: ReadonlyArray<RuleSpec | LiteralSetSpec>, engine: Engine = tsEngine, maxMatch = 4096): RuleSet {
  return compileRuleSet(specs, { engine, maxMatch });
}

/**
 * `readsOn`: every write says it is followed (StreamRedactor.write's isFollowed), as from a full
 * pipe, and every third is followed by an empty write (the next read found the pipe empty).
 */
export function redactChunks(ruleSet: RuleSet, chunks: readonly Uint8Array[], replacement: Replacement = TEMPLATE, { lastWithEnd = false, readsOn = false } = {}) {
  const findings: LocatedFinding[] = [];
  const redactor = createStreamRedactor(ruleSet, { replacement, onFinding: (f) => findings.push(f) });
  const written = lastWithEnd ? chunks.slice(0, -1) : chunks;
  const pieces = written.flatMap((chunk, index) =>
    !readsOn ? [redactor.write(chunk)] : index % 3 === 2 ? [redactor.write(chunk, true), redactor.write(new Uint8Array(0))] : [redactor.write(chunk, true)],
  );
  pieces.push(redactor.end(lastWithEnd ? chunks.at(-1) : undefined));
  return { output: Buffer.concat(pieces), findings };
}

/** Cuts `input` at the given offsets (sorted, deduplicated, clamped). */
export function cutAt(input: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => Math.max(0, Math.min(input.length, c))))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (const point of [...points, input.length]) {
    if (point > at) chunks.push(input.subarray(at, point));
    at = Math.max(at, point);
  }
  return chunks;
}

export function everyBytes(input: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < input.length; at += size) chunks.push(input.subarray(at, at + size));
  return chunks;
}
