/**
 * The options and commands commander knows, read from the built program without running it
 * (buildProgram with no-op actions), and a way to check that a documented command line parses.
 * The man page, --help and README tests compare what they document against this.
 */
import { type Command, CommanderError, type Option } from 'commander';
import { buildProgram } from '../../src/cli/program.js';

export interface CommandInfo {
  /** Words after `sseredact`: [] for the program itself, ['rules', 'list'] for a subcommand. */
  readonly path: readonly string[];
  readonly command: Command;
  /** Visible options, the help option included. */
  readonly options: readonly Option[];
}

function noop(): Promise<void> {
  return Promise.resolve();
}

/** Every action of buildProgram's `actions` a no-op, whatever actions it has. */
const NO_ACTIONS = new Proxy({}, { get: () => noop }) as Parameters<typeof buildProgram>[0];

/** The program, with every command's action replaced by a no-op and no output or exit. */
export function quietProgram(): Command {
  const program = buildProgram(NO_ACTIONS);
  const visit = (command: Command): void => {
    command
      .action(noop)
      .exitOverride()
      .configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} });
    command.commands.forEach(visit);
  };
  visit(program);
  return program;
}

/** Every command of the program, the program first, subcommands depth-first. */
export function commandTree(program: Command = buildProgram(NO_ACTIONS)): CommandInfo[] {
  const found: CommandInfo[] = [];
  const visit = (command: Command, path: readonly string[]): void => {
    found.push({ path, command, options: command.createHelp().visibleOptions(command) });
    for (const sub of command.commands) if (!(sub as unknown as { _hidden: boolean })._hidden) visit(sub, [...path, sub.name()]);
  };
  visit(program, []);
  return found;
}

/** The flags of an option: its long and short forms (`--max-match`, `-p`). */
export function flagsOf(option: Option): string[] {
  return [option.long, option.short].filter((flag): flag is string => flag !== undefined);
}

/** Every flag of every command. */
export function allFlags(): Set<string> {
  return new Set(commandTree().flatMap((info) => info.options.flatMap(flagsOf)));
}

/**
 * Splits one shell command line into words (single and double quotes, no expansion) and returns
 * the arguments of its `sseredact` command: the words after `sseredact` (or a path ending in it)
 * up to the first pipe, redirection or comment. Null when the line runs no sseredact.
 */
export function sseredactArguments(line: string): string[] | null {
  const words: { text: string; isOperator: boolean }[] = [];
  const pattern = /\s*(?:(\d*[<>]&?\d*|\|\|?|&&|;|#.*$)|((?:'[^']*'|"(?:\\.|[^"\\])*"|[^\s'"|<>;#])+))/gy;
  for (let match = pattern.exec(line); match !== null && match[0] !== ''; match = pattern.exec(line)) {
    if (match[1] !== undefined) words.push({ text: match[1], isOperator: true });
    else
      words.push({
        text: match[2]!.replace(/'([^']*)'|"((?:\\.|[^"\\])*)"/g, (_all, single?: string, double?: string) => single ?? double!.replace(/\\(.)/g, '$1')),
        isOperator: false,
      });
  }
  const start = words.findIndex((word) => !word.isOperator && /(?:^|\/)sseredact$/.test(word.text));
  if (start < 0) return null;
  // The first pipe or redirection ends the arguments (a redirection's target is none of them).
  const end = words.findIndex((word, index) => index > start && word.isOperator);
  return words.slice(start + 1, end < 0 ? undefined : end).map((word) => word.text);
}

/** `text` without the options of the git commands it names (`git commit --no-verify`): they are git's, not ours. */
export function withoutGitOptions(text: string): string {
  return text.replace(/(\bgit [a-z][\w-]*)(?: --?[a-z][\w-]*)+/g, '$1');
}

/** Parses `args` with the real program; returns null when commander accepts them, else its error. */
export async function parseError(args: readonly string[]): Promise<string | null> {
  try {
    await quietProgram().parseAsync(args, { from: 'user' });
    return null;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? null : error.message;
    throw error;
  }
}
