'use strict';
// Loads the compiled addon. Throws (MODULE_NOT_FOUND, or the dynamic loader's error when
// libhs.so is missing) when it was not built; sseredact catches that and uses its TypeScript engine.
module.exports = require('./build/Release/sseredact_vectorscan.node');
