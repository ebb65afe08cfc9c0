// Loads the element-wise/Sum addon built by native/build.cjs at install (CommonJS, as index.cjs).
module.exports = require("../../../build/autodim_ew.node");
