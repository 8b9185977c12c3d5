// node:stream/web — the Web streams classes (the same ones as the globals).
(function (I) {
  "use strict";
  const w = I.builtin("web:streams");
  const exports = {};
  for (const k of Object.keys(w)) if (k !== "_body") exports[k] = w[k];
  return exports;
})
