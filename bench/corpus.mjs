#!/usr/bin/env node
/**
 * A deterministic generator of CI-log-like text with planted secrets, for `npm run bench`.
 *
 * The same `seed` and `bytes` always give the same bytes, on any machine (a seeded sfc32 PRNG
 * and no locale, clock or platform input). The text looks like a CI run: GitHub-Actions-style
 * timestamps, npm / pytest / docker / git / make output, JSON log lines, base64 blobs, hex
 * hashes, URLs, Node and Python stack traces, ANSI colours and a little UTF-8. About once per
 * `secretEvery` bytes (default 100 KiB) a realistic secret is planted (one of
 * {@link SECRET_KINDS}, round robin), and about once per `baitEvery` bytes a near miss that a
 * good rule set must leave alone (one of {@link BAIT_KINDS}: `AKIAIOSFODNN7EXAMPLE`,
 * `password = ${PASSWORD}`, masked values, public keys, hashes...).
 *
 * Every byte is ASCII or part of a valid UTF-8 sequence; lines end in `\n`. Offsets are byte
 * offsets from the start of the corpus.
 *
 * Shapes ({@link SHAPES}, `shape`), the inputs issue 17 asks every engine to be measured on:
 * - `ci-log` (the default): the CI log above;
 * - `dense`: the same log with 10x the secrets (`secretEvery` 10 KiB unless given);
 * - `one-line`: the same records with every newline but the last byte's turned into a space (PEM
 *   blocks included), so the whole corpus is one line;
 * - `base64`: four records in five are base64 blobs (MIME-wrapped at 76 columns, or one long
 *   line of up to 16 KiB, as in a data URI or a Kubernetes secret dump);
 * - `minified-js`: a minified bundle: statements glued together, a newline only every ~100 KiB,
 *   planted records on lines of their own.
 * The bytes of `ci-log` do not depend on this option.
 *
 * Memory: one chunk (`chunkBytes`, default 1 MiB) plus the records handed to `onPlant`.
 *
 * @example
 *   import { generateCorpus, writeCorpus } from './corpus.mjs';
 *   for (const chunk of generateCorpus({ bytes: 1 << 20, seed: 7, onPlant: (r) => seen.push(r) })) use(chunk);
 *   await writeCorpus({ bytes: 256 << 20, seed: 1, out: '/tmp/x.log' }); // + /tmp/x.log.secrets.json
 *
 * CLI:
 *   node bench/corpus.mjs --size 256MiB --out /tmp/x.log [--seed 1] [--sidecar PATH]
 *                         [--secret-every 100KiB] [--bait-every 100KiB] [--shape ci-log]
 *
 * The sidecar (`OUT.secrets.json` unless `--sidecar`) is
 *   { "generator": "sseredact-bench-corpus", "version": 1, "seed": 1, "bytes": 268435456,
 *     "shape": "ci-log", "secretEvery": 102400, "baitEvery": 102400,
 *     "secrets": [ { "kind": "aws-access-key-id", "offset": 51234, "length": 20, "text": "AKIA..." }, ... ],
 *     "baits":   [ { "kind": "aws-example-key", "offset": 90210, "length": 20, "text": "AKIAIOSFODNN7EXAMPLE" }, ... ] }
 * For a secret, `text` is exactly what must be redacted: the token itself, the value of a
 * `password = "..."` assignment, the password of a `postgres://user:pass@host` URL, or a whole
 * PEM block from `-----BEGIN` to the last `-----` (no trailing newline). For a bait, `text` is the
 * near-miss phrase that must survive unchanged.
 */
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import zlib from 'node:zlib';

/** Bumped whenever the bytes for a given seed and size change (bench caches key on it). */
export const GENERATOR_VERSION = 1;

const KiB = 1024;

/** Input shapes (see the module doc); `ci-log` is the default. */
export const SHAPES = Object.freeze(['ci-log', 'dense', 'one-line', 'base64', 'minified-js']);

/** How many times more secrets `dense` plants than the default. */
export const DENSE_FACTOR = 10;

/** Kinds of planted secrets, in the round-robin order they are planted. */
export const SECRET_KINDS = Object.freeze([
  'aws-access-key-id',
  'github-pat-classic',
  'github-pat-fine-grained',
  'gitlab-pat',
  'slack-bot-token',
  'stripe-live-key',
  'google-api-key',
  'openai-project-key',
  'anthropic-api-key',
  'npm-token',
  'jwt',
  'pem-private-key',
  'password-assignment',
  'postgres-url-password',
]);

/** Kinds of planted near misses, in the round-robin order they are planted. */
export const BAIT_KINDS = Object.freeze([
  'aws-example-key',
  'aws-example-secret',
  'password-env-reference',
  'password-masked',
  'password-empty',
  'postgres-url-env-password',
  'postgres-url-no-password',
  'actions-masked-token',
  'npm-config-variable',
  'hex-token-digest',
  'stripe-placeholder',
  'jwt-header-only',
  'pem-public-key',
  'pem-certificate',
]);

// ---------------------------------------------------------------------------------------------
// PRNG: sfc32 seeded through a string hash, so numbers and strings both work as seeds.

/** A deterministic PRNG with the few draws the generator needs. */
export function createRandom(seed) {
  let h1 = 0x9e3779b9;
  let h2 = 0x243f6a88;
  let h3 = 0xb7e15162;
  let h4 = 0x85a308d3;
  const text = `sseredact:${String(seed)}`;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ c, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ c, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ c, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ c, 2716044179);
  }
  let a = h1 >>> 0;
  let b = h2 >>> 0;
  let c = h3 >>> 0;
  let d = h4 >>> 0;
  const next = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 16; i++) next();
  /** An integer in [0, n), n <= 2^32. */
  const below = (n) => Math.floor((next() / 4294967296) * n);
  return {
    next,
    below,
    /** An integer in [lo, hi]. */
    between: (lo, hi) => lo + below(hi - lo + 1),
    pick: (items) => items[below(items.length)],
    chance: (p) => next() / 4294967296 < p,
  };
}

// ---------------------------------------------------------------------------------------------
// Alphabets and random strings. Strings hold one byte per code unit (latin1), so a UTF-8
// character is spelled as its bytes (see `utf8`) and `.length` is the byte length everywhere.

const DIGITS = '0123456789';
const HEX = '0123456789abcdef';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const BASE62 = DIGITS + UPPER + LOWER;
const BASE32_AWS = `${UPPER}234567`;
const BASE64 = `${UPPER + LOWER + DIGITS}+/`;
const WORDISH = `${BASE62}_-`;
// No ';' or ',': common secret rules (and shells) end a value there.
const PASSWORD_CHARS = `${BASE62}!#%&*+-./:<=>?@^_|~`;
const URL_PASSWORD_CHARS = `${BASE62}-._~`;

const scratch = Buffer.allocUnsafe(64 * KiB);

function randomString(random, alphabet, length) {
  const out = length <= scratch.length ? scratch : Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = alphabet.charCodeAt(random.below(alphabet.length));
  return out.toString('latin1', 0, length);
}

function randomBytes(random, length) {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i += 4) {
    const word = random.next();
    out[i] = word & 0xff;
    if (i + 1 < length) out[i + 1] = (word >>> 8) & 0xff;
    if (i + 2 < length) out[i + 2] = (word >>> 16) & 0xff;
    if (i + 3 < length) out[i + 3] = word >>> 24;
  }
  return out;
}

const utf8 = (text) => Buffer.from(text, 'utf8').toString('latin1');
const base64url = (text) => Buffer.from(text, 'latin1').toString('base64url');
const hex = (random, length) => randomString(random, HEX, length);

/** CRC-32 of the chars of `text`, each taken as one byte (GitHub's token checksum input). */
const crc32 = (text) => zlib.crc32(Buffer.from(text, 'latin1'));

function base62(value, width) {
  let out = '';
  for (let v = value; v > 0; v = Math.floor(v / 62)) out = BASE62[v % 62] + out;
  return out.padStart(width, '0');
}

/** GitHub / npm style: 30 random base62 characters, then their CRC32 in 6 base62 digits. */
function checksummedBase62(random) {
  const entropy = randomString(random, BASE62, 30);
  return entropy + base62(crc32(entropy), 6);
}

// ---------------------------------------------------------------------------------------------
// Vocabulary.

const ESC = '\x1b';
const GREEN = `${ESC}[32m`;
const RED = `${ESC}[31m`;
const YELLOW = `${ESC}[33m`;
const BOLD = `${ESC}[1m`;
const RESET = `${ESC}[0m`;
const CHECK = utf8('\u2713');
const CROSS = utf8('\u2717');
const ELLIPSIS = utf8('\u2026');
const BAR = utf8('\u2502');

const PACKAGES = [
  'lodash',
  'react',
  'react-dom',
  'express',
  'typescript',
  'vitest',
  'eslint',
  'prettier',
  'axios',
  'chalk',
  'commander',
  'yaml',
  'zod',
  '@types/node',
  '@babel/core',
  'webpack',
  'rollup',
  'esbuild',
  'semver',
  'debug',
  'glob',
  'rimraf',
  'uuid',
  'ws',
  'undici',
  'jsonwebtoken',
  'pg',
  'redis',
];
const PY_PACKAGES = ['requests', 'urllib3', 'numpy', 'pandas', 'pytest', 'boto3', 'botocore', 'django', 'flask', 'pydantic', 'sqlalchemy', 'attrs'];
const DIRS = ['src', 'lib', 'app', 'pkg', 'internal', 'services', 'api', 'core', 'utils', 'handlers', 'models'];
const FILES = ['index', 'server', 'client', 'router', 'config', 'auth', 'session', 'db', 'cache', 'worker', 'queue', 'parser', 'format'];
const FUNCS = ['handleRequest', 'parseConfig', 'connect', 'processTicksAndRejections', 'run', 'main', 'loadUser', 'validate', 'emit', 'next', 'dispatch', 'resolve'];
const HOSTS = [
  'api.example.com',
  'registry.npmjs.org',
  'files.pythonhosted.org',
  'github.com',
  'objects.githubusercontent.com',
  'ghcr.io',
  'docker.io',
  'storage.googleapis.com',
  's3.us-east-1.amazonaws.com',
  'internal.svc.cluster.local',
];
const ORGS = ['acme', 'octo-org', 'payments', 'platform', 'infra', 'data-eng', 'web'];
const REPOS = ['api', 'frontend', 'billing', 'infra', 'monorepo', 'sdk', 'worker', 'docs'];
const BRANCHES = ['main', 'develop', 'feature/login-form', 'fix/timeout', 'release/2.4', 'renovate/lodash-4.x', 'dependabot/npm_and_yarn/axios-1.7.4'];
const LEVELS = ['info', 'info', 'info', 'debug', 'debug', 'warn', 'error'];
const MESSAGES = [
  'request completed',
  'cache miss',
  'connected to database',
  'job started',
  'job finished',
  'retrying request',
  'user authenticated',
  'config loaded',
  'shutting down',
  'slow query',
];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH'];
const USERS = ['app', 'app_user', 'ci', 'deploy', 'readonly', 'svc_billing', 'postgres', 'admin'];
const DBS = ['app', 'app_test', 'billing', 'analytics', 'ci'];
const PEOPLE = ['Ada Lovelace', 'Grace Hopper', 'Linus Torvalds', 'Margaret Hamilton', 'Ken Thompson', 'dependabot[bot]'];

const version = (r) => `${r.below(20)}.${r.below(30)}.${r.below(50)}`;
const path = (r) => `${r.pick(DIRS)}/${r.pick(DIRS)}/${r.pick(FILES)}`;
const uuid = (r) => `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-${r.pick(['8', '9', 'a', 'b'])}${hex(r, 3)}-${hex(r, 12)}`;
const ip = (r) => `10.${r.below(256)}.${r.below(256)}.${r.below(256)}`;
const percent = (r) => String(r.below(101)).padStart(3, ' ');

// ---------------------------------------------------------------------------------------------
// Natural (clean) log records. Each takes the random source and a timestamp prefix function and
// returns one or more complete lines. None of them contains a secret or a bait phrase.

const NATURAL = [
  // npm
  [6, (r, ts) => `${ts()}npm http fetch GET 200 https://registry.npmjs.org/${r.pick(PACKAGES)} ${r.below(400)}ms (cache ${r.pick(['hit', 'miss', 'revalidated'])})\n`],
  [2, (r, ts) => `${ts()}npm WARN deprecated ${r.pick(PACKAGES)}@${version(r)}: This version is no longer supported. Please upgrade.\n`],
  [
    1,
    (r, ts) =>
      `${ts()}added ${r.below(2000)} packages, and audited ${r.below(2000)} packages in ${r.below(90)}s\n${ts()}\n${ts()}${r.below(300)} packages are looking for funding\n${ts()}  run \`npm fund\` for details\n`,
  ],
  [
    1,
    (r, ts) =>
      `${ts()}npm ERR! code E${r.pick(['404', 'TIMEDOUT', 'RESOLVE', 'CONNRESET'])}\n${ts()}npm ERR! ${r.pick(['404 Not Found', 'network request failed'])} - GET https://registry.npmjs.org/${r.pick(PACKAGES)}\n`,
  ],
  [2, (r, ts) => `${ts()}  "integrity": "sha512-${randomString(r, BASE64, 86)}==",\n`],
  // pytest
  [
    6,
    (r, ts) =>
      `${ts()}tests/${r.pick(DIRS)}/test_${r.pick(FILES)}.py::test_${r.pick(FILES)}_${r.pick(FUNCS)}[case-${r.below(50)}] ${r.chance(0.95) ? `${GREEN}PASSED${RESET}` : `${RED}FAILED${RESET}`} [${percent(r)}%]\n`,
  ],
  [
    1,
    (r, ts) =>
      `${ts()}${BOLD}===== ${r.below(900)} passed, ${r.below(5)} failed, ${r.below(10)} skipped, ${r.below(40)} warnings in ${r.below(300)}.${r.below(100)}s =====${RESET}\n`,
  ],
  [
    1,
    (r, ts) =>
      `${ts()}E       AssertionError: assert ${r.below(1000)} == ${r.below(1000)}\n${ts()}E        +  where ${r.below(1000)} = len([${r.below(9)}, ${r.below(9)}, ${r.below(9)}])\n`,
  ],
  [
    1,
    (r, ts) =>
      `${ts()}Collecting ${r.pick(PY_PACKAGES)}==${version(r)}\n${ts()}  Downloading https://files.pythonhosted.org/packages/${hex(r, 2)}/${hex(r, 2)}/${hex(r, 60)}/${r.pick(PY_PACKAGES)}-${version(r)}-py3-none-any.whl (${r.below(900)} kB)\n`,
  ],
  // docker
  [4, (r, ts) => `${ts()}#${r.below(40)} sha256:${hex(r, 64)} ${r.below(90)}.${r.below(10)}MB / ${r.below(200)}.${r.below(10)}MB ${r.below(20)}.${r.below(10)}s\n`],
  [
    2,
    (r, ts) =>
      `${ts()}#${r.below(40)} [build ${r.below(9)}/9] RUN ${r.pick(['npm ci', 'pip install -r requirements.txt', 'make build', 'apt-get update && apt-get install -y curl'])}\n`,
  ],
  [2, (r, ts) => `${ts()}${hex(r, 12)}: ${r.pick(['Pull complete', 'Already exists', 'Verifying Checksum', 'Download complete'])}\n`],
  [1, (r, ts) => `${ts()}Digest: sha256:${hex(r, 64)}\n${ts()}Status: Downloaded newer image for ghcr.io/${r.pick(ORGS)}/${r.pick(REPOS)}:${version(r)}\n`],
  [1, (r, ts) => `${ts()}Step ${r.below(12)}/12 : ${r.pick(['COPY . .', 'WORKDIR /app', 'EXPOSE 8080', 'RUN npm run build'])}\n${ts()} ---> Running in ${hex(r, 12)}\n`],
  // git
  [2, (r, ts) => `${ts()}commit ${hex(r, 40)}\n${ts()}Author: ${r.pick(PEOPLE)} <${r.pick(USERS)}@users.noreply.github.com>\n`],
  [2, (r, ts) => `${ts()}HEAD is now at ${hex(r, 7)} ${r.pick(['Fix flaky test', 'Bump axios', `Merge pull request #${r.below(9000)}`, 'Refactor config loader'])}\n`],
  [2, (r, ts) => `${ts()} * [new branch]      ${r.pick(BRANCHES)} -> origin/${r.pick(BRANCHES)}\n`],
  [2, (r, ts) => `${ts()}Receiving objects: ${percent(r)}% (${r.below(9000)}/${r.below(9000)}), ${r.below(90)}.${r.below(100)} MiB | ${r.below(50)}.${r.below(100)} MiB/s\n`],
  [
    1,
    (r, ts) =>
      `${ts()}From https://github.com/${r.pick(ORGS)}/${r.pick(REPOS)}\n${ts()} + ${hex(r, 7)}...${hex(r, 7)} ${r.pick(BRANCHES)} -> origin/${r.pick(BRANCHES)}  (forced update)\n`,
  ],
  // JSON logs
  [
    10,
    (r, ts) =>
      `${ts()}{"level":"${r.pick(LEVELS)}","time":"2026-${String(r.between(1, 12)).padStart(2, '0')}-${String(r.between(1, 28)).padStart(2, '0')}T${String(r.below(24)).padStart(2, '0')}:${String(r.below(60)).padStart(2, '0')}:${String(r.below(60)).padStart(2, '0')}.${String(r.below(1000)).padStart(3, '0')}Z","msg":"${r.pick(MESSAGES)}","method":"${r.pick(METHODS)}","path":"/api/v${r.between(1, 3)}/${r.pick(FILES)}/${r.below(100000)}","status":${r.pick([200, 200, 201, 204, 301, 400, 404, 500])},"duration_ms":${r.below(2000)}.${r.below(10)},"request_id":"${uuid(r)}","trace_id":"${hex(r, 32)}","span_id":"${hex(r, 16)}","remote_addr":"${ip(r)}"}\n`,
  ],
  // base64 blobs
  [2, (r, ts) => `${ts()}##[debug]artifact chunk ${r.below(999)}: ${randomBytes(r, r.between(60, 1200)).toString('base64')}\n`],
  [1, (r, ts) => `${ts()}data: {"id":"${uuid(r)}","payload":"${randomBytes(r, r.between(30, 400)).toString('base64')}"}\n`],
  // URLs
  [
    4,
    (r, ts) =>
      `${ts()}${r.pick(METHODS)} https://${r.pick(HOSTS)}/${r.pick(DIRS)}/${r.pick(FILES)}?page=${r.below(50)}&per_page=100&sort=${r.pick(['created', 'updated', 'name'])}&cursor=${hex(r, 24)} ${r.pick([200, 200, 304, 404, 502])} ${r.below(900)}ms\n`,
  ],
  [2, (r, ts) => `${ts()}Downloading https://github.com/${r.pick(ORGS)}/${r.pick(REPOS)}/releases/download/v${version(r)}/${r.pick(REPOS)}-linux-x64.tar.gz ${ELLIPSIS}\n`],
  // build chatter
  [6, (r, ts) => `${ts()}  CC       ${path(r)}.o\n`],
  [3, (r, ts) => `${ts()}make[${r.between(1, 3)}]: ${r.pick(['Entering', 'Leaving'])} directory '/home/runner/work/${r.pick(REPOS)}/${r.pick(REPOS)}/${r.pick(DIRS)}'\n`],
  [
    3,
    (r, ts) =>
      `${ts()}${r.chance(0.9) ? `${GREEN}${CHECK}${RESET}` : `${RED}${CROSS}${RESET}`} ${path(r)}.test.ts ${BAR} ${r.below(40)} tests ${YELLOW}${r.below(3000)}ms${RESET}\n`,
  ],
  [
    2,
    (r, ts) =>
      `${ts()}##[group]Run ${r.pick(['actions/checkout@v4', 'actions/setup-node@v4', 'actions/cache@v4', 'docker/build-push-action@v6'])}\n${ts()}with:\n${ts()}  fetch-depth: ${r.below(2)}\n${ts()}##[endgroup]\n`,
  ],
  [2, (r, ts) => `${ts()}[INFO] Building jar: /home/runner/work/${r.pick(REPOS)}/target/${r.pick(REPOS)}-${version(r)}-SNAPSHOT.jar\n`],
  [1, (r, ts) => `${ts()}Cache restored from key: node-cache-Linux-x64-npm-${hex(r, 64)}\n`],
  // stack traces (no timestamps on continuation lines, as when a process dumps stderr)
  [
    1,
    (r, ts) => {
      let trace = `${ts()}Error: ${r.pick([`connect ECONNREFUSED ${ip(r)}:5432`, 'Request failed with status code 502', "Cannot read properties of undefined (reading 'id')", 'timeout of 30000ms exceeded'])}\n`;
      for (let i = r.between(3, 9); i > 0; i--) trace += `    at ${r.pick(FUNCS)} (/home/runner/work/${r.pick(REPOS)}/${path(r)}.js:${r.below(900)}:${r.below(80)})\n`;
      return `${trace}    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)\n`;
    },
  ],
  [
    1,
    (r, ts) => {
      let trace = `${ts()}Traceback (most recent call last):\n`;
      for (let i = r.between(2, 6); i > 0; i--)
        trace += `  File "/app/${path(r)}.py", line ${r.below(900)}, in ${r.pick(FUNCS)}\n    ${r.pick(['return self._send(request)', 'raise ConnectionError(err)', 'data = json.loads(body)', 'user = db.get(user_id)'])}\n`;
      return `${trace}${r.pick(['ValueError', 'KeyError', 'ConnectionError', 'TimeoutError'])}: ${r.pick(["'user_id'", 'invalid literal for int()', 'connection reset by peer'])}\n`;
    },
  ],
];

const NATURAL_TOTAL = NATURAL.reduce((sum, [weight]) => sum + weight, 0);

function pickNatural(random) {
  let roll = random.below(NATURAL_TOTAL);
  for (const [weight, make] of NATURAL) {
    if (roll < weight) return make;
    roll -= weight;
  }
  return NATURAL[0][1];
}

/** A base64 blob: MIME lines of 76 columns, or one long line (a data URI, a secret dump). */
function base64Record(random, ts) {
  if (random.chance(0.5)) {
    const body = randomBytes(random, random.between(57, 57 * 16)).toString('base64');
    return `${ts()}Content-Transfer-Encoding: base64\n${body.replace(/.{76}(?!$)/g, '$&\n')}\n`;
  }
  const body = randomBytes(random, random.between(256, 12 * KiB)).toString('base64');
  return random.chance(0.5) ? `${ts()}  "icon": "data:image/png;base64,${body}",\n` : `${ts()}  .dockerconfigjson: ${body}\n`;
}

const JS_NAMES = ['e', 't', 'n', 'r', 'o', 'i', 'a', 's', 'u', 'c', 'l', 'f', 'd', 'p', 'h', 'm'];

/** One statement of a minified bundle, without a newline (the caller adds one now and then). */
function minifiedStatement(random) {
  const name = () => `${random.pick(JS_NAMES)}${random.chance(0.5) ? random.pick(JS_NAMES) : ''}`;
  const call = () => `${name()}.${random.pick(FUNCS)}(${name()},${random.below(1000)})`;
  switch (random.below(6)) {
    case 0:
      return `function ${name()}(${name()},${name()}){return ${call()}&&${name()}[${random.below(64)}]||${call()}}`;
    case 1:
      return `var ${name()}=${name()}(${random.below(99999)}),${name()}=${random.chance(0.5) ? '!0' : '!1'},${name()}="${random.pick(MESSAGES)}";`;
    case 2:
      return `${name()}.exports={name:"${random.pick(PACKAGES)}",version:"${version(random)}",main:"${path(random)}.js"};`;
    case 3:
      return `if(${name()}.length>${random.below(256)}){for(var ${name()}=0;${name()}<${name()}.length;${name()}++)${call()};}`;
    case 4:
      return `${name()}["${randomString(random, WORDISH, random.between(8, 24))}"]=function(${name()}){return ${name()}.${random.pick(FUNCS)}("${hex(random, 40)}")};`;
    default:
      return `new Promise(function(${name()}){setTimeout(${name()},${random.below(5000)})}).then(${call()});`;
  }
}

// ---------------------------------------------------------------------------------------------
// Planted records. `make` draws the planted text; each context wraps it into complete lines as
// `[before, after]`, so the text's offset in the record is `before.length`.

function pemBlock(random, label, bodyBytes) {
  const body = randomBytes(random, bodyBytes)
    .toString('base64')
    .replace(/.{64}(?!$)/g, '$&\n');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----`;
}

function jwt(random) {
  const header = base64url(`{"alg":"${random.pick(['HS256', 'RS256', 'ES256'])}","typ":"JWT"}`);
  const issuedAt = 1700000000 + random.below(60000000);
  const payload = base64url(
    `{"sub":"${uuid(random)}","iss":"https://auth.${random.pick(ORGS)}.dev","aud":"${random.pick(REPOS)}","iat":${issuedAt},"exp":${issuedAt + 3600},"scope":"read write"}`,
  );
  return `${header}.${payload}.${randomBytes(random, 32).toString('base64url')}`;
}

const SECRET_MAKERS = {
  'aws-access-key-id': {
    make: (r) => `AKIA${randomString(r, BASE32_AWS, 16)}`,
    contexts: [
      (r, ts) => [`${ts()}+ export AWS_ACCESS_KEY_ID=`, ''],
      (r, ts) => [`${ts()}aws_access_key_id = `, ''],
      (r, ts) => [`${ts()}{"level":"debug","msg":"assumed credentials","AccessKeyId":"`, `","Expiration":"2026-12-01T00:00:00Z"}`],
    ],
  },
  'github-pat-classic': {
    make: (r) => `ghp_${checksummedBase62(r)}`,
    contexts: [
      (r, ts) => [`${ts()}+ git remote set-url origin https://x-access-token:`, `@github.com/${r.pick(ORGS)}/${r.pick(REPOS)}.git`],
      (r, ts) => [`${ts()}  GITHUB_TOKEN=`, ''],
      (r, ts) => [`${ts()}> Authorization: token `, ''],
    ],
  },
  'github-pat-fine-grained': {
    make: (r) => `github_pat_${randomString(r, BASE62, 22)}_${randomString(r, BASE62, 59)}`,
    contexts: [
      (r, ts) => [`${ts()}+ export GH_TOKEN=`, ''],
      (r, ts) => [`${ts()}curl -H "Authorization: Bearer `, `" https://api.github.com/repos/${r.pick(ORGS)}/${r.pick(REPOS)}/releases`],
    ],
  },
  'gitlab-pat': {
    make: (r) => `glpat-${randomString(r, WORDISH, 20)}`,
    contexts: [
      (r, ts) => [`${ts()}+ curl --header "PRIVATE-TOKEN: `, `" https://gitlab.com/api/v4/projects/${r.below(99999)}/pipelines`],
      (r, ts) => [`${ts()}GITLAB_TOKEN: `, ''],
    ],
  },
  'slack-bot-token': {
    make: (r) => `xoxb-${randomString(r, DIGITS, r.between(10, 13))}-${randomString(r, DIGITS, r.between(10, 13))}-${randomString(r, BASE62, 24)}`,
    contexts: [(r, ts) => [`${ts()}SLACK_BOT_TOKEN=`, ''], (r, ts) => [`${ts()}{"level":"debug","msg":"posting to slack","channel":"#ci","token":"`, '"}']],
  },
  'stripe-live-key': {
    make: (r) => `sk_live_${randomString(r, BASE62, r.chance(0.5) ? 24 : 99)}`,
    contexts: [(r, ts) => [`${ts()}STRIPE_SECRET_KEY=`, ''], (r, ts) => [`${ts()}    Stripe.api_key = '`, "'"]],
  },
  'google-api-key': {
    make: (r) => `AIza${randomString(r, WORDISH, 35)}`,
    contexts: [
      (r, ts) => [`${ts()}GET https://maps.googleapis.com/maps/api/geocode/json?address=${r.below(999)}+Main+St&key=`, ` ${r.below(900)}ms`],
      (r, ts) => [`${ts()}  "apiKey": "`, '",'],
    ],
  },
  'openai-project-key': {
    make: (r) => `sk-proj-${randomString(r, WORDISH, 74)}T3BlbkFJ${randomString(r, WORDISH, 74)}`,
    contexts: [(r, ts) => [`${ts()}OPENAI_API_KEY=`, ''], (r, ts) => [`${ts()}> Authorization: Bearer `, '']],
  },
  'anthropic-api-key': {
    make: (r) => `sk-ant-api03-${randomString(r, WORDISH, 93)}AA`,
    contexts: [(r, ts) => [`${ts()}> x-api-key: `, ''], (r, ts) => [`${ts()}ANTHROPIC_API_KEY=`, '']],
  },
  'npm-token': {
    make: (r) => `npm_${checksummedBase62(r)}`,
    contexts: [(r, ts) => [`${ts()}+ echo "//registry.npmjs.org/:_authToken=`, '" > ~/.npmrc'], (r, ts) => [`${ts()}NODE_AUTH_TOKEN=`, '']],
  },
  jwt: {
    make: jwt,
    contexts: [
      (r, ts) => [`${ts()}> Authorization: Bearer `, ''],
      (r, ts) => [`${ts()}{"level":"debug","msg":"session created","user":"${uuid(r)}","token":"`, '"}'],
      (r, ts) => [`${ts()}Set-Cookie: session=`, '; Path=/; HttpOnly; Secure'],
    ],
  },
  'pem-private-key': {
    make: (r) => {
      const [label, bytes] = r.pick([
        ['RSA PRIVATE KEY', 1190],
        ['PRIVATE KEY', 1218],
        ['EC PRIVATE KEY', 121],
        ['OPENSSH PRIVATE KEY', 399],
      ]);
      return pemBlock(r, label, bytes);
    },
    contexts: [(r, ts) => [`${ts()}+ cat /tmp/deploy_key\n`, `\n${ts()}+ chmod 600 /tmp/deploy_key`], (r, ts) => [`${ts()}DEBUG loaded signing key:\n`, '']],
  },
  'password-assignment': {
    make: (r) => randomString(r, PASSWORD_CHARS, r.between(12, 24)),
    contexts: [(r, ts) => [`${ts()}password = "`, '"'], (r, ts) => [`${ts()}    db_password = "`, '"'], (r, ts) => [`${ts()}  password: "`, '"']],
  },
  'postgres-url-password': {
    make: (r) => randomString(r, URL_PASSWORD_CHARS, r.between(12, 32)),
    contexts: [
      (r, ts) => [`${ts()}DATABASE_URL=postgres://${r.pick(USERS)}:`, `@db-${r.below(9)}.${r.pick(ORGS)}.internal:5432/${r.pick(DBS)}`],
      (r, ts) => [`${ts()}{"level":"info","msg":"connecting","dsn":"postgresql://${r.pick(USERS)}:`, `@${ip(r)}:5432/${r.pick(DBS)}?sslmode=require"}`],
    ],
  },
};

const BAIT_MAKERS = {
  'aws-example-key': { make: () => 'AKIAIOSFODNN7EXAMPLE', contexts: [(r, ts) => [`${ts()}aws_access_key_id = `, ''], (r, ts) => [`${ts()}# e.g. AWS_ACCESS_KEY_ID=`, '']] },
  'aws-example-secret': { make: () => 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', contexts: [(r, ts) => [`${ts()}aws_secret_access_key = `, '']] },
  'password-env-reference': {
    make: (r) => r.pick(['password = ${PASSWORD}', 'password = "${DB_PASSWORD}"', 'password: ${{ secrets.DB_PASSWORD }}', 'password = $PGPASSWORD']),
    contexts: [(r, ts) => [ts(), '']],
  },
  'password-masked': { make: (r) => r.pick(['password: "********"', 'password = "<redacted>"', 'password = "<your-password>"']), contexts: [(r, ts) => [ts(), '']] },
  'password-empty': { make: (r) => r.pick(['password = ""', 'password: ""', 'password = None']), contexts: [(r, ts) => [ts(), '']] },
  'postgres-url-env-password': {
    make: (r) => `postgres://${r.pick(USERS)}:\${POSTGRES_PASSWORD}@localhost:5432/${r.pick(DBS)}`,
    contexts: [(r, ts) => [`${ts()}DATABASE_URL=`, '']],
  },
  'postgres-url-no-password': { make: (r) => `postgres://localhost:5432/${r.pick(DBS)}`, contexts: [(r, ts) => [`${ts()}Waiting for `, ` ${ELLIPSIS} ok`]] },
  'actions-masked-token': { make: (r) => r.pick(['GITHUB_TOKEN: ***', 'NPM_TOKEN: ***', 'token: ***']), contexts: [(r, ts) => [`${ts()}  `, '']] },
  'npm-config-variable': {
    make: (r) => r.pick(['npm_config_user_agent=npm/10.8.2 node/v20.20.2 linux x64 workspaces/false', 'npm_config_cache=/home/runner/.npm', 'npm_package_version=2.4.1']),
    contexts: [(r, ts) => [ts(), '']],
  },
  'hex-token-digest': { make: (r) => `token_sha256=${hex(r, 64)}`, contexts: [(r, ts) => [`${ts()}audit: `, ` user=${r.pick(USERS)}`]] },
  'stripe-placeholder': { make: () => 'sk_live_xxxxxxxxxxxxxxxxxxxxxxxx', contexts: [(r, ts) => [`${ts()}# set STRIPE_SECRET_KEY (format: `, ')']] },
  'jwt-header-only': { make: () => `${base64url('{"alg":"HS256","typ":"JWT"}')}.<payload>.<signature>`, contexts: [(r, ts) => [`${ts()}expected a token like `, '']] },
  'pem-public-key': { make: (r) => pemBlock(r, 'PUBLIC KEY', 294), contexts: [(r, ts) => [`${ts()}+ cat id_rsa.pub.pem\n`, '']] },
  'pem-certificate': { make: (r) => pemBlock(r, 'CERTIFICATE', 900), contexts: [(r, ts) => [`${ts()}Server certificate:\n`, '']] },
};

// ---------------------------------------------------------------------------------------------
// Timestamps: GitHub Actions style `2026-03-01T12:34:56.1234567Z `, on most records.

function createClock(random) {
  let now = Date.UTC(2026, 0, 1) + random.below(300) * 86_400_000 + random.below(86_400_000);
  let cachedSecond = -1;
  let cachedText = '';
  return () => {
    now += random.below(25);
    const second = Math.floor(now / 1000);
    if (second !== cachedSecond) {
      cachedSecond = second;
      cachedText = new Date(second * 1000).toISOString().slice(0, 19);
    }
    const fraction = String((now % 1000) * 10000 + random.below(10000)).padStart(7, '0');
    return `${cachedText}.${fraction}Z `;
  };
}

function parseGap(value, name) {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/**
 * Generates the corpus as a sequence of Buffers whose concatenation is exactly `bytes` long.
 * Chunks are `chunkBytes` long except the last. `onPlant` is called once per planted secret or
 * bait, in offset order, before the chunk holding its end is yielded:
 * `{ type: 'secret' | 'bait', kind, offset, length, text }`.
 * Throws RangeError on a negative or non-integer size.
 */
export function* generateCorpus({ bytes, seed = 1, shape = 'ci-log', secretEvery = defaultSecretEvery(shape), baitEvery = 100 * KiB, chunkBytes = 1 << 20, onPlant = () => {} }) {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`bytes must be a non-negative integer, got ${bytes}`);
  if (!SHAPES.includes(shape)) throw new RangeError(`shape must be one of ${SHAPES.join(', ')}, got ${shape}`);
  parseGap(secretEvery, 'secretEvery');
  parseGap(baitEvery, 'baitEvery');
  parseGap(chunkBytes, 'chunkBytes');
  const random = createRandom(seed);
  const clock = createClock(random);
  const ts = () => (random.chance(0.9) ? clock() : '');
  const stamped = () => clock();
  // Gaps are drawn uniformly from [every/2, 3*every/2], so the mean is `every`.
  const gap = (every) => Math.floor(every / 2) + random.below(every + 1);
  let nextSecretAt = gap(secretEvery);
  let nextBaitAt = gap(baitEvery);
  let secretCount = 0;
  let baitCount = 0;
  const natural = naturalRecords(shape, random, ts);
  // minified-js: whether the last byte written ends a line (a planted record starts a new one).
  let isAtLineStart = true;

  let chunk = Buffer.allocUnsafe(Math.min(chunkBytes, Math.max(bytes, 1)));
  let chunkUsed = 0;
  let written = 0;

  function* emit(text) {
    let from = 0;
    while (from < text.length) {
      const take = Math.min(text.length - from, chunk.length - chunkUsed);
      chunk.write(from === 0 && take === text.length ? text : text.slice(from, from + take), chunkUsed, take, 'latin1');
      chunkUsed += take;
      from += take;
      if (chunkUsed === chunk.length) {
        yield chunk;
        chunk = Buffer.allocUnsafe(Math.min(chunkBytes, Math.max(bytes - written - from, 1)));
        chunkUsed = 0;
      }
    }
    written += text.length;
  }

  const plant = (type, kinds, makers, index) => {
    const kind = kinds[index % kinds.length];
    const maker = makers[kind];
    const text = maker.make(random);
    const [before, after] = random.pick(maker.contexts)(random, stamped);
    return { record: `${before}${text}${after}\n`, planted: { type, kind, offset: before.length, length: text.length, text } };
  };

  // Once a planted record no longer fits, planting stops: nothing is ever half planted.
  let isClosing = false;
  while (written < bytes) {
    let record;
    let planted;
    if (!isClosing && written >= nextSecretAt) {
      ({ record, planted } = plant('secret', SECRET_KINDS, SECRET_MAKERS, secretCount));
    } else if (!isClosing && written >= nextBaitAt) {
      ({ record, planted } = plant('bait', BAIT_KINDS, BAIT_MAKERS, baitCount));
    } else {
      record = natural();
    }
    if (shape === 'one-line') {
      // Same length, so the planted offsets hold; a PEM block becomes one run of space-separated lines.
      record = record.replaceAll('\n', ' ');
      if (planted) planted.text = planted.text.replaceAll('\n', ' ');
    } else if (planted && !isAtLineStart) {
      record = `\n${record}`;
      planted.offset++;
    }
    const room = bytes - written;
    if (record.length > room) {
      if (planted) {
        isClosing = true;
        continue;
      }
      // The last record is clean text cut to fit, so the size is exact; non-ASCII bytes become
      // '.' so that the cut never leaves a partial UTF-8 sequence.
      record = `${record.slice(0, room - 1).replace(/[\x80-\xff]/g, '.')}\n`;
    }
    if (planted) {
      planted.offset += written;
      onPlant(planted);
      if (planted.type === 'secret') {
        secretCount++;
        nextSecretAt = written + gap(secretEvery);
      } else {
        baitCount++;
        nextBaitAt = written + gap(baitEvery);
      }
    }
    isAtLineStart = record.endsWith('\n');
    yield* emit(record);
  }
  if (chunkUsed > 0) yield chunk.subarray(0, chunkUsed);
}

function defaultSecretEvery(shape) {
  return shape === 'dense' ? Math.round((100 * KiB) / DENSE_FACTOR) : 100 * KiB;
}

/** The clean records of a shape: a function drawing the next one. */
function naturalRecords(shape, random, ts) {
  if (shape === 'base64') return () => (random.chance(0.8) ? base64Record(random, ts) : pickNatural(random)(random, ts));
  // About 70 bytes a statement: a newline every ~100 KiB.
  if (shape === 'minified-js') return () => `${minifiedStatement(random)}${random.chance(1 / 1500) ? '\n' : ''}`;
  return () => pickNatural(random)(random, ts);
}

/**
 * Streams a corpus to `out` (one chunk in memory at a time) and writes the sidecar JSON next to
 * it (`sidecar`, default `${out}.secrets.json`). Returns the sidecar's summary fields plus counts.
 * Throws the fs error when a path cannot be written.
 */
export function writeCorpus({ out, sidecar = `${out}.secrets.json`, ...options }) {
  const shape = options.shape ?? 'ci-log';
  const secretEvery = options.secretEvery ?? defaultSecretEvery(shape);
  const baitEvery = options.baitEvery ?? 100 * KiB;
  const seed = options.seed ?? 1;
  const secrets = [];
  const baits = [];
  const onPlant = ({ type, ...record }) => (type === 'secret' ? secrets : baits).push(record);
  const fd = openSync(out, 'w');
  try {
    for (const chunk of generateCorpus({ ...options, seed, shape, secretEvery, baitEvery, onPlant })) {
      for (let done = 0; done < chunk.length; ) done += writeSync(fd, chunk, done);
    }
  } finally {
    closeSync(fd);
  }
  const summary = { generator: 'sseredact-bench-corpus', version: GENERATOR_VERSION, seed, bytes: options.bytes, shape, secretEvery, baitEvery };
  writeFileSync(sidecar, JSON.stringify({ ...summary, secrets, baits }));
  return { ...summary, out, sidecar, secretCount: secrets.length, baitCount: baits.length };
}

const UNITS = { '': 1, b: 1, k: KiB, kib: KiB, kb: 1000, m: KiB ** 2, mib: KiB ** 2, mb: 1000 ** 2, g: KiB ** 3, gib: KiB ** 3, gb: 1000 ** 3 };

/** Parses `256MiB`, `1GiB`, `100KB`, `64k` (bare k/m/g are binary), `4096`. Throws RangeError. */
export function parseSize(text) {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(String(text));
  const unit = match ? UNITS[match[2].toLowerCase()] : undefined;
  if (!match || unit === undefined) throw new RangeError(`bad size '${text}' (try 256MiB, 1GiB, 100KB or a byte count)`);
  return Math.round(Number(match[1]) * unit);
}

/** Parses `--name value` / `--name=value` flags into a Map; bare `--flag` maps to true. */
export function parseFlags(argv) {
  const flags = new Map();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new RangeError(`unexpected argument '${arg}'`);
    const eq = arg.indexOf('=');
    if (eq > 0) flags.set(arg.slice(2, eq), arg.slice(eq + 1));
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) flags.set(arg.slice(2), argv[++i]);
    else flags.set(arg.slice(2), true);
  }
  return flags;
}

function main(argv) {
  const usage = `usage: node bench/corpus.mjs --size 256MiB --out FILE [--seed 1] [--sidecar FILE] [--secret-every 100KiB] [--bait-every 100KiB] [--shape ${SHAPES.join('|')}]`;
  const flags = parseFlags(argv);
  if (flags.has('help')) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const out = flags.get('out');
  if (typeof out !== 'string' || !flags.has('size')) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  const options = { out, bytes: parseSize(flags.get('size')) };
  if (flags.has('seed')) options.seed = flags.get('seed');
  if (flags.has('sidecar')) options.sidecar = flags.get('sidecar');
  if (flags.has('secret-every')) options.secretEvery = parseSize(flags.get('secret-every'));
  if (flags.has('bait-every')) options.baitEvery = parseSize(flags.get('bait-every'));
  if (flags.has('shape')) options.shape = flags.get('shape');
  const started = performance.now();
  const result = writeCorpus(options);
  const seconds = (performance.now() - started) / 1000;
  process.stderr.write(
    `wrote ${result.bytes} bytes (${result.shape}) to ${result.out} (${result.secretCount} secrets, ${result.baitCount} baits; sidecar ${result.sidecar}) in ${seconds.toFixed(1)} s\n`,
  );
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`corpus: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  }
}
