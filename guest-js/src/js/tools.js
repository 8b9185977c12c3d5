  // ---------------------------------------------------------------- tools (env.TOOLS)
  // Over the `tools` natives (generated from the WIT `tools` interface).
  // Code Mode tools: one async method per registered tool; input and result are JSON.
  function makeTools(name, tools) {
    const obj = Object.create(null);
    for (const tool of tools) {
      obj[tool] = async function (input) {
        const json = input === undefined ? "{}" : JSON.stringify(input);
        if (json === undefined) throw new TypeError(`${name}.${tool}(): the input must be JSON-serialisable`);
        return JSON.parse(await hostCall(native.tools.call(name, tool, json)));
      };
    }
    return Object.freeze(obj);
  }
  bindingKinds.set("tools", makeTools);
