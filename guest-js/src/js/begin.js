// The Workers Web API prelude. Evaluated once, at snapshot time; its value is a setup function
// that receives the native helpers and returns the engine's internal object (dispatch, timers,
// module data). Nothing here is reachable by scripts except the globals it defines.
(function setup(native) {
  "use strict";
  const G = globalThis;
  const define = (name, value) =>
    Object.defineProperty(G, name, { value, writable: true, configurable: true, enumerable: false });

