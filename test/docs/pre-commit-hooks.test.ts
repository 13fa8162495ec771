/**
 * .pre-commit-hooks.yaml, the hook this repository offers the pre-commit framework: the fields
 * pre-commit needs, an entry that is our command and parses, and README naming its id.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { parseError } from './commander.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const hooks = parse(read('.pre-commit-hooks.yaml')) as Array<Record<string, unknown>>;
const bins = Object.keys((JSON.parse(read('package.json')) as { bin: Record<string, string> }).bin);

describe('.pre-commit-hooks.yaml', () => {
  test('one hook, sseredact: scan --staged with node, once per commit, at pre-commit', () => {
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({ id: 'sseredact', entry: 'sseredact scan --staged', language: 'node', pass_filenames: false });
    expect(hooks[0]).not.toHaveProperty('stages');
    expect(typeof hooks[0]!.name).toBe('string');
  });

  test("the entry runs this package's command with arguments it accepts", async () => {
    const [command, ...args] = String(hooks[0]!.entry).split(' ');
    expect(bins).toContain(command);
    expect(await parseError(args)).toBeNull();
  });

  test('README names the hook id and links the file', () => {
    const readme = read('README.md');
    expect(readme).toContain('](.pre-commit-hooks.yaml)');
    expect(readme).toContain(`hook id \`${String(hooks[0]!.id)}\``);
  });
});
