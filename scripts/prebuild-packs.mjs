// `npm run build`, after tsc: each built-in pack's prebuilt file (src/rules/packs/prebuilt.ts), made
// from its JSON files by the loader tsc just wrote, so a start reads one file instead of ~300.
import { prebuildPacks } from '../dist/rules/packs/index.js';

for (const file of prebuildPacks()) console.error(`prebuilt ${file}`);
