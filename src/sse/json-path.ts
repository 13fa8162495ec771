/**
 * What `--sse-json SPEC` names: a preset (presets.ts), `auto`, or a dotted path to the content.
 *
 * A SPEC that is one bare word (letters, digits, `-`, `_`) names a preset: `openai`, `anthropic`,
 * `gemini`, `vercel` or `auto`, exactly so spelled; any other word (`OpenAI`, `claude`) is a usage
 * error (exit 2) that lists the presets, never a path that silently matches nothing. A path has a
 * dot or a `[]`: `name` steps into an object member (the last one of that name, as a client's
 * `JSON.parse` sees it), `name[]` into every element of an array member; `$.text` names a top-level
 * member. Each array element is its own content stream, keyed by the element's numeric `index`
 * member when it has one (as OpenAI's choices do), else by its position. Only strings are content.
 * Nothing but the end of the whole stream (and non-JSON data such as `[DONE]`) ends a path's
 * streams.
 *
 * @example
 * compileContentPath('openai');                  // the OpenAI preset
 * compileContentPath('choices[].delta.content'); // a path locator
 * compileContentPath('claude');                  // throws: unknown preset
 */
import { SseredactError } from '../errors.js';
import { type JsonNode, memberOf, numberOf } from './json-tree.js';
import { type ContentLocator, type ContentSlot, PRESETS } from './presets.js';

/** The names `--sse-json` accepts besides a path. */
export const CONTENT_PRESETS = [...PRESETS.keys(), 'auto'] as const;

interface Step {
  readonly name: string;
  /** How many `[]` follow the name. */
  readonly arrayDepth: number;
}

/**
 * Compiles a preset name, `auto`, or a dotted path.
 * @throws SseredactError('usage') naming the spec when it is an unknown preset or a bad path.
 */
export function compileContentPath(spec: string): ContentLocator | 'auto' {
  if (spec === 'auto') return 'auto';
  const preset = PRESETS.get(spec);
  if (preset !== undefined) return preset;
  if (/^[\w-]+$/.test(spec)) {
    const near = CONTENT_PRESETS.find((name) => name === spec.toLowerCase() || PRESET_ALIASES[spec.toLowerCase()] === name);
    throw new SseredactError(
      'usage',
      `--sse-json: unknown preset '${spec}'${near === undefined ? '' : ` (did you mean ${near}?)`}; presets: ${CONTENT_PRESETS.join(', ')}; a path has a dot or [] (a.b[].c, $.text)`,
    );
  }
  const steps = parsePath(spec);
  return {
    name: spec,
    isShape: (root) => pathSlots(root, steps).length > 0,
    slots: (root) => pathSlots(root, steps),
    ends: () => [],
    isUntouched: () => false,
  };
}

/** Names people reach for, for the "did you mean" hint. */
const PRESET_ALIASES: Readonly<Record<string, string>> = {
  claude: 'anthropic',
  chatgpt: 'openai',
  gpt: 'openai',
  google: 'gemini',
  vertex: 'gemini',
  'ai-sdk': 'vercel',
  aisdk: 'vercel',
};

function parsePath(spec: string): Step[] {
  const steps: Step[] = [];
  const body = spec.startsWith('$.') ? spec.slice(2) : spec;
  for (const part of body.split('.')) {
    const match = /^([^.[\]]+)((?:\[\])*)$/.exec(part);
    if (match === null) {
      throw new SseredactError('usage', `--sse-json: '${spec}' is neither a preset (${CONTENT_PRESETS.join(', ')}) nor a dotted path like a.b[].c`);
    }
    steps.push({ name: match[1] as string, arrayDepth: (match[2] as string).length / 2 });
  }
  return steps;
}

/** Walks `steps` from `root`; every string found at the end is a slot keyed `p/…/`. */
function pathSlots(root: JsonNode, steps: readonly Step[]): ContentSlot[] {
  const slots: ContentSlot[] = [];
  // An explicit stack, not recursion: arrays may nest as deep as the event does.
  const pending: { node: JsonNode | undefined; step: number; depth: number; key: string }[] = [{ node: memberOf(root, (steps[0] as Step).name), step: 0, depth: 0, key: 'p/' }];
  while (pending.length > 0) {
    const { node, step, depth, key } = pending.pop() as (typeof pending)[number];
    if (node === undefined) continue;
    const current = steps[step] as Step;
    if (depth < current.arrayDepth) {
      if (node.kind !== 'array') continue;
      for (let position = node.items.length - 1; position >= 0; position--) {
        const element = node.items[position] as JsonNode;
        pending.push({ node: element, step, depth: depth + 1, key: `${key}${numberOf(memberOf(element, 'index')) ?? position}/` });
      }
    } else if (step === steps.length - 1) {
      if (node.kind === 'string') slots.push({ key, leaf: node });
    } else {
      pending.push({ node: memberOf(node, (steps[step + 1] as Step).name), step: step + 1, depth: 0, key });
    }
  }
  return slots;
}
