/**
 * GitHub Actions' `::add-mask::VALUE` workflow command, read from the stream itself: the command
 * line is a match of one rule (so it is redacted, VALUE and all), and from the byte after VALUE on,
 * VALUE is a literal secret of a second rule for the rest of that stream (with its encodings, as
 * `--literal` has them: the caller's `compileMasks` builds the set).
 *
 * A command is read as the Actions runner reads one (ActionCommand.TryParseV2): at the start of a
 * line (after LF, CR or the stream start), after optional blanks (space, tab, VT, FF), `::add-mask`
 * (ASCII case folded), then `::` or a space and properties up to the first `::`; VALUE is the rest
 * of the line, up to the next CR or LF (or the stream end). The match spans from the first `:` to
 * the end of VALUE. The runner's data escapes (`%25`, `%0D`, `%0A`) are undone by `compileMasks`.
 *
 * Offsets (absolute, per stream):
 * - `candidateFrom`: where the command line in flight began its match (the first `:`), or where
 *   its next piece starts once the line is longer than {@link MAX_COMMAND_BYTES}; nothing at or
 *   after it has been reported, so it bounds the horizon: a partly received command line is held
 *   back whole.
 * - the mask set's literal stream decides starts from its `next` on (./database.ts); a value
 *   added at offset `t` (the byte after VALUE, a CR or LF) opens a new stream at `t` with every
 *   value so far, after the old one has been ended at `t`. Ending it there loses nothing: no
 *   literal holds a CR or LF, so no match reaches past VALUE's line break, and bytes already
 *   decided (and perhaps emitted) are never looked at again.
 *
 * So what is redacted depends only on the bytes, never on how they were chunked: a line's masks are
 * the values of the command lines before it.
 *
 * Memory per stream: the command line in flight (at most MAX_COMMAND_BYTES; a longer one is
 * redacted in pieces and its value is not masked, with a warning) and the values added so far with
 * their automaton, rebuilt on each command (a job adds a few masks, not thousands).
 */
import type { Database, OnMatch, Scanner } from '../engine.js';
import type { LiteralAutomaton } from './automaton.js';
import { type LiteralStream, endLiteralStream, exactMatch, inBackgroundThen, openLiteralStream, writeLiteralStream } from './database.js';

/** A command line longer than this is redacted in pieces of this size, and its value not masked. */
export const MAX_COMMAND_BYTES = 16 * 1024;

export interface GithubMaskRules {
  /** Index (in the rule set) of the rule whose matches are `::add-mask::` command lines. */
  readonly commandRule: number;
  /** Index of the rule whose matches are the masked values. */
  readonly maskRule: number;
  /**
   * The literal set of the raw VALUEs so far (in stream order), or null when none of them gives a
   * literal. No string in it may hold a CR or LF (see the module doc).
   */
  readonly compileMasks: (values: readonly Uint8Array[]) => LiteralAutomaton | null;
  /** Told (without the value) when a command line is too long for its value to be masked. */
  readonly onWarning?: (message: string) => void;
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
/** `::add-mask`, lower case. */
const NAME = Buffer.from('::add-mask', 'latin1');

/** Where the reader is on the current line. */
const Step = {
  /** At the line start or in its leading blanks. */
  LineStart: 0,
  /** `matched` bytes of NAME read. */
  Name: 1,
  /** NAME read: `:` or a space follows in a command. */
  AfterName: 2,
  /** NAME and one `:` read: the second `:` follows. */
  NameColon: 3,
  /** In the properties, up to the first `::`. */
  Properties: 4,
  /** In VALUE, up to the line break. */
  Value: 5,
  /** Not a command: skip to the line break. */
  Other: 6,
} as const;
type Step = (typeof Step)[keyof typeof Step];

function isBlank(byte: number): boolean {
  return byte === SPACE || byte === 0x09 || byte === 0x0b || byte === 0x0c;
}

function isLineBreak(byte: number): boolean {
  return byte === LF || byte === CR;
}

/** The first CR or LF of `chunk` at or after `from`, or its length. */
function nextLineBreak(chunk: Uint8Array, from: number): number {
  for (let i = from; i < chunk.length; i++) if (isLineBreak(chunk[i]!)) return i;
  return chunk.length;
}

/** One stream's reading of command lines. */
class CommandReader {
  private step: Step = Step.LineStart;
  private matched = 0;
  /** Whether the last property byte was a `:`. */
  private afterColon = false;
  /** See the module doc; meaningful from Step.Name on. */
  candidateFrom = 0;
  /** VALUE's bytes so far; null once the line is too long for a value. */
  private value: Uint8Array[] | null = [];

  constructor(
    private readonly rules: GithubMaskRules,
    /** Called at the line break that ends a command with its raw VALUE, at the offset of that break. */
    private readonly onValue: (at: number, value: Uint8Array) => void,
  ) {}

  /** Where the earliest match not yet reported may start; `scannedUpTo` when none is in flight. */
  horizon(scannedUpTo: number): number {
    return this.step === Step.LineStart || this.step === Step.Other ? scannedUpTo : this.candidateFrom;
  }

  /** Reads `chunk`, which starts at absolute offset `base`. */
  feed(chunk: Uint8Array, base: number, onMatch: OnMatch): void {
    let i = 0;
    while (i < chunk.length) {
      const byte = chunk[i]!;
      switch (this.step) {
        case Step.LineStart:
          if (byte === COLON) {
            this.step = Step.Name;
            this.matched = 1;
            this.candidateFrom = base + i;
            this.value = [];
          } else if (!isLineBreak(byte) && !isBlank(byte)) {
            this.step = Step.Other;
          }
          i++;
          break;
        case Step.Name:
          if ((byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte) !== NAME[this.matched]) {
            this.step = Step.Other;
            continue;
          }
          i++;
          if (++this.matched === NAME.length) this.step = Step.AfterName;
          break;
        case Step.AfterName:
          if (byte !== COLON && byte !== SPACE) {
            this.step = Step.Other;
            continue;
          }
          this.step = byte === COLON ? Step.NameColon : Step.Properties;
          this.afterColon = false;
          i++;
          break;
        case Step.NameColon:
          if (byte !== COLON) {
            this.step = Step.Other;
            continue;
          }
          this.startValue();
          i++;
          break;
        case Step.Properties:
          if (isLineBreak(byte)) {
            // No `::`: not a command (pieces of an overlong one already reported stay redacted).
            this.step = Step.Other;
            continue;
          }
          this.reportFullPieces(base + i + 1, onMatch);
          if (byte === COLON && this.afterColon) this.startValue();
          else this.afterColon = byte === COLON;
          i++;
          break;
        case Step.Value: {
          const lineBreak = nextLineBreak(chunk, i);
          this.reportFullPieces(base + lineBreak, onMatch);
          this.value?.push(chunk.slice(i, lineBreak));
          i = lineBreak;
          if (i < chunk.length) this.endCommand(base + i, onMatch, true);
          break;
        }
        case Step.Other:
          i = nextLineBreak(chunk, i);
          if (i < chunk.length) this.step = Step.LineStart;
          break;
      }
    }
  }

  /** Ends the stream at `scannedUpTo`: a command line in VALUE ends with it. */
  end(scannedUpTo: number, onMatch: OnMatch): void {
    if (this.step === Step.Value) this.endCommand(scannedUpTo, onMatch, false);
    this.step = Step.LineStart;
  }

  private startValue(): void {
    this.step = Step.Value;
    this.value = this.value === null ? null : [];
  }

  /**
   * A command line in flight that would reach `to` past MAX_COMMAND_BYTES is reported in pieces
   * of that size as it grows, so that the holdback stays bounded; its value is dropped.
   */
  private reportFullPieces(to: number, onMatch: OnMatch): void {
    while (to - this.candidateFrom > MAX_COMMAND_BYTES) {
      onMatch(exactMatch(this.rules.commandRule, this.candidateFrom, this.candidateFrom + MAX_COMMAND_BYTES));
      this.candidateFrom += MAX_COMMAND_BYTES;
      this.value = null;
    }
  }

  /** The command line ends at `at` (a line break when `isLineBreak`, else the stream end). */
  private endCommand(at: number, onMatch: OnMatch, isLineBreak: boolean): void {
    if (at > this.candidateFrom) onMatch(exactMatch(this.rules.commandRule, this.candidateFrom, at));
    if (this.value === null) {
      this.rules.onWarning?.(`an ::add-mask:: command line is longer than ${MAX_COMMAND_BYTES} bytes: it is redacted, its value is not masked in what follows`);
    } else if (isLineBreak) {
      this.onValue(at, Buffer.concat(this.value));
    }
    this.value = [];
    this.step = Step.LineStart;
  }
}

/**
 * `database` with `::add-mask::` commands read from each stream: its scanners also report the
 * command lines (rule `commandRule`) and the values masked so far (rule `maskRule`), as exact
 * matches, and hold back a command line in flight.
 */
export function withGithubMasks(database: Database, rules: GithubMaskRules): Database {
  const { commandRule, maskRule } = rules;
  return {
    engine: database.engine,
    maxWidth: Math.max(database.maxWidth, MAX_COMMAND_BYTES),
    tracksEnds: (rule) => rule === commandRule || rule === maskRule || database.tracksEnds(rule),
    open(): Scanner {
      const scanner = database.open();
      /** Absolute offset of the next byte to scan. */
      let scannedUpTo = 0;
      let values: Uint8Array[] = [];
      let masks: LiteralStream | null = null;
      /** The current chunk and where the mask set has scanned it up to (an index into it). */
      let chunk: Uint8Array = new Uint8Array(0);
      let maskedUpTo = 0;
      let onMatch: OnMatch = () => {};
      const addValue = (at: number, value: Uint8Array): void => {
        const index = at - scannedUpTo;
        if (masks) {
          writeLiteralStream(masks, chunk.subarray(maskedUpTo, index), scannedUpTo + maskedUpTo, onMatch);
          endLiteralStream(masks, at, onMatch);
        }
        maskedUpTo = index;
        values.push(value);
        const automaton = rules.compileMasks(values);
        masks = automaton === null ? null : openLiteralStream(maskRule, automaton, at);
      };
      let commands = new CommandReader(rules, addValue);
      const secretHorizon = (): number => Math.min(commands.horizon(scannedUpTo), masks?.next ?? scannedUpTo);
      // The commands and masks in `next`: a write's part after the wrapped scanner's.
      const scanCommands = (next: Uint8Array, report: OnMatch): void => {
        chunk = next;
        maskedUpTo = 0;
        onMatch = report;
        commands.feed(next, scannedUpTo, report);
        if (masks) writeLiteralStream(masks, next.subarray(maskedUpTo), scannedUpTo + maskedUpTo, report);
        scannedUpTo += next.length;
        chunk = new Uint8Array(0);
      };
      return {
        write(next, report) {
          scanner.write(next, report);
          scanCommands(next, report);
        },
        ...inBackgroundThen(scanner, scanCommands),
        horizon() {
          return Math.min(scanner.horizon(), secretHorizon());
        },
        exactSecretHorizon() {
          return Math.min(scanner.exactSecretHorizon?.() ?? scannedUpTo, secretHorizon());
        },
        end(report) {
          scanner.end(report);
          commands.end(scannedUpTo, report);
          if (masks) endLiteralStream(masks, scannedUpTo, report);
        },
        reset() {
          scanner.reset();
          scannedUpTo = 0;
          values = [];
          masks = null;
          commands = new CommandReader(rules, addValue);
        },
      };
    },
  };
}
