'use strict';
// Whether the addon built here holds Vectorscan: where hs.h is missing, binding.gyp builds it with
// widenPipe alone (the ts engine's 1 MiB pipe reads need only a compiler). install.js and
// build-database.js ask.
const path = require('node:path');

const ADDON = path.join(__dirname, 'build', 'Release', 'sseredact_vectorscan.node');

function hasVectorscan() {
  try {
    const module = { exports: {} };
    process.dlopen(module, ADDON);
    return typeof module.exports.compile === 'function';
  } catch {
    return false;
  }
}

module.exports = { hasVectorscan };
