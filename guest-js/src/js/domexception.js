  // ---------------------------------------------------------------- DOMException
  // (Event, EventTarget and AbortController/AbortSignal are a built-in compiled on first use:
  // events_full.js)
  const DOM_CODES = { IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4, InvalidCharacterError: 5, NoModificationAllowedError: 7, NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11, SyntaxError: 12, InvalidModificationError: 13, NamespaceError: 14, InvalidAccessError: 15, TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20, URLMismatchError: 21, QuotaExceededError: 22, TimeoutError: 23, InvalidNodeTypeError: 24, DataCloneError: 25 };
  class DOMException extends Error {
    constructor(message = "", name = "Error") { super(message); Object.defineProperty(this, "name", { value: name, configurable: true, writable: true }); }
    get code() { return DOM_CODES[this.name] || 0; }
  }
  define("DOMException", DOMException);
