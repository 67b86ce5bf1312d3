// Stands in for optional packages a dependency only tries to require (see scripts/build.mjs).
module.exports = {};
