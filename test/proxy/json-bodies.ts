/**
 * Non-streaming LLM API response bodies for the proxy's JSON tests, shaped as the providers send
 * them, with a text whose secrets are written with JSON escapes (`\u0061` for `a`, `\/` for `/`):
 * scanned as bytes, neither is found.
 */

/** An Anthropic API key (the rule pack's own example) and a database URL with a password. */
const ANTHROPIC_KEY_TAIL = 'api03-rrL4QExKsKtSUl6s2Mwt7RM0eJ-oXmxXODd686YPhDRCdSM2zwoTa8DFUCiALydRPZSEG0RRhnYyHFtMODalMnoASP_V6AA';

/** The text as a client reads it, and as the upstream writes it inside a JSON string. */
export const ESCAPED_SECRETS_TEXT = {
  decoded: `Use sk-ant-${ANTHROPIC_KEY_TAIL} with postgres://app:Zq8Lr2Vx9K@db.internal:5432/app, then rotate both.`,
  json: `"Use sk-\\u0061nt-${ANTHROPIC_KEY_TAIL} with postgres:\\/\\/app:Zq8Lr2Vx9K@db.internal:5432\\/app, then rotate both."`,
};

/** An OpenAI Chat Completions response whose message content is `contentJson` (a JSON string literal). */
export function openaiCompletionBody(contentJson: string): string {
  return `{"id":"chatcmpl-1","object":"chat.completion","created":1767225600,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":${contentJson},"refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":30,"total_tokens":39}}`;
}

/** An Anthropic Messages response: a thinking block (with its signature) and a text block whose text is `textJson`. */
export function anthropicMessageBody(textJson: string): string {
  return `{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"thinking","thinking":"The user asked for the key.","signature":"EqQBCkYIBxgCKkBxZ3R5dGhpbmtpbmdzaWduYXR1cmVmb3J0ZXN0aW5nb25seQ=="},{"type":"text","text":${textJson}}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":30}}`;
}
