#!/usr/bin/env node
/**
 * Leak rates of random passwords by the context they are written in: each context (an .env line,
 * YAML, JSON, a CLI option, a connection string, a .netrc entry, SQL...) is filled with --count
 * random values of each shape (letters and digits of 8 to 20 characters, passwords with symbols of
 * 12 and 16), redacted as one stream by the built-in packs, and a value counts as leaked when any 6
 * of its bytes in a row (all of it, if shorter) are still in its output line. Needs `npm run
 * build` (imports dist/).
 *
 *   node bench/password-contexts.mjs [--count 300] [--seed 1] [--engine ts|vectorscan] [--examples]
 *
 * Prints a table, a row per context and a column per shape (the share leaked), then the share of
 * all values leaked; `--examples` prints a leaked line under each row. bench/run.mjs plants secrets
 * in whole corpora; this finds the contexts and shapes no rule reads (every value of a row leaks)
 * and the values that predicates drop (a few percent: entropy, code, placeholder checks).
 * Alphabets follow the context: a URL's password uses what RFC 3986 allows unescaped in userinfo,
 * a bare command-line value no shell metacharacter.
 */
import { parseFlags } from './corpus.mjs';
import { random } from './random.mjs';

const flags = parseFlags(process.argv.slice(2));
const count = Number(flags.get('count') ?? 300);
const seed = Number(flags.get('seed') ?? 1);
const engine = String(flags.get('engine') ?? 'ts');
const showsExamples = flags.has('examples');

const { compileRules } = await import(new URL('../dist/index.js', import.meta.url).href);
const { createStreamOpener } = await import(new URL('../dist/pipeline/open-stream.js', import.meta.url).href);

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Symbols of password generators. */
const ANY = `${BASE62}!#%&*+-./:<=>?@^_|~`;
/** RFC 3986 userinfo without percent-escapes: unreserved and sub-delims but `:`. */
const URL_SAFE = `${BASE62}-._~!$&'()*+,;=`.replace(/[$'()]/g, '');
/** No shell metacharacter or quote: a bare word of a command line. */
const SHELL_SAFE = `${BASE62}!#%*+-./:=?@^_~`;

/** A context: how a value is written, and the alphabet of its symbol shapes. */
const CONTEXTS = {
  '.env': { line: (v) => `DB_PASSWORD=${v}`, symbols: SHELL_SAFE },
  '.env _PASS': { line: (v) => `SMTP_PASS=${v}`, symbols: SHELL_SAFE },
  '.env quoted': { line: (v) => `DB_PASSWORD='${v}'`, symbols: ANY },
  '.env PASSPHRASE': { line: (v) => `GPG_PASSPHRASE=${v}`, symbols: SHELL_SAFE },
  export: { line: (v) => `export MYSQL_ROOT_PASSWORD=${v}`, symbols: SHELL_SAFE },
  YAML: { line: (v) => `    password: ${v}`, symbols: ANY },
  'YAML passphrase': { line: (v) => `    passphrase: "${v}"`, symbols: ANY },
  'YAML quoted': { line: (v) => `    password: "${v}"`, symbols: ANY },
  JSON: { line: (v) => `{"user":"app","password":"${v}"}`, symbols: ANY },
  'JSON "pass"': { line: (v) => `{"user":"app","pass":"${v}"}`, symbols: ANY },
  'JSON in a log': { line: (v) => `{"log":"{\\"password\\":\\"${v}\\"}"}`, symbols: ANY },
  XML: { line: (v) => `<password>${v}</password>`, symbols: ANY },
  properties: { line: (v) => `spring.datasource.password=${v}`, symbols: ANY },
  code: { line: (v) => `conn = connect(host="db", user="app", password="${v}")`, symbols: ANY },
  'log key=value': { line: (v) => `level=info msg="login" user=bob password=${v} ip=10.0.0.1`, symbols: SHELL_SAFE },
  'ADO.NET': { line: (v) => `Server=db;Database=app;User Id=sa;Password=${v};`, symbols: SHELL_SAFE },
  '--password=': { line: (v) => `mysql -u root --password=${v} -h db`, symbols: SHELL_SAFE },
  '--password': { line: (v) => `docker login -u bob --password ${v} registry.example.com`, symbols: SHELL_SAFE },
  'mysql -p': { line: (v) => `mysql -h db -u root -p${v} app`, symbols: SHELL_SAFE },
  'docker login -p': { line: (v) => `docker login -u bob -p ${v} registry.example.com`, symbols: SHELL_SAFE },
  'mongo -p': { line: (v) => `mongosh --host db -u admin -p '${v}' --authenticationDatabase admin`, symbols: SHELL_SAFE },
  'redis-cli -a': { line: (v) => `redis-cli -h cache -p 6379 -a ${v} ping`, symbols: SHELL_SAFE },
  'sqlcmd -P': { line: (v) => `sqlcmd -S db -U sa -P "${v}" -Q "SELECT 1"`, symbols: SHELL_SAFE },
  sqlplus: { line: (v) => `sqlplus -s scott/${v}@orcl @migrate.sql`, symbols: SHELL_SAFE.replace(/[/@]/g, '') },
  'smbclient -U': { line: (v) => `smbclient //fs01/share -U svc_backup%${v} -c 'put dump.tar'`, symbols: SHELL_SAFE },
  'ldapsearch -w': { line: (v) => `ldapsearch -x -H ldap://dc1 -D cn=admin,dc=example,dc=org -w ${v} -b dc=example,dc=org`, symbols: SHELL_SAFE },
  'mosquitto -P': { line: (v) => `mosquitto_pub -h broker -u bob -P ${v} -t sensors -m 1`, symbols: SHELL_SAFE },
  'zip -P': { line: (v) => `zip -P ${v} backup.zip data.sql`, symbols: SHELL_SAFE },
  'keytool -storepass': { line: (v) => `keytool -importkeystore -srckeystore a.p12 -srcstorepass ${v} -destkeystore b.jks`, symbols: SHELL_SAFE },
  'openssl -passout': { line: (v) => `openssl pkcs12 -export -in cert.pem -passout pass:${v} -out bundle.p12`, symbols: SHELL_SAFE },
  'npm config set': { line: (v) => `npm config set //registry.example.com/:_authToken ${v}`, symbols: SHELL_SAFE },
  'sshpass -p': { line: (v) => `sshpass -p '${v}' ssh deploy@10.0.0.5`, symbols: SHELL_SAFE },
  'curl -u': { line: (v) => `curl -u bob:${v} https://api.example.com`, symbols: SHELL_SAFE },
  'Basic auth': { line: (v) => `Authorization: Basic ${Buffer.from(`bob:${v}`).toString('base64')}`, symbols: ANY, secretOf: (line) => line.slice(21) },
  'postgres URL': { line: (v) => `DATABASE_URL=postgres://app:${v}@db.internal:5432/main`, symbols: URL_SAFE },
  'https URL': { line: (v) => `git clone https://bob:${v}@git.example.com/repo.git`, symbols: URL_SAFE },
  '.netrc': { line: (v) => `machine api.example.com login bob password ${v}`, symbols: SHELL_SAFE },
  SQL: { line: (v) => `CREATE USER app WITH PASSWORD '${v}';`, symbols: SHELL_SAFE },
  PowerShell: { line: (v) => `$pw = ConvertTo-SecureString "${v}" -AsPlainText -Force`, symbols: SHELL_SAFE },
  'helm --set': { line: (v) => `helm install app ./chart --set auth.password=${v}`, symbols: SHELL_SAFE },
};

/** Value shapes: [alphabet or 'symbols' (the context's), length]. */
const SHAPES = {
  'alnum 8': [BASE62, 8],
  'alnum 12': [BASE62, 12],
  'alnum 20': [BASE62, 20],
  'symbols 12': ['symbols', 12],
  'symbols 16': ['symbols', 16],
};

const next = random(seed);
const valueOf = (alphabet, length) => Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
/** Whether any 6 bytes in a row of `value` (all of it if shorter) are in `line`. */
const isLeaked = (value, line) => {
  const window = Math.min(6, value.length);
  for (let at = 0; at + window <= value.length; at++) if (line.includes(value.slice(at, at + window))) return true;
  return false;
};

const open = createStreamOpener(compileRules({ engine }).ruleSet, {});
const names = Object.keys(SHAPES);
const width = Math.max(...Object.keys(CONTEXTS).map((name) => name.length));
console.log(`random passwords in ${Object.keys(CONTEXTS).length} contexts, ${count} of each shape, seed ${seed}, engine ${engine}: share leaked`);
console.log(['context'.padEnd(width), ...names.map((name) => name.padStart(11))].join('  '));
let leaked = 0;
let planted = 0;
for (const [name, context] of Object.entries(CONTEXTS)) {
  const cells = [];
  /** The first line leaked of each shape that leaked. */
  const examples = [];
  for (const shape of names) {
    const [alphabet, length] = SHAPES[shape];
    const values = Array.from({ length: count }, () => valueOf(alphabet === 'symbols' ? context.symbols : alphabet, length));
    const lines = values.map(context.line);
    const redactor = open({ lendsOutput: false, locate: false, onFinding: () => {} });
    const input = Buffer.from(`${lines.join('\n')}\n`, 'latin1');
    const output = Buffer.concat([redactor.write(input, true), redactor.end()])
      .toString('latin1')
      .split('\n');
    const leakedLines = lines.filter((line, i) => isLeaked(context.secretOf?.(line) ?? values[i], output[i]));
    if (leakedLines.length > 0) examples.push(`${shape}: ${leakedLines[0]}`);
    leaked += leakedLines.length;
    planted += count;
    cells.push(`${((100 * leakedLines.length) / count).toFixed(1)}%`.padStart(11));
  }
  console.log([name.padEnd(width), ...cells].join('  '));
  if (showsExamples) for (const example of examples) console.log(`${' '.repeat(width)}  e.g. ${example}`);
}
console.log(`leaked ${leaked} of ${planted} (${((100 * leaked) / planted).toFixed(2)}%)`);
