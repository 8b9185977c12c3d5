  // ---------------------------------------------------------------- streams
  // The WHATWG streams live in a built-in compiled on first use (streams_full.js): bodies are
  // held as bytes until a script reads `.body`, and a script that never touches a stream never
  // compiles them. Every stream class is a global that loads them when first read.
  const streams = () => builtin("web:streams");
  const streamFromBytes = (bytes, onRead) => streams()._body.fromBytes(bytes, onRead);
  // Whether `v` is one of our ReadableStreams (false, without loading them, if none exists yet).
  const isReadableStream = (v) => v !== null && typeof v === "object" && builtinExports.has("web:streams") && streams()._body.isReadable(v);
