// Loads the sparse-table addon built by native/build.cjs at install (CommonJS, so both the
// ESM sources and tslab's CommonJS view of them can import it from a path relative to them).
module.exports = require("../../../build/autodim_sparse.node");
