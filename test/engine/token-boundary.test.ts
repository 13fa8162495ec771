/**
 * What the ts engine's automaton tracks of a rule behind a token boundary (`(?:\b|<escapes>)`,
 * src/rules/token-boundary.ts): the escapes start threads, the bare token does not. Tracked as
 * one alternation, the boundary kept a thread alive through every word of a CI log (80% of its
 * bytes, for each of seven pack rules); the property tests (chunk invariance, engine
 * equivalence) check that matches after an escape are still found and held for.
 */
import { describe, expect, test } from 'vitest';
import { tsEngine } from '../../src/engine/ts/engine.js';
import { buildPositionAutomaton } from '../../src/engine/ts/positions.js';
import { compileRules } from '../../src/rules/compile.js';
import { withTokenBoundary } from '../../src/rules/token-boundary.js';

const byte = (character: string): number => character.charCodeAt(0);

function automatonOf(regex: string) {
  return buildPositionAutomaton(compileRules([withTokenBoundary({ id: 'rule', regex })]));
}

describe('ts engine automaton of a rule behind a token boundary', () => {
  const automaton = automatonOf('\\b[a-z0-9]{14}\\.atlasv1\\.[a-z0-9\\-_=]{60,70}\\b');

  test.each(['a', 'z', '7'])('no thread starts on token byte %s', (character) => {
    expect([...automaton.startsOn[byte(character)]!]).toEqual([]);
  });

  test.each(['%', '\\', '\x1b', '.'])('a thread starts on %j (an escape, or the anchor)', (character) => {
    expect(automaton.startsOn[byte(character)]!.length).toBeGreaterThan(0);
  });

  test('the bare head is left out, bounded by separators', () => {
    expect({ isHeadDropped: automaton.isHeadDropped[0], isDroppedTokenOnly: automaton.isDroppedTokenOnly[0], droppedWidth: automaton.droppedWidth[0] }).toEqual({
      isHeadDropped: 1,
      isDroppedTokenOnly: 1,
      droppedWidth: 23,
    });
  });

  // The horizon then holds up to its dropped width of the current line; what leaves is still what
  // the in-flight analysis allows (test/redact/holdback-table.test.ts).
  test('a head whose anchor holds a separator (`==:`) is left out too, bounded by its width', () => {
    const withSeparator = automatonOf('\\b[A-Za-z0-9+/]{22}==:[A-Za-z0-9]{32}\\b');
    expect({
      startsOnA: withSeparator.startsOn[byte('a')]!.length,
      isHeadDropped: withSeparator.isHeadDropped[0],
      isDroppedTokenOnly: withSeparator.isDroppedTokenOnly[0],
      droppedWidth: withSeparator.droppedWidth[0],
    }).toEqual({ startsOnA: 0, isHeadDropped: 1, isDroppedTokenOnly: 0, droppedWidth: 25 });
  });

  test('a head too wide before its last anchor is left out before its first (`://` of a URL)', () => {
    const url = automatonOf('[A-Za-z][A-Za-z0-9+.-]{1,20}://([0-9A-Za-z_]{20,255}):x-oauth-basic@');
    expect({ startsOnA: url.startsOn[byte('a')]!.length, isHeadDropped: url.isHeadDropped[0], droppedWidth: url.droppedWidth[0] }).toEqual({
      startsOnA: 0,
      isHeadDropped: 1,
      droppedWidth: 24,
    });
  });

  // Candidates at every `data:` would each send the confirmer over the widest match, lines and all.
  test('a rule that may span lines keeps its head before its first anchor', () => {
    const spanning = buildPositionAutomaton(compileRules([{ id: 'secret-data', regex: '(?m)^[ \\t]{0,8}data:[ \\t]*\\n(?s:.{0,100}?)kind: Secret' }]));
    expect({ isHeadDropped: spanning.isHeadDropped[0], startsOnSpace: spanning.startsOn[byte(' ')]!.length > 0 }).toEqual({ isHeadDropped: 0, startsOnSpace: true });
  });
});

// Tracked whole, facebook's two alternatives kept a thread on every digit and counted 64 bytes after
// `EAA` and 27 after `|`: those threads were in a third of the states the DFA built late in a CI log.
describe('ts engine automaton of a token boundary before an alternation (facebook-access-token)', () => {
  const facebook = '\\bEAA[A-Za-z0-9]{90,400}\\b|\\b[0-9]{15,16}\\|[A-Za-z0-9_-]{27,40}';
  const automaton = automatonOf(facebook);

  test.each(['7', 'a'])('no thread starts on token byte %s', (character) => {
    expect([...automaton.startsOn[byte(character)]!]).toEqual([]);
  });

  test.each(['E', '|'])('a thread starts on %j (an alternative tracked from its anchor or rare stop byte)', (character) => {
    expect(automaton.startsOn[byte(character)]!.length).toBeGreaterThan(0);
  });

  test('the digits before `|` are left out, bounded by their width', () => {
    expect({ isHeadDropped: automaton.isHeadDropped[0], droppedWidth: automaton.droppedWidth[0], pastDroppedHeadDepth: automaton.droppedHeadDepth[0] }).toEqual({
      isHeadDropped: 1,
      droppedWidth: 17,
      pastDroppedHeadDepth: 20,
    });
  });

  test.each(['EAA', '123456789012345|'])('%s and three bytes more make a candidate, not the counted run after it', (anchor) => {
    const text = `x ${anchor}abc y`;
    const ends: number[] = [];
    tsEngine
      .compile(compileRules([withTokenBoundary({ id: 'rule', regex: facebook })]))
      .open()
      .write(Buffer.from(text, 'latin1'), (match) => ends.push(match.end));
    expect(ends).toEqual([text.indexOf(' y')]);
  });
});
