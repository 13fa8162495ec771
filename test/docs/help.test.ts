/**
 * --help and --version of the real command (bin/sseredact, built by `npm test`'s pretest), for
 * the program and every subcommand commander knows: each help lists its options and shows
 * examples that parse; a bad option or value is one line naming it, and exit status 2.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { sseredact } from '../e2e/cli.js';
import { type CommandInfo, commandTree, parseError, sseredactArguments, withoutGitOptions } from './commander.js';

const text = (bytes: unknown) => Buffer.from(bytes as Uint8Array).toString('utf8');
const commands = commandTree().map((info) => [['sseredact', ...info.path].join(' '), info] as const);
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The example command lines of a help text: the lines after `Examples:` up to a blank line. */
function examplesOf(help: string): string[][] {
  const block = /^Examples:\n([\s\S]*?)(?:\n\n|$)/m.exec(help);
  if (!block) return [];
  return (
    block[1]!
      .split('\n')
      // A description may follow a command after two or more spaces.
      .map((line) => sseredactArguments(line.trim().split(/ {2,}/)[0]!))
      .filter((args): args is string[] => args !== null)
  );
}

describe.each(commands)('%s', (_label, info: CommandInfo) => {
  test('--help exits 0 and lists every option', async () => {
    const result = await sseredact([...info.path, '--help']);
    expect(result.exitCode).toBe(0);
    expect(text(result.stderr)).toBe('');
    const help = text(result.stdout);
    for (const option of info.options) expect(help).toContain(option.flags);
    for (const sub of info.command.commands) expect(help).toContain(sub.name());
  });

  test('--help shows examples, and each of them parses', async () => {
    const help = text((await sseredact([...info.path, '--help'])).stdout);
    const examples = examplesOf(help);
    expect(examples.length, "add an Examples: block with addHelpText('after', ...)").toBeGreaterThan(0);
    for (const args of examples) expect(args.slice(0, info.path.length)).toEqual(info.path);
    for (const args of examples) expect(await parseError(args), args.join(' ')).toBeNull();
  });

  test('an unknown option: one line naming it, exit 2', async () => {
    const result = await sseredact([...info.path, '--no-such-option'], { input: '' });
    expect(result.exitCode).toBe(2);
    expect(text(result.stderr)).toMatch(/^sseredact: .*'--no-such-option'.*\n$/);
    expect(text(result.stdout)).toBe('');
  });

  test.each(info.options.filter((option) => option.argChoices !== undefined).map((option) => [option.long!, option] as const))(
    'a bad value for %s: one line naming the option and the choices, exit 2',
    async (flag, option) => {
      const result = await sseredact([...info.path, `${flag}=bogus`], { input: '' });
      expect(result.exitCode).toBe(2);
      const stderr = text(result.stderr);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toContain(flag);
      for (const choice of option.argChoices ?? []) expect(stderr).toContain(choice);
    },
  );
});

describe('the program', () => {
  test.each([['--version'], ['-V']])('%s prints the version from package.json', async (flag) => {
    const result = await sseredact([flag]);
    expect(result.exitCode).toBe(0);
    expect(text(result.stdout)).toBe(`${VERSION}\n`);
  });

  test('--help states the exit statuses', async () => {
    const help = text((await sseredact(['--help'])).stdout);
    expect(help).toMatch(/Exit status: 0 .*1 .*2 .*\n?.*3 /s);
  });

  test('a bad number: one line naming the option, exit 2', async () => {
    const result = await sseredact(['--max-match', '0'], { input: '' });
    expect(result.exitCode).toBe(2);
    expect(text(result.stderr)).toMatch(/^sseredact: option '--max-match <bytes>' argument '0' is invalid\. .*\n$/);
  });
});

describe('the command-line checker the docs tests use', () => {
  test.each([
    ['npm test 2>&1 | sseredact --fail-on-match', ['--fail-on-match']],
    ['sseredact --literal "$DEPLOY_TOKEN" --replace \'*4\' deploy.log', ['--literal', '$DEPLOY_TOKEN', '--replace', '*4', 'deploy.log']],
    ['SSEREDACT_HASH_KEY=k ./bin/sseredact --json < build.log > out # note', ['--json']],
    ['curl -sN https://example.test/stream', null],
  ])('%s', (line, args) => expect(sseredactArguments(line)).toEqual(args));

  test("leaves git's options out of the flags it checks", () => {
    expect(withoutGitOptions('skip it once: git commit --no-verify -q; sseredact scan --staged')).toBe('skip it once: git commit; sseredact scan --staged');
  });

  test('rejects what commander rejects', async () => {
    expect(await parseError(['--bogus'])).toMatch(/unknown option '--bogus'/);
    expect(await parseError(['--max-match', 'lots'])).toMatch(/--max-match/);
    expect(await parseError(['--json', 'file.log'])).toBeNull();
  });
});
