// Runs a command and redacts its stdout and stderr on the fly, line by line as it prints them;
// exits with the command's status. Run: node examples/redact-child.js npm test
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { compileRules, createRedactor } from 'sseredact';

const [command, ...args] = process.argv.slice(2);
const compiled = compileRules(); // once, for both streams
const child = spawn(command, args, { stdio: ['inherit', 'pipe', 'pipe'] });
let findings = 0;

function redact(from, to) {
  const redactor = createRedactor({ compiled });
  redactor.on('finding', () => findings++);
  return pipeline(from, redactor, to, { end: false });
}

try {
  const [[code, signal]] = await Promise.all([once(child, 'close'), redact(child.stdout, process.stdout), redact(child.stderr, process.stderr)]);
  if (findings > 0) console.error(`redact-child: ${findings} secret(s) redacted`);
  process.exitCode = code ?? (signal ? 128 : 1);
} catch (error) {
  // Fail closed: stop the command, write nothing more, exit 3 as sseredact does.
  child.kill();
  console.error(`redact-child: ${error.message}`);
  process.exitCode = 3;
}
