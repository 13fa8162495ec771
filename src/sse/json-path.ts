/**
 * Where the text of a content stream sits in an event's JSON data (`--sse-json PATH`), and which
 * events end a content stream.
 *
 * PATH is a preset or a dotted path:
 * - `openai`: Chat Completions `choices[].delta.content` (one content stream per choice, keyed by
 *   the choice's `index`), and Responses API `response.output_text.delta` events' `delta` (one per
 *   `output_index`/`content_index`). A choice with a non-null `finish_reason` ends its stream;
 *   `response.output_text.done` ends its stream; `response.completed|failed|incomplete` end all.
 * - `anthropic`: `content_block_delta` events' `delta.text` (one stream per content block
 *   `index`), and likewise `delta.thinking` (extended thinking) and `delta.partial_json` (tool
 *   input, streamed as JSON text); `content_block_stop` ends its block's stream, `message_stop`
 *   ends all.
 * - a dotted path such as `a.b[].c` or `choices[].delta.content`: `name` steps into an object
 *   member, `name[]` into every element of an array member. Each array element is its own stream,
 *   keyed by the element's numeric `index` member when it has one (as OpenAI's choices do), else
 *   by its position. Only string values are content. Nothing but the end of the whole stream (and
 *   non-JSON data such as `[DONE]`) ends these streams.
 *
 * @example
 * const locator = compileContentPath('openai');
 * const value = JSON.parse('{"choices":[{"index":0,"delta":{"content":"AKIA"}}]}');
 * locator.slots(value); // [{ key: 'choices/0', text: 'AKIA', set }]
 */
import { SseredactError } from '../errors.js';

/** One piece of content text found in an event's JSON. */
export interface ContentSlot {
  /** The content stream it belongs to; unique per stream within one locator. */
  readonly key: string;
  /** The text now in the parsed value (what `set` last wrote). */
  readonly text: string;
  /** Replaces the text in the parsed JSON value it was found in. */
  set(text: string): void;
}

/** What `--sse-json PATH` compiles to. */
export interface ContentLocator {
  /** The slots of one event's parsed JSON data, in document order. */
  slots(value: unknown): ContentSlot[];
  /** Keys of the content streams this event ends (`'all'`: every stream). */
  ends(value: unknown): readonly string[] | 'all';
}

/** The preset names `--sse-json` accepts besides a dotted path. */
export const CONTENT_PRESETS = ['openai', 'anthropic'] as const;

interface Step {
  readonly name: string;
  /** How many `[]` follow the name. */
  readonly arrayDepth: number;
}

/**
 * Compiles a preset name or dotted path.
 * @throws SseredactError('usage') naming the path when it is not a preset or a valid path.
 */
export function compileContentPath(spec: string): ContentLocator {
  if (spec === 'openai') return openai;
  if (spec === 'anthropic') return anthropic;
  const steps = parsePath(spec);
  return { slots: (value) => findSlots(value, steps, 'path'), ends: () => [] };
}

function parsePath(spec: string): Step[] {
  const steps: Step[] = [];
  for (const part of spec.split('.')) {
    const match = /^([^.[\]]+)((?:\[\])*)$/.exec(part);
    if (match === null) {
      throw new SseredactError(
        'usage',
        `--sse-json: '${spec}' is neither a preset (${CONTENT_PRESETS.join(', ')}) nor a dotted path like a.b[].c`,
      );
    }
    steps.push({ name: match[1] as string, arrayDepth: (match[2] as string).length / 2 });
  }
  return steps;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Walks `steps` from `value`; every string found at the end is a slot keyed `keyPrefix/…`. */
function findSlots(value: unknown, steps: readonly Step[], keyPrefix: string): ContentSlot[] {
  const slots: ContentSlot[] = [];
  const visit = (container: JsonObject | unknown[], property: string | number, stepIndex: number, depth: number, key: string): void => {
    const current = (container as Record<string | number, unknown>)[property];
    const step = steps[stepIndex] as Step;
    if (depth < step.arrayDepth) {
      if (!Array.isArray(current)) return;
      current.forEach((element, position) => {
        const index = isObject(element) && typeof element.index === 'number' ? element.index : position;
        visit(current, position, stepIndex, depth + 1, `${key}/${index}`);
      });
      return;
    }
    if (stepIndex === steps.length - 1) {
      if (typeof current === 'string') {
        const record = container as Record<string | number, unknown>;
        slots.push({
          key,
          get text() {
            return record[property] as string;
          },
          set: (text) => {
            record[property] = text;
          },
        });
      }
      return;
    }
    const next = steps[stepIndex + 1] as Step;
    if (isObject(current) && Object.hasOwn(current, next.name)) visit(current, next.name, stepIndex + 1, 0, key);
  };
  const first = steps[0] as Step;
  if (isObject(value) && Object.hasOwn(value, first.name)) visit(value, first.name, 0, 0, keyPrefix);
  return slots;
}

const chatSteps = parsePath('choices[].delta.content');
const responsesSteps = parsePath('delta');
const anthropicSteps = ['delta.text', 'delta.thinking', 'delta.partial_json'].map(parsePath);

const openai: ContentLocator = {
  slots(value) {
    if (!isObject(value)) return [];
    if (value.type === 'response.output_text.delta') return findSlots(value, responsesSteps, responsesKey(value));
    return findSlots(value, chatSteps, 'choices');
  },
  ends(value) {
    if (!isObject(value)) return [];
    switch (value.type) {
      case 'response.output_text.done':
        return [responsesKey(value)];
      case 'response.completed':
      case 'response.failed':
      case 'response.incomplete':
        return 'all';
    }
    if (!Array.isArray(value.choices)) return [];
    const ended: string[] = [];
    value.choices.forEach((choice, position) => {
      if (!isObject(choice) || choice.finish_reason === null || choice.finish_reason === undefined) return;
      ended.push(`choices/${typeof choice.index === 'number' ? choice.index : position}`);
    });
    return ended;
  },
};

function responsesKey(value: JsonObject): string {
  return `output/${String(value.output_index)}/${String(value.content_index)}`;
}

const anthropic: ContentLocator = {
  slots(value) {
    if (!isObject(value) || value.type !== 'content_block_delta') return [];
    return anthropicSteps.flatMap((steps) => findSlots(value, steps, blockKey(value)));
  },
  ends(value) {
    if (!isObject(value)) return [];
    if (value.type === 'content_block_stop') return [blockKey(value)];
    return value.type === 'message_stop' ? 'all' : [];
  },
};

function blockKey(value: JsonObject): string {
  return `block/${String(value.index)}`;
}
