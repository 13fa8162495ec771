/**
 * man/sseredact.1 renders without warnings and documents exactly what commander knows: every
 * option and command of the program is in it, and every option it names exists. Adding an option
 * to src/cli/program.ts without documenting it here fails this test (as does the reverse).
 *
 * Where the page documents what: the program's options are `.TP` entries in OPTIONS (grouped in
 * subsections); a subcommand `sseredact a b` is a `.SS "sseredact a b"` in COMMANDS, its options
 * `.TP` entries under it or a group of OPTIONS it names ("Takes the rule options.").
 */
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { type CommandInfo, allFlags, commandTree, flagsOf, parseError, sseredactArguments, withoutGitOptions } from './commander.js';

const PAGE_PATH = new URL('../../man/sseredact.1', import.meta.url);
const PAGE = readFileSync(PAGE_PATH, 'utf8');
const REQUIRED_SECTIONS = ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'RULE FILES', 'EXIT STATUS', 'ENVIRONMENT', 'EXAMPLES', 'SEE ALSO'];
const ENVIRONMENT = ['NO_COLOR', 'FORCE_COLOR', 'SSEREDACT_HASH_KEY', 'SSEREDACT_DEBUG', 'XDG_CACHE_HOME'];

/** Roff source text as a reader sees it: escapes for dashes, quotes and fonts resolved. */
function plain(roff: string): string {
  return roff
    .replace(/\\f(?:[BIRP]|\[[A-Z]*\])/g, '')
    .replace(/\\-/g, '-')
    .replace(/\\\(aq/g, "'")
    .replace(/\\e/g, '\\')
    .replace(/\\[~&|]/g, (escape) => (escape === '\\~' ? ' ' : ''));
}

interface Entry {
  readonly section: string;
  readonly subsection: string | null;
  /** The `.TP` tag line. */
  readonly tag: string;
  /** The tag and the paragraph after it. */
  readonly text: string;
}

/** The page's `.TP` entries with the section and subsection each is in. */
function entries(page: string): Entry[] {
  const found: { section: string; subsection: string | null; lines: string[] }[] = [];
  let section = '';
  let subsection: string | null = null;
  let current: { section: string; subsection: string | null; lines: string[] } | null = null;
  for (const line of page.split('\n')) {
    const heading = /^\.(SH|SS)\s+"?([^"]*)"?\s*$/.exec(line);
    if (heading) {
      if (heading[1] === 'SH') [section, subsection] = [heading[2]!, null];
      else subsection = heading[2]!;
      current = null;
    } else if (line === '.TP') {
      current = { section, subsection, lines: [] };
      found.push(current);
    } else if (/^\.(PP|P|LP|RS|RE|EX)\b/.test(line)) {
      current = null;
    } else if (current) {
      current.lines.push(line);
    }
  }
  return found.map((entry) => ({ section: entry.section, subsection: entry.subsection, tag: plain(entry.lines[0] ?? ''), text: plain(entry.lines.join('\n')) }));
}

/** The option flags (`--json`, `-p`) in a piece of plain text. */
function flagsIn(text: string): string[] {
  return [...text.matchAll(/(?<![\w-])(--?[A-Za-z][\w-]*)/g)].map((match) => match[1]!);
}

/** The text of a subsection, up to the next heading. */
function subsectionText(title: string): string {
  const start = PAGE.search(new RegExp(`^\\.SS "?${title}"?$`, 'm'));
  if (start < 0) return '';
  const rest = PAGE.slice(start).split('\n').slice(1);
  const end = rest.findIndex((line) => /^\.S[HS] /.test(line));
  return plain(rest.slice(0, end < 0 ? undefined : end).join('\n'));
}

/**
 * Where a command's options are documented: all of OPTIONS for the program; for a subcommand, the
 * entries under its own .SS in COMMANDS, and those of each OPTIONS subsection its text names
 * ("Takes the rule options." brings in `.SS "Rule options"`).
 */
function entriesOf(info: CommandInfo): Entry[] {
  const all = entries(PAGE);
  if (info.path.length === 0) return all.filter((entry) => entry.section === 'OPTIONS');
  const title = ['sseredact', ...info.path].join(' ');
  const text = subsectionText(title).toLowerCase().replace(/\s+/g, ' ');
  return all.filter(
    (entry) =>
      (entry.section === 'COMMANDS' && entry.subsection === title) || (entry.section === 'OPTIONS' && entry.subsection !== null && text.includes(entry.subsection.toLowerCase())),
  );
}

const commands = commandTree();
const label = (info: CommandInfo) => ['sseredact', ...info.path].join(' ');

/** The options that must be documented under a command: all, but -h/--help only once, in OPTIONS. */
function optionsToDocument(info: CommandInfo) {
  return info.path.length === 0 ? info.options : info.options.filter((option) => option.long !== '--help');
}

/** A subcommand needs its own .SS unless it is only a group of subcommands (`sseredact rules`). */
function needsSection(info: CommandInfo): boolean {
  return info.path.length > 0 && (info.command.commands.length === 0 || optionsToDocument(info).length > 0);
}

describe('man/sseredact.1 renders', () => {
  test('groff -man -Tutf8 -ww: no warnings', async () => {
    const result = await execa('groff', ['-man', '-Tutf8', '-ww', '-z', PAGE_PATH.pathname], { reject: false });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });

  test('man -l renders every required section, without warnings', async () => {
    const result = await execa('man', ['-l', PAGE_PATH.pathname], { env: { MANWIDTH: '100', MAN_KEEP_FORMATTING: '', MANPAGER: 'cat', PAGER: 'cat' }, reject: false });
    expect(result.stderr).toBe('');
    const text = result.stdout.replace(/.\x08/g, '');
    for (const section of REQUIRED_SECTIONS) expect(text).toMatch(new RegExp(`^${section}$`, 'm'));
    for (const name of ENVIRONMENT) expect(text).toMatch(new RegExp(`^ {7}${name}$`, 'm'));
  });
});

describe('man page and commander agree', () => {
  test.each(commands.map((info) => [label(info), info] as const))('every option of `%s` is documented under it', (_label, info) => {
    const documented = new Set(entriesOf(info).flatMap((entry) => flagsIn(entry.tag)));
    const missing = optionsToDocument(info)
      .flatMap(flagsOf)
      .filter((flag) => !documented.has(flag));
    expect(missing, `add a .TP entry for each to man/sseredact.1 (${info.path.length === 0 ? 'OPTIONS' : `COMMANDS, .SS "${label(info)}"`})`).toEqual([]);
  });

  test.each(commands.map((info) => [label(info), info] as const))('every option documented under `%s` exists there', (_label, info) => {
    const known = new Set(info.options.flatMap(flagsOf));
    const unknown = entriesOf(info)
      .flatMap((entry) => flagsIn(entry.tag))
      .filter((flag) => !known.has(flag));
    expect(unknown).toEqual([]);
  });

  test('every flag named anywhere in the page exists', () => {
    const known = allFlags();
    const text = withoutGitOptions(
      plain(
        PAGE.split('\n')
          .filter((line) => !line.startsWith('.\\"'))
          .join('\n'),
      ),
    );
    // Long flags only: a lone `-` (stdin) or `-c` of another command in an example is not ours.
    expect([...new Set(flagsIn(text).filter((flag) => flag.startsWith('--') && !known.has(flag)))]).toEqual([]);
  });

  test('every choice of an option is explained in its entry', () => {
    const missing: string[] = [];
    for (const info of commands) {
      const documented = entriesOf(info);
      for (const option of info.options) {
        const entry = documented.find((candidate) => flagsIn(candidate.tag).includes(option.long ?? option.short!));
        for (const choice of option.argChoices ?? []) if (!entry || !new RegExp(`\\b${choice}\\b`).test(entry.text)) missing.push(`${option.long} ${choice}`);
      }
    }
    expect(missing).toEqual([]);
  });

  test('every command has its .SS in COMMANDS, and every .SS there is a command', () => {
    const documented = [...PAGE.matchAll(/^\.SS\s+"?(sseredact\b[^"]*)"?\s*$/gm)].map((match) => match[1]!);
    const existing = commands.filter((info) => info.path.length > 0).map(label);
    expect(
      commands
        .filter(needsSection)
        .map(label)
        .filter((name) => !documented.includes(name)),
      'add a .SS "sseredact ..." under .SH COMMANDS',
    ).toEqual([]);
    expect(documented.filter((name) => !existing.includes(name))).toEqual([]);
    if (existing.length === 0) expect(PAGE).not.toMatch(/^\.SH COMMANDS/m);
    else expect(PAGE).toMatch(/^\.SH COMMANDS/m);
  });

  test('the synopsis names every subcommand', () => {
    const synopsis = plain(/^\.SH SYNOPSIS\n([\s\S]*?)^\.SH /m.exec(PAGE)![1]!);
    for (const info of commands.filter((candidate) => candidate.path.length > 0)) expect(synopsis.replace(/\s+/g, ' ')).toContain(info.path.join(' '));
  });

  test('every example command line parses', async () => {
    const examples = /^\.SH EXAMPLES\n([\s\S]*?)^\.SH /m.exec(PAGE)![1]!;
    const lines = [...examples.matchAll(/^\.EX\n([\s\S]*?)^\.EE$/gm)].flatMap((match) => plain(match[1]!).split('\n'));
    const runs = lines.map(sseredactArguments).filter((args): args is string[] => args !== null);
    expect(runs.length).toBeGreaterThanOrEqual(5);
    for (const args of runs) expect(await parseError(args), args.join(' ')).toBeNull();
  });

  test('the exit statuses are the ones src/cli/exit.ts defines', async () => {
    const exit = await import('../../src/cli/exit.js');
    const documented = entries(PAGE)
      .filter((entry) => entry.section === 'EXIT STATUS')
      .map((entry) => Number(entry.tag.replace(/^\.B\s+/, '')));
    expect(documented).toEqual([exit.EXIT_OK, exit.EXIT_FINDINGS, exit.EXIT_USAGE, exit.EXIT_INTERNAL]);
  });

  test('the rule file example is valid for the rule loader', async () => {
    const { parseRuleFile } = await import('../../src/rules/load/schema.js');
    const section = /^\.SH RULE FILES\n([\s\S]*?)^\.SH /m.exec(PAGE)![1]!;
    const example = plain(/^\.EX\n([\s\S]*?)^\.EE$/m.exec(section)![1]!);
    const specs = parseRuleFile(JSON.parse(example), 'man page', { source: 'man page', placeholders: true });
    expect(specs.map((spec) => spec.id)).toEqual(['acme-api-key']);
    const { scan } = await import('../../src/index.js');
    const spec = specs[0]!;
    for (const text of spec.examples!.match) expect(scan(text, { builtin: false, rules: [spec] })).toHaveLength(1);
    for (const text of spec.examples!.noMatch) expect(scan(text, { builtin: false, rules: [spec] })).toHaveLength(0);
  });

  test('the rule file fields documented are the fields the loader knows', () => {
    const source = readFileSync(new URL('../../src/rules/load/schema.ts', import.meta.url), 'utf8');
    const known = /const KNOWN_FIELDS = new Set\(\[([\s\S]*?)\]\)/
      .exec(source)![1]!
      .match(/'[^']+'/g)!
      .map((field) => field.slice(1, -1));
    const documented = entries(PAGE)
      .filter((entry) => entry.section === 'RULE FILES')
      .map((entry) => entry.tag.replace(/^\.B\s+/, ''));
    expect(['id', 'regex', ...documented].sort()).toEqual([...known].sort());
  });
});
