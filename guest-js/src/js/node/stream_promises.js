// node:stream/promises — pipeline and finished, returning promises.
(function (I) {
  "use strict";
  const { pipeline, finished } = I.builtin("node:stream").promises;
  return { pipeline, finished, default: { pipeline, finished } };
})
