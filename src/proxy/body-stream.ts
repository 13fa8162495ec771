/**
 * A stream redactor as a stream stage: a Node Transform (the proxy's pipes, and the library's
 * `createRedactor`), a WHATWG TransformStream (`Response` bodies, `toWeb()`). Each chunk's safe bytes are pushed by the call that
 * receives it (an SSE event leaves the moment it is complete); the stage counts the bytes in and
 * out for the request's log line.
 *
 * Fail closed: a redactor that throws errors the stage; the chunk and whatever was held back are
 * dropped, never passed on.
 */
import { Transform } from 'node:stream';
import type { ByteRedactor } from '../pipeline/open-stream.js';

/** Bytes a body stage took in and gave out. */
export interface ByteCount {
  in: number;
  out: number;
}

/** A Transform that redacts with `redactor`, or passes bytes through unchanged when it is null. */
export function createBodyTransform(redactor: ByteRedactor | null, count: ByteCount): Transform {
  const pushCounted = (stage: Transform, bytes: Uint8Array): void => {
    count.out += bytes.length;
    if (bytes.length > 0) stage.push(bytes);
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      count.in += chunk.length;
      let output: Uint8Array;
      try {
        output = redactor ? redactor.write(chunk) : chunk;
      } catch (error) {
        callback(error as Error);
        return;
      }
      pushCounted(this, output);
      callback();
    },
    flush(callback) {
      let output: Uint8Array;
      try {
        output = redactor ? redactor.end() : new Uint8Array(0);
      } catch (error) {
        callback(error as Error);
        return;
      }
      pushCounted(this, output);
      callback();
    },
  });
}

/** A TransformStream that redacts with `redactor`; a throw errors both of its sides. */
export function createBodyStream(redactor: ByteRedactor): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      const output = redactor.write(chunk);
      if (output.length > 0) controller.enqueue(output);
    },
    flush(controller) {
      const output = redactor.end();
      if (output.length > 0) controller.enqueue(output);
    },
  });
}
