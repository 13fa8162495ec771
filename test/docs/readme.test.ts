/**
 * README agrees with the code: its console sessions run and print what it shows, every option it
 * names exists (and every option exists in it), its command lines parse, its tables match the exit
 * statuses and the rule schema, and the sections the team relies on are there as agreed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { EXIT_FINDINGS, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE } from '../../src/cli/exit.js';
import { allFlags, commandTree, flagsOf, parseError, sseredactArguments, withoutGitOptions } from './commander.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const README = readFileSync(join(REPO, 'README.md'), 'utf8');
const MAN = readFileSync(join(REPO, 'man/sseredact.1'), 'utf8');

/** README's fenced blocks of one language. */
function blocks(language: string): string[] {
  return [...README.matchAll(new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((match) => match[1]!);
}

/** The text of a `## ` section, without its heading. */
function section(title: string): string {
  const match = new RegExp(`^## ${title}\\n([\\s\\S]*?)(?=^## |(?![\\s\\S]))`, 'm').exec(README);
  if (!match) throw new Error(`README has no "## ${title}" section`);
  return match[1]!;
}

/**
 * README without fenced js/ts/json blocks (code there may use `--` for other things) and without
 * the comparison, which names other tools' options.
 */
const PROSE = README.replace(/^```(?:js|ts|json)\n[\s\S]*?^```$/gm, '').replace(/^## Compared with\n[\s\S]*?(?=^## )/m, '');

describe('README sections the team agreed on', () => {
  test('Set-up keeps its two commands, and the first prints what it says', async () => {
    const setup = section('Set-up');
    const commands = [...setup.matchAll(/^ {4}(\S.*)$/gm)].map((match) => match[1]!);
    expect(commands).toEqual(["npm ci && echo 'export AWS_ACCESS_KEY_ID=AKIAZ7VQ3XJ5K2LMN4PQ' | ./bin/sseredact", 'npm test']);
    const claimed = /^prints `([^`]*)`/m.exec(setup)![1]!;
    const result = await execa('bash', ['-c', commands[0]!.replace(/^npm ci && /, '')], { cwd: REPO });
    expect(result.stdout).toBe(claimed);
  });

  test('Performance says where its figures come from and has a row per engine', () => {
    const performance = section('Performance');
    expect(performance).toContain('`npm run bench`');
    for (const engine of ['ts', 'vectorscan']) expect(performance).toContain(`| \`sseredact --engine ${engine}\` |`);
  });
});

describe('README console sessions', () => {
  const sessions = blocks('console');

  test('there are sessions to run', () => expect(sessions.length).toBeGreaterThanOrEqual(5));

  test.each(sessions.map((session) => [session.split('\n')[0]!, session] as const))('%s', async (_first, session) => {
    const lines = session.replace(/\n$/, '').split('\n');
    const script = lines
      .filter((line) => line.startsWith('$ '))
      .map((line) => line.slice(2))
      .join('\n');
    const expected = lines.filter((line) => !line.startsWith('$ ')).join('\n');
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SSEREDACT_')));
    const result = await execa('bash', ['-c', `exec 2>&1\n${script}`], {
      cwd: REPO,
      env: { ...env, PATH: `${join(REPO, 'bin')}:${process.env.PATH}` },
      extendEnv: false,
      reject: false,
    });
    expect(result.stdout).toBe(expected);
  });
});

describe('README and commander agree', () => {
  test('every option README names exists', () => {
    const known = allFlags();
    const named = [...withoutGitOptions(PROSE).matchAll(/(?<![\w-])(--[a-z][\w-]*)/g)].map((match) => match[1]!);
    expect([...new Set(named.filter((flag) => !known.has(flag)))]).toEqual([]);
  });

  test("every option of the program is in README's options table", () => {
    const table = /^### Options\n([\s\S]*?)^## /m.exec(README)![1]!;
    const rows = table.split('\n').filter((line) => line.startsWith('| `'));
    const inTable = new Set(rows.flatMap((row) => [...row.split(' | ')[0]!.matchAll(/(?<![\w-])(--?[A-Za-z][\w-]*)/g)].map((match) => match[1]!)));
    const program = commandTree()[0]!;
    expect(program.options.flatMap(flagsOf).filter((flag) => !inTable.has(flag))).toEqual([]);
  });

  test('every sseredact command line in README parses', async () => {
    const indented = [...PROSE.matchAll(/^ {4,}(\S.*)$/gm)].map((match) => match[1]!);
    const sessions = blocks('console').flatMap((session) =>
      session
        .split('\n')
        .filter((line) => line.startsWith('$ '))
        .map((line) => line.slice(2)),
    );
    const runs = [...indented, ...sessions].map(sseredactArguments).filter((args): args is string[] => args !== null);
    expect(runs.length).toBeGreaterThanOrEqual(8);
    for (const args of runs) expect(await parseError(args), args.join(' ')).toBeNull();
  });

  test('the exit status table is the one src/cli/exit.ts defines', () => {
    const rows = [...section('Exit status').matchAll(/^\| (\d+) \|/gm)].map((match) => Number(match[1]));
    expect(rows).toEqual([EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL]);
  });
});

describe('README, man page and rule schema agree', () => {
  test('the rule file example is the man page one', () => {
    const manExample = /^\.SH RULE FILES\n[\s\S]*?^\.EX\n([\s\S]*?)^\.EE$/m.exec(MAN)![1]!.replace(/\\-/g, '-').replace(/\\e/g, '\\');
    const [readmeExample] = blocks('json');
    expect(JSON.parse(readmeExample!)).toEqual(JSON.parse(manExample));
  });

  test('examples/rules.yaml is the same example, and loads with --rules', async () => {
    const { parseRuleText } = await import('../../src/rules/load/file.js');
    const [readmeExample] = blocks('json');
    const fromYaml = parseRuleText(readFileSync(join(REPO, 'examples/rules.yaml'), 'utf8'), 'examples/rules.yaml');
    const fromJson = parseRuleText(readmeExample!, 'README.json');
    expect(fromYaml.kind).toBe('sseredact');
    expect(fromYaml.specs.map(({ source: _source, ...spec }) => spec)).toEqual(fromJson.specs.map(({ source: _source, ...spec }) => spec));
  });

  test('the rule field table lists exactly the fields the loader knows', () => {
    const source = readFileSync(join(REPO, 'src/rules/load/schema.ts'), 'utf8');
    const known = /const KNOWN_FIELDS = new Set\(\[([\s\S]*?)\]\)/
      .exec(source)![1]!
      .match(/'[^']+'/g)!
      .map((field) => field.slice(1, -1));
    const rows = section('Rule files')
      .split('\n')
      .filter((line) => line.startsWith('| `'));
    const documented = rows.flatMap((row) => [...row.split(' | ')[0]!.matchAll(/`([A-Za-z]+)`/g)].map((match) => match[1]!));
    expect(documented.sort()).toEqual([...known].sort());
  });

  test('local links and anchors resolve', () => {
    const targets = [...README.matchAll(/\]\(([^)]+)\)/g)].map((match) => match[1]!).filter((target) => !/^https?:/.test(target));
    expect(targets.length).toBeGreaterThan(0);
    const anchors = new Set(
      [...README.matchAll(/^#+ (.*)$/gm)].map(
        (match) =>
          `#${match[1]!
            .toLowerCase()
            .replace(/[^\w -]/g, '')
            .replace(/ /g, '-')}`,
      ),
    );
    for (const target of targets) {
      if (target.startsWith('#')) expect(anchors, target).toContain(target);
      else expect(existsSync(join(REPO, target)), target).toBe(true);
    }
  });
});
