/**
 * Keyed fingerprints of secrets, for `--json`/`--records` records and the library's findings:
 * `hmac-sha256:` and the hex HMAC-SHA256 of the secret's bytes under a per-user key. Equal secrets
 * get equal fingerprints for one user, across runs, while a reader of the records who lacks the
 * key cannot test guesses against them (an unkeyed SHA-256 of an SSN, a phone number or a card
 * number with a known BIN and last four is recovered by enumeration in seconds).
 *
 * The key, first found of:
 * 1. `SSEREDACT_HASH_KEY` (its UTF-8 bytes): the same value gives the same fingerprints for every
 *    user and machine (a CI secret, to correlate findings across jobs);
 * 2. `$XDG_CONFIG_HOME/sseredact/fingerprint.key` (else `~/.config/sseredact/`): 32 random bytes
 *    in hex, created on first use, mode 0600 in a 0700 directory, and used only when no other
 *    user could have written it (the cache's checks, src/cache.ts);
 * 3. when that file can be neither read nor created (a read-only home): a random key for this
 *    process, so fingerprints hold within the run only; a warning says so, once.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { linkSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { makeDirectory, readPrivateFile, untrustedDirectory } from './cache.js';

const KEY_BYTES = 32;

/** `$XDG_CONFIG_HOME/sseredact`, else `~/.config/sseredact`. */
export function configDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME !== undefined && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'sseredact');
}

let processKey: Buffer | undefined;

/** This user's key, read (or made) once per process. */
function userKey(): Buffer {
  processKey ??= fingerprintKey(process.env, (message) => process.emitWarning(message, { code: 'SSEREDACT_FINGERPRINT_KEY' }));
  return processKey;
}

/** The fingerprint of `secret` under `key` when given (the library's `hashKey`), else this user's key (see the module doc). */
export function fingerprint(secret: Uint8Array, key?: string): string {
  const hmacKey = key !== undefined && key !== '' ? Buffer.from(key, 'utf8') : userKey();
  return `hmac-sha256:${createHmac('sha256', hmacKey).update(secret).digest('hex')}`;
}

/**
 * The fingerprint of a finding's place, unkeyed so that everyone gets the same one (baselines,
 * ignore files and SARIF alerts are shared): hex SHA-256 of the rule id, the path from the top of
 * the repository (`/`-separated) and the secret. No line number: it survives lines moving. The
 * path and rule salt it, but like any unkeyed hash it lets a reader test a guess at a secret of
 * low entropy; the keyed {@link fingerprint} is the one for records that travel.
 */
export function placeFingerprint(ruleId: string, path: string, secret: Uint8Array): string {
  return createHash('sha256').update(`${ruleId}\0${path}\0`).update(secret).digest('hex');
}

/** The key for `env` (the module doc's order); `onWarning` hears why a per-process key is used. */
export function fingerprintKey(env: NodeJS.ProcessEnv, onWarning: (message: string) => void): Buffer {
  const fromEnv = env.SSEREDACT_HASH_KEY;
  if (fromEnv !== undefined && fromEnv !== '') return Buffer.from(fromEnv, 'utf8');
  const directory = configDirectory(env);
  const stored = readOrCreateKey(directory);
  if (Buffer.isBuffer(stored)) return stored;
  onWarning(`fingerprints hold within this run only: ${stored} (set SSEREDACT_HASH_KEY for stable ones)`);
  return randomBytes(KEY_BYTES);
}

/** The key kept in `directory`, created if missing; or why there is none. */
function readOrCreateKey(directory: string): Buffer | string {
  const path = join(directory, 'fingerprint.key');
  const existing = readKey(path);
  if (existing !== ABSENT) return existing;
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    makeDirectory(directory);
    const untrusted = untrustedDirectory(directory);
    if (untrusted !== null) return untrusted;
    writeFileSync(temporary, `${randomBytes(KEY_BYTES).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    // A link, unlike a rename, fails when the name exists: of two first runs at once, one key wins.
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return `cannot create ${path}: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    try {
      rmSync(temporary, { force: true });
    } catch {
      // Never written: nothing to remove.
    }
  }
  const created = readKey(path);
  return created === ABSENT ? `${path} vanished` : created;
}

const ABSENT = Symbol('no key file');

/** The key in the file at `path`, why it is not usable, or ABSENT when there is no such file. */
function readKey(path: string): Buffer | string | typeof ABSENT {
  const file = readPrivateFile(path, 4 * KEY_BYTES);
  if ('miss' in file) return file.absent ? ABSENT : file.miss;
  const hex = file.bytes.toString('latin1').trim();
  return /^[0-9a-f]{64}$/.test(hex) ? Buffer.from(hex, 'hex') : `${path} does not hold ${KEY_BYTES} bytes in hex; not used`;
}
