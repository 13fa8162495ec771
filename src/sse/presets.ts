/**
 * Where the text of the content streams sits in an LLM provider's events (`--sse-json PRESET`),
 * and which events end a stream. Facts from the providers' public docs and SDK types:
 *
 * | preset      | content streams (one per …)                                                             | ends                                      |
 * |-------------|-----------------------------------------------------------------------------------------|-------------------------------------------|
 * | `openai`    | Chat Completions `choices[].delta.content`, `.refusal`, `.reasoning_content`/`.reasoning`, `.audio.transcript`, `.tool_calls[].function.arguments` (per tool-call `index`), legacy `.function_call.arguments` and `choices[].text`, `logprobs.content[].token`/`logprobs.refusal[].token` (per choice `index`); Responses API: the `delta` of every `response.*.delta` event but audio (per `item_id`, `content_index`/`summary_index`), and `logprobs[].token` of deltas and of `.done` events | a choice's `finish_reason`; `response.*.done` (its stream), `response.output_item.done`/`content_part.done` (the item's), `response.completed`/`failed`/`incomplete` (all) |
 * | `anthropic` | `content_block_delta` `delta.text`, `.partial_json`, `.thinking` (per block `index`)     | `content_block_stop`; `message_stop`      |
 * | `gemini`    | `candidates[].content.parts[].text` (per candidate; thought parts apart)                | a candidate's `finishReason`              |
 * | `vercel`    | AI SDK UI message stream: `text-delta.delta`, `reasoning-delta.delta` (per `id`), `tool-input-delta.inputTextDelta` (per `toolCallId`) | `text-end`, `reasoning-end`, `tool-input-available`; `finish` |
 *
 * Every other string, number and member name is redacted where it stands (redact.ts), so whole
 * values — Anthropic's `content_block_start` blocks and citations, Gemini's `functionCall.args`,
 * the AI SDK's `tool-input-available`/`tool-output-available`, the Responses API's full copies in
 * `*.done`, `output_item.done` and `response.completed` — are scanned too; being the same text,
 * they get the same findings as the deltas. Never touched: Anthropic's `signature` (a thinking
 * block's integrity check) and Gemini's `thoughtSignature`.
 *
 * Logprobs tokens spell the content again, so they are a content stream of their own; when a
 * token's text changes, its `bytes` follow it and its `top_logprobs` alternatives are dropped.
 */
import type { JsonLeaf, JsonNode } from './json-tree.js';
import { memberOf, numberOf, stringOf } from './json-tree.js';

/** One piece of content text in an event: a string leaf and the content stream it belongs to. */
export interface ContentSlot {
  /** The content stream; keys are `/`-separated and end with `/`, so a prefix names a group. */
  readonly key: string;
  readonly leaf: JsonLeaf;
  /** Nodes that spell this leaf's text again and must change with it (logprobs `bytes`, `top_logprobs`). */
  readonly dependents?: { readonly bytes?: JsonNode; readonly alternatives?: JsonNode };
}

/** What `--sse-json PRESET` (or a path) compiles to. */
export interface ContentLocator {
  readonly name: string;
  /** True when the event has this preset's shape (`auto` locks onto the first preset that says so). */
  isShape(root: JsonNode): boolean;
  /** The content slots of one event's JSON, in document order. */
  slots(root: JsonNode): ContentSlot[];
  /** Key prefixes of the streams this event ends (`'all'`: every stream). */
  ends(root: JsonNode): readonly string[] | 'all';
  /** Leaves never scanned nor rewritten (signatures). */
  isUntouched(leaf: JsonLeaf): boolean;
}

type Slots = ContentSlot[];

function slotAt(slots: Slots, key: string, node: JsonNode | undefined, dependents?: ContentSlot['dependents']): void {
  if (node?.kind !== 'string') return;
  slots.push(dependents === undefined ? { key, leaf: node } : { key, leaf: node, dependents });
}

function itemsOf(node: JsonNode | undefined): JsonNode[] {
  return node?.kind === 'array' ? node.items : [];
}

/** An element's own `index` member when it has one (OpenAI choices, tool calls), else its position. */
function indexOf(element: JsonNode, position: number): number | string {
  return numberOf(memberOf(element, 'index')) ?? position;
}

const never = (): boolean => false;

function isMemberNamed(leaf: JsonLeaf, names: ReadonlySet<string>): boolean {
  return typeof leaf.key === 'object' && leaf.key !== null && names.has(leaf.key.value);
}

const CHAT_DELTA_FIELDS: readonly (readonly [string, string])[] = [
  ['content', 'content'],
  ['refusal', 'refusal'],
  ['reasoning_content', 'reasoning'],
  ['reasoning', 'reasoning-or'],
];

function chatSlots(root: JsonNode): Slots {
  const slots: Slots = [];
  itemsOf(memberOf(root, 'choices')).forEach((choice, position) => {
    const key = `c/${indexOf(choice, position)}/`;
    const delta = memberOf(choice, 'delta');
    for (const [field, name] of CHAT_DELTA_FIELDS) slotAt(slots, `${key}${name}/`, memberOf(delta, field));
    slotAt(slots, `${key}audio/`, memberOf(memberOf(delta, 'audio'), 'transcript'));
    itemsOf(memberOf(delta, 'tool_calls')).forEach((call, callPosition) => {
      slotAt(slots, `${key}tool/${indexOf(call, callPosition)}/`, memberOf(memberOf(call, 'function'), 'arguments'));
    });
    slotAt(slots, `${key}function/`, memberOf(memberOf(delta, 'function_call'), 'arguments'));
    slotAt(slots, `${key}text/`, memberOf(choice, 'text'));
    const logprobs = memberOf(choice, 'logprobs');
    for (const field of ['content', 'refusal']) {
      for (const entry of itemsOf(memberOf(logprobs, field))) {
        const bytes = memberOf(entry, 'bytes');
        const alternatives = memberOf(entry, 'top_logprobs');
        slotAt(slots, `${key}logprobs-${field}/`, memberOf(entry, 'token'), {
          ...(bytes === undefined ? {} : { bytes }),
          ...(alternatives === undefined ? {} : { alternatives }),
        });
      }
    }
    // Legacy completions: `logprobs.tokens` is an array of strings.
    for (const token of itemsOf(memberOf(logprobs, 'tokens'))) slotAt(slots, `${key}logprobs-tokens/`, token);
  });
  return slots;
}

function chatEnds(root: JsonNode): string[] {
  const ended: string[] = [];
  itemsOf(memberOf(root, 'choices')).forEach((choice, position) => {
    const reason = memberOf(choice, 'finish_reason');
    if (reason !== undefined && reason.kind !== 'literal') ended.push(`c/${indexOf(choice, position)}/`);
  });
  return ended;
}

const RESPONSES_EVENT = /^response\.(.+)\.(delta|done)$/;
/** Responses API deltas that are not text (base64 audio). */
const NON_TEXT_DELTAS = new Set(['response.audio.delta']);

function responsesItem(root: JsonNode): string {
  return stringOf(memberOf(root, 'item_id')) ?? `o${numberOf(memberOf(root, 'output_index')) ?? ''}`;
}

function responsesKey(root: JsonNode, family: string): string {
  const part = numberOf(memberOf(root, 'content_index')) ?? numberOf(memberOf(root, 'summary_index')) ?? '';
  return `r/${responsesItem(root)}/${family}/${part}/`;
}

const openai: ContentLocator = {
  name: 'openai',
  isShape: (root) => memberOf(root, 'choices')?.kind === 'array' || (stringOf(memberOf(root, 'type'))?.startsWith('response.') ?? false),
  slots(root) {
    const type = stringOf(memberOf(root, 'type'));
    if (type === undefined) return chatSlots(root);
    const event = RESPONSES_EVENT.exec(type);
    if (event === null || NON_TEXT_DELTAS.has(type)) return [];
    const key = responsesKey(root, event[1] as string);
    const slots: Slots = [];
    if (event[2] === 'delta') slotAt(slots, key, memberOf(root, 'delta'));
    // Logprobs tokens spell the text again: the deltas' as one stream, a `.done` event's full copy
    // as another that ends with it.
    const tokens = `${key}logprobs${event[2] === 'done' ? '-done' : ''}/`;
    for (const entry of itemsOf(memberOf(root, 'logprobs'))) {
      const alternatives = memberOf(entry, 'top_logprobs');
      slotAt(slots, tokens, memberOf(entry, 'token'), alternatives === undefined ? undefined : { alternatives });
    }
    return slots;
  },
  ends(root) {
    const type = stringOf(memberOf(root, 'type'));
    if (type === undefined) return chatEnds(root);
    if (type === 'response.completed' || type === 'response.failed' || type === 'response.incomplete') return 'all';
    if (type === 'response.output_item.done') {
      const id = stringOf(memberOf(memberOf(root, 'item'), 'id'));
      const index = numberOf(memberOf(root, 'output_index'));
      return [...(id === undefined ? [] : [`r/${id}/`]), `r/o${index ?? ''}/`];
    }
    if (type === 'response.content_part.done') return [`r/${responsesItem(root)}/`];
    const event = RESPONSES_EVENT.exec(type);
    return event !== null && event[2] === 'done' ? [responsesKey(root, event[1] as string)] : [];
  },
  isUntouched: never,
};

const ANTHROPIC_TYPES = new Set(['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop', 'ping']);
const SIGNATURES = new Set(['signature']);

const anthropic: ContentLocator = {
  name: 'anthropic',
  isShape: (root) => ANTHROPIC_TYPES.has(stringOf(memberOf(root, 'type')) ?? ''),
  slots(root) {
    if (stringOf(memberOf(root, 'type')) !== 'content_block_delta') return [];
    const key = `b/${numberOf(memberOf(root, 'index')) ?? ''}/`;
    const delta = memberOf(root, 'delta');
    const slots: Slots = [];
    for (const field of ['text', 'partial_json', 'thinking']) slotAt(slots, `${key}${field}/`, memberOf(delta, field));
    return slots;
  },
  ends(root) {
    const type = stringOf(memberOf(root, 'type'));
    if (type === 'content_block_stop') return [`b/${numberOf(memberOf(root, 'index')) ?? ''}/`];
    return type === 'message_stop' ? 'all' : [];
  },
  isUntouched: (leaf) => isMemberNamed(leaf, SIGNATURES),
};

const THOUGHT_SIGNATURES = new Set(['thoughtSignature', 'thought_signature']);

const gemini: ContentLocator = {
  name: 'gemini',
  isShape: (root) => memberOf(root, 'candidates')?.kind === 'array',
  slots(root) {
    const slots: Slots = [];
    itemsOf(memberOf(root, 'candidates')).forEach((candidate, position) => {
      const key = `g/${indexOf(candidate, position)}/`;
      for (const part of itemsOf(memberOf(memberOf(candidate, 'content'), 'parts'))) {
        const thought = memberOf(part, 'thought');
        const isThought = thought?.kind === 'literal' && thought.value === true;
        slotAt(slots, `${key}${isThought ? 'thought' : 'text'}/`, memberOf(part, 'text'));
      }
    });
    return slots;
  },
  ends(root) {
    const ended: string[] = [];
    itemsOf(memberOf(root, 'candidates')).forEach((candidate, position) => {
      if (memberOf(candidate, 'finishReason') !== undefined) ended.push(`g/${indexOf(candidate, position)}/`);
    });
    return ended;
  },
  isUntouched: (leaf) => isMemberNamed(leaf, THOUGHT_SIGNATURES),
};

/** AI SDK UI message stream: delta type, its stream kind, the member naming the stream, the text member. */
const VERCEL_DELTAS: Record<string, readonly [kind: string, id: string, text: string]> = {
  'text-delta': ['text', 'id', 'delta'],
  'reasoning-delta': ['reasoning', 'id', 'delta'],
  'tool-input-delta': ['tool', 'toolCallId', 'inputTextDelta'],
};
const VERCEL_ENDS: Record<string, readonly [kind: string, id: string]> = {
  'text-end': ['text', 'id'],
  'reasoning-end': ['reasoning', 'id'],
  'tool-input-available': ['tool', 'toolCallId'],
};
const VERCEL_TYPES = new Set([
  ...Object.keys(VERCEL_DELTAS),
  ...Object.keys(VERCEL_ENDS),
  'start',
  'finish',
  'start-step',
  'finish-step',
  'text-start',
  'reasoning-start',
  'tool-input-start',
  'tool-output-available',
  'tool-input-error',
  'tool-output-error',
  'source-url',
  'source-document',
  'file',
  'error',
  'abort',
  'message-metadata',
]);

const vercel: ContentLocator = {
  name: 'vercel',
  isShape: (root) => VERCEL_TYPES.has(stringOf(memberOf(root, 'type')) ?? ''),
  slots(root) {
    const shape = VERCEL_DELTAS[stringOf(memberOf(root, 'type')) ?? ''];
    if (shape === undefined) return [];
    const [kind, id, text] = shape;
    const slots: Slots = [];
    slotAt(slots, `v/${kind}/${stringOf(memberOf(root, id)) ?? ''}/`, memberOf(root, text));
    return slots;
  },
  ends(root) {
    const type = stringOf(memberOf(root, 'type')) ?? '';
    if (type === 'finish' || type === 'abort') return 'all';
    const shape = VERCEL_ENDS[type];
    return shape === undefined ? [] : [`v/${shape[0]}/${stringOf(memberOf(root, shape[1])) ?? ''}/`];
  },
  isUntouched: never,
};

/** The presets by name. */
export const PRESETS: ReadonlyMap<string, ContentLocator> = new Map([openai, anthropic, gemini, vercel].map((preset) => [preset.name, preset]));

/** `auto` tries these in this order on each event until one claims the stream. */
export const AUTO_ORDER: readonly ContentLocator[] = [anthropic, vercel, openai, gemini];
