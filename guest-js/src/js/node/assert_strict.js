// node:assert/strict — node:assert's strict mode: `equal` is `strictEqual`, `deepEqual` is
// `deepStrictEqual`, and so on.
(function (I) {
  "use strict";
  const strict = I.builtin("node:assert").default.strict;
  const exports = Object.assign(Object.create(null), strict);
  exports.default = strict;
  return exports;
})
