/**
 * The public types, as assertions the type checker proves. Not a test file: types.test.ts checks it
 * with tsc twice, once as it is (against src/index.ts) and once as a consumer would write it, with
 * `from 'sseredact'` resolved through package.json's exports map to the built .d.ts files.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Transform } from 'node:stream';
import { expectTypeOf } from 'vitest';
import type * as api from '../../src/index.js';
import type {
  BodyMode,
  CompiledRules,
  ErrorType,
  Finding,
  ProxyHandler,
  ProxyHandlerOptions,
  ProxyRequestLog,
  RedactResponseOptions,
  Redactor,
  RedactorOptions,
  RuleOptions,
  RulePredicates,
  RuleSpec,
} from '../../src/index.js';
import { type SseredactError, compileRules, createProxyHandler, createRedactor, createRedactorStream, redact, redactResponse, scan } from '../../src/index.js';

// The runtime exports, exactly: adding or removing one is a deliberate change to this list.
expectTypeOf<keyof typeof api>().toEqualTypeOf<
  'SseredactError' | 'compileRules' | 'createProxyHandler' | 'createRedactor' | 'createRedactorStream' | 'redact' | 'redactResponse' | 'scan'
>();

// compileRules: options optional, a shareable compiled set with its rule ids.
expectTypeOf(compileRules).parameters.toEqualTypeOf<[options?: RuleOptions]>();
expectTypeOf(compileRules).returns.toEqualTypeOf<CompiledRules>();
expectTypeOf<CompiledRules['ruleIds']>().toEqualTypeOf<readonly string[]>();
expectTypeOf<RuleOptions>().toEqualTypeOf<{
  readonly builtin?: boolean;
  readonly packs?: ReadonlyArray<'secrets' | 'pii'>;
  readonly disable?: readonly string[];
  readonly rules?: readonly RuleSpec[];
  readonly patterns?: readonly string[];
  readonly literals?: readonly string[];
  readonly maskEnv?: readonly string[];
  readonly maxMatch?: number;
  readonly engine?: 'auto' | 'ts' | 'vectorscan';
}>();

// createRedactor: a Node Transform with typed `finding` events and a WHATWG view.
expectTypeOf(createRedactor).parameters.toEqualTypeOf<[options?: RedactorOptions]>();
expectTypeOf(createRedactor).returns.toEqualTypeOf<Redactor>();
expectTypeOf<Redactor>().toExtend<Transform>();
expectTypeOf<Redactor['toWeb']>().toEqualTypeOf<() => TransformStream<Uint8Array, Uint8Array>>();
expectTypeOf(createRedactorStream).returns.toEqualTypeOf<TransformStream<Uint8Array, Uint8Array>>();
expectTypeOf(createRedactorStream).parameters.toEqualTypeOf<[options?: RedactorOptions]>();
declare const redactor: Redactor;
redactor.on('finding', (finding) => expectTypeOf(finding).toEqualTypeOf<Finding>());
redactor.once('finding', (finding) => expectTypeOf(finding).toEqualTypeOf<Finding>());
expectTypeOf(redactor.on('finding', () => {})).toEqualTypeOf<Redactor>();
redactor.on('data', (chunk: Buffer) => expectTypeOf(chunk).toEqualTypeOf<Buffer>());

expectTypeOf<RedactorOptions>().toExtend<RuleOptions>();
expectTypeOf<RedactorOptions['compiled']>().toEqualTypeOf<CompiledRules | undefined>();
expectTypeOf<RedactorOptions['replace']>().toEqualTypeOf<string | undefined>();
expectTypeOf<RedactorOptions['hashKey']>().toEqualTypeOf<string | undefined>();
expectTypeOf<RedactorOptions['showSecret']>().toEqualTypeOf<boolean | undefined>();
expectTypeOf<RedactorOptions['sse']>().toEqualTypeOf<'off' | 'on' | 'auto' | undefined>();
expectTypeOf<RedactorOptions['sseJson']>().toEqualTypeOf<string | undefined>();
expectTypeOf<RedactorOptions['strictHold']>().toEqualTypeOf<boolean | undefined>();
// @ts-expect-error: options are checked, not a bag of anything
createRedactor({ showSecret: 'yes' });
// @ts-expect-error: an unknown option is a type error
createRedactor({ secretsPlease: true });

// Findings: positions and a fingerprint; the secret only with showSecret, so optional.
expectTypeOf<Finding>().toEqualTypeOf<{
  readonly rule: string;
  readonly start: number;
  readonly end: number;
  readonly line: number;
  readonly column: number;
  readonly fingerprint: string;
  readonly released?: number;
  readonly secret?: string;
}>();

// Whole inputs.
expectTypeOf(redact).parameters.toEqualTypeOf<[input: string | Uint8Array, options?: RedactorOptions]>();
expectTypeOf(redact).returns.toEqualTypeOf<{ output: Buffer; findings: Finding[] }>();
expectTypeOf(scan).returns.toEqualTypeOf<Finding[]>();

// Errors: one class, a discriminant.
expectTypeOf<SseredactError>().toExtend<Error>();
expectTypeOf<SseredactError['type']>().toEqualTypeOf<ErrorType>();
expectTypeOf<ErrorType>().toEqualTypeOf<'usage' | 'io' | 'output' | 'rule' | 'engine' | 'format' | 'internal'>();

// Rules given as data.
expectTypeOf<RuleSpec['id']>().toEqualTypeOf<string>();
expectTypeOf<RuleSpec['regex']>().toEqualTypeOf<string>();
expectTypeOf<RuleSpec['secretGroup']>().toEqualTypeOf<number | readonly number[] | 'first-non-empty' | undefined>();
expectTypeOf<RuleSpec['replacement']>().toEqualTypeOf<string | undefined>();
expectTypeOf<RuleSpec['predicates']>().toEqualTypeOf<RulePredicates | undefined>();
expectTypeOf<RulePredicates['validator']>().toEqualTypeOf<'luhn' | 'github-crc32' | 'iban' | 'ipv4' | 'ipv6' | undefined>();

// The proxy's redaction: a WHATWG Response in, a WHATWG Response out; a Node request handler.
expectTypeOf(redactResponse).parameters.toEqualTypeOf<[response: Response, options?: RedactResponseOptions]>();
expectTypeOf(redactResponse).returns.toEqualTypeOf<Response>();
expectTypeOf<RedactResponseOptions['redactAll']>().toEqualTypeOf<boolean | undefined>();
expectTypeOf<RedactResponseOptions['sseJson']>().toEqualTypeOf<string | undefined>();
expectTypeOf<RedactResponseOptions['compiled']>().toEqualTypeOf<CompiledRules | undefined>();
// @ts-expect-error: per-event or not is the media type's choice, not an option
redactResponse(new Response(''), { sse: 'on' });
expectTypeOf(createProxyHandler).parameters.toEqualTypeOf<[options: ProxyHandlerOptions]>();
expectTypeOf(createProxyHandler).returns.toEqualTypeOf<ProxyHandler>();
expectTypeOf<ProxyHandlerOptions>().toExtend<RedactResponseOptions>();
expectTypeOf<ProxyHandlerOptions['upstream']>().toEqualTypeOf<string | URL>();
expectTypeOf<ProxyHandlerOptions['redactRequests']>().toEqualTypeOf<boolean | undefined>();
expectTypeOf<ProxyHandlerOptions['onRequest']>().toEqualTypeOf<((log: ProxyRequestLog) => void) | undefined>();
expectTypeOf<ProxyHandler>().toExtend<(request: IncomingMessage, response: ServerResponse) => void>();
expectTypeOf<ProxyHandler['close']>().toEqualTypeOf<() => void>();
expectTypeOf<ProxyRequestLog['findings']>().toEqualTypeOf<Readonly<Record<string, number>>>();
expectTypeOf<ProxyRequestLog['mode']>().toEqualTypeOf<BodyMode>();
expectTypeOf<BodyMode>().toEqualTypeOf<'sse' | 'json' | 'text' | 'bytes' | 'untouched'>();
expectTypeOf<ProxyRequestLog['outcome']>().toEqualTypeOf<'ok' | 'aborted' | 'upstream-error' | 'failed'>();
