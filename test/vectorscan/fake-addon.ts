/** Fake runtime copies for the tests of the runtime choice: the real addon with its streams wrapped. */
import type { Addon, NativeStream } from '../../src/engine/vectorscan/addon.js';

/** `addon` whose every opened stream is `wrap(the real stream)`: a copy that loses or invents matches. */
export function withStreams(addon: Addon, wrap: (stream: NativeStream) => NativeStream): Addon {
  return {
    ...addon,
    compile: (...args) => {
      const database = addon.compile(...args);
      return {
        size: () => database.size(),
        streamSize: () => database.streamSize(),
        info: () => database.info(),
        serialize: () => database.serialize(),
        open: () => wrap(database.open()),
      };
    },
  };
}
