// URLPattern (URL Pattern Standard, https://urlpattern.spec.whatwg.org/), written from the spec:
// the tokenizer, the pattern-string parser (parts), regular-expression and pattern-string
// generation, the constructor-string parser, URLPatternInit processing, and match. The
// canonicalization steps go through the global URL (a dummy `https://dummy.invalid/` and its
// setters, as the spec does); the port and opaque-path steps are done here directly, as they are
// short and a setter would not report their failures.
(function (I) {
  "use strict";
  // The spec compiles with the `v` flag. An engine that only accepts the flag is not enough:
  // QuickJS-ng 0.15 takes `v` but parses under it as without `u` (no `\p{...}`, no set
  // operations, code units), so `v` is used only when it works, `u` otherwise.
  const FLAGS = (() => { try { return new RegExp("^[\\p{L}--[a-z]]$", "v").test("Z") ? "v" : "u"; } catch { return "u"; } })();
  const fail = (what) => { throw new TypeError(`Failed to construct 'URLPattern': ${what}`); };
  const SPECIAL = { ftp: "21", file: "", http: "80", https: "443", ws: "80", wss: "443" };
  const isSpecial = (s) => Object.prototype.hasOwnProperty.call(SPECIAL, s);
  const ID_START = /^[$_\p{ID_Start}]$/u, ID_PART = /^[$\u200C\u200D\p{ID_Continue}]$/u;
  const isNameCodePoint = (c, first) => c !== undefined && (first ? ID_START : ID_PART).test(c);
  const isDigit = (c) => c !== undefined && c >= "0" && c <= "9";
  const firstCodePoint = (s) => { const c = s.codePointAt(0); return c === undefined ? undefined : String.fromCodePoint(c); };

  // ---------------------------------------------------------------- tokenizing
  function tokenize(input, lenient) {
    const cps = Array.from(input), n = cps.length, tokens = [];
    let index = 0;
    const add = (type, next, valuePos, valueLen = next - valuePos) => {
      tokens.push({ type, index, value: cps.slice(valuePos, valuePos + valueLen).join("") });
      index = next;
    };
    const error = (next, valuePos) => {
      if (!lenient) fail(`invalid pattern ${JSON.stringify(input)} at index ${valuePos}`);
      add("invalid-char", next, valuePos);
    };
    while (index < n) {
      const c = cps[index];
      if (c === "*") { add("asterisk", index + 1, index); continue; }
      if (c === "+" || c === "?") { add("other-modifier", index + 1, index); continue; }
      if (c === "\\") {
        if (index === n - 1) error(index + 1, index);
        else add("escaped-char", index + 2, index + 1);
        continue;
      }
      if (c === "{") { add("open", index + 1, index); continue; }
      if (c === "}") { add("close", index + 1, index); continue; }
      if (c === ":") {
        const start = index + 1;
        let pos = start;
        while (pos < n && isNameCodePoint(cps[pos], pos === start)) pos++;
        if (pos <= start) error(start, index);
        else add("name", pos, start);
        continue;
      }
      if (c === "(") {
        const start = index + 1;
        let depth = 1, pos = start, err = false;
        while (pos < n) {
          const ch = cps[pos];
          const next = pos + 1;
          if (ch > "\x7f" || (pos === start && ch === "?")) { err = true; break; }
          if (ch === "\\") {
            if (pos === n - 1 || cps[next] > "\x7f") { err = true; break; }
            pos = next + 1;
            continue;
          }
          if (ch === ")") {
            if (--depth === 0) { pos = next; break; }
          } else if (ch === "(") {
            depth++;
            // A group inside the regexp must be a non-capturing one, `(?...`.
            if (pos === n - 1 || cps[next] !== "?") { err = true; break; }
          }
          pos = next;
        }
        if (err || depth !== 0 || pos - start - 1 === 0) { error(start, index); continue; }
        add("regexp", pos, start, pos - start - 1);
        continue;
      }
      add("char", index + 1, index);
    }
    add("end", index, index);
    return tokens;
  }

  // ---------------------------------------------------------------- parsing a pattern string
  const FIXED = "fixed-text", REGEXP = "regexp", SEGMENT = "segment-wildcard", FULL = "full-wildcard";
  const MODIFIERS = { "?": "optional", "*": "zero-or-more", "+": "one-or-more" };
  const modifierString = (m) => (m === "zero-or-more" ? "*" : m === "optional" ? "?" : m === "one-or-more" ? "+" : "");
  const escapeRegexp = (s) => s.replace(/[.+*?^${}()[\]|/\\]/g, "\\$&");
  const escapePattern = (s) => s.replace(/[+*?:{}()\\]/g, "\\$&");
  const segmentWildcard = (options) => `[^${escapeRegexp(options.delimiter)}]+?`;
  const DEFAULT_OPTIONS = { delimiter: "", prefix: "", ignoreCase: false };
  const HOSTNAME_OPTIONS = { delimiter: ".", prefix: "", ignoreCase: false };
  const PATHNAME_OPTIONS = { delimiter: "/", prefix: "/", ignoreCase: false };

  function parsePatternString(input, options, encode) {
    const tokens = tokenize(input, false), segWild = segmentWildcard(options), parts = [];
    let pending = "", i = 0, nextNumericName = 0;
    const tryConsume = (type) => (tokens[i].type === type ? tokens[i++] : null);
    const tryModifier = () => tryConsume("other-modifier") || tryConsume("asterisk");
    const tryRegexpOrWildcard = (nameToken) => tryConsume("regexp") || (nameToken === null ? tryConsume("asterisk") : null);
    const consumeRequired = (type) => tryConsume(type) || fail(`invalid pattern ${JSON.stringify(input)}: expected ${type} at index ${tokens[i].index}`);
    const consumeText = () => {
      let r = "";
      for (let t; (t = tryConsume("char") || tryConsume("escaped-char")) !== null;) r += t.value;
      return r;
    };
    const part = (type, value, modifier, name = "", prefix = "", suffix = "") => ({ type, value, modifier, name, prefix, suffix });
    const flushPending = () => {
      if (pending === "") return;
      const value = encode(pending);
      pending = "";
      parts.push(part(FIXED, value, "none"));
    };
    const addPart = (prefix, nameToken, regexpToken, suffix, modifierToken) => {
      const modifier = modifierToken === null ? "none" : MODIFIERS[modifierToken.value];
      if (nameToken === null && regexpToken === null && modifier === "none") { pending += prefix; return; }
      flushPending();
      if (nameToken === null && regexpToken === null) {
        if (prefix !== "") parts.push(part(FIXED, encode(prefix), modifier));
        return;
      }
      let value = regexpToken === null ? segWild : regexpToken.type === "asterisk" ? ".*" : regexpToken.value;
      let type = REGEXP;
      if (value === segWild) { type = SEGMENT; value = ""; }
      else if (value === ".*") { type = FULL; value = ""; }
      const name = nameToken !== null ? nameToken.value : String(nextNumericName++);
      if (parts.some((p) => p.name === name)) fail(`invalid pattern ${JSON.stringify(input)}: duplicate group name ${JSON.stringify(name)}`);
      parts.push(part(type, value, modifier, name, encode(prefix), encode(suffix)));
    };
    while (i < tokens.length) {
      const charToken = tryConsume("char");
      let nameToken = tryConsume("name");
      let regexpToken = tryRegexpOrWildcard(nameToken);
      if (nameToken !== null || regexpToken !== null) {
        let prefix = charToken === null ? "" : charToken.value;
        if (prefix !== "" && prefix !== options.prefix) { pending += prefix; prefix = ""; }
        flushPending();
        addPart(prefix, nameToken, regexpToken, "", tryModifier());
        continue;
      }
      const fixedToken = charToken || tryConsume("escaped-char");
      if (fixedToken !== null) { pending += fixedToken.value; continue; }
      if (tryConsume("open") !== null) {
        const prefix = consumeText();
        nameToken = tryConsume("name");
        regexpToken = tryRegexpOrWildcard(nameToken);
        const suffix = consumeText();
        consumeRequired("close");
        addPart(prefix, nameToken, regexpToken, suffix, tryModifier());
        continue;
      }
      flushPending();
      consumeRequired("end");
    }
    return parts;
  }

  // ---------------------------------------------------------------- part list -> regexp, pattern string
  function generateRegexp(parts, options) {
    let result = "^";
    const names = [];
    for (const part of parts) {
      if (part.type === FIXED) {
        result += part.modifier === "none" ? escapeRegexp(part.value) : `(?:${escapeRegexp(part.value)})${modifierString(part.modifier)}`;
        continue;
      }
      names.push(part.name);
      // With no delimiter the segment wildcard `[^]+?` is written `[\s\S]+?`, the same set: V8 11
      // (Node 20) fails to match a quantified `[^]` under the `v` flag.
      const value = part.type === SEGMENT ? (options.delimiter === "" ? "[\\s\\S]+?" : segmentWildcard(options)) : part.type === FULL ? ".*" : part.value;
      const mod = modifierString(part.modifier), repeat = part.modifier === "zero-or-more" || part.modifier === "one-or-more";
      const prefix = escapeRegexp(part.prefix), suffix = escapeRegexp(part.suffix);
      if (part.prefix === "" && part.suffix === "") result += repeat ? `((?:${value})${mod})` : `(${value})${mod}`;
      else if (!repeat) result += `(?:${prefix}(${value})${suffix})${mod}`;
      else result += `(?:${prefix}((?:${value})(?:${suffix}${prefix}(?:${value}))*)${suffix})${part.modifier === "zero-or-more" ? "?" : ""}`;
    }
    return [result + "$", names];
  }

  function generatePatternString(parts, options) {
    let result = "";
    parts.forEach((part, i) => {
      const prev = i > 0 ? parts[i - 1] : null, next = i < parts.length - 1 ? parts[i + 1] : null;
      if (part.type === FIXED) {
        result += part.modifier === "none" ? escapePattern(part.value) : `{${escapePattern(part.value)}}${modifierString(part.modifier)}`;
        return;
      }
      const customName = !isDigit(part.name[0]);
      let grouping = part.suffix !== "" || (part.prefix !== "" && part.prefix !== options.prefix);
      if (!grouping && customName && part.type === SEGMENT && part.modifier === "none" && next !== null && next.prefix === "" && next.suffix === "") {
        grouping = next.type === FIXED ? isNameCodePoint(firstCodePoint(next.value), false) : isDigit(next.name[0]);
      }
      if (!grouping && part.prefix === "" && prev !== null && prev.type === FIXED && options.prefix !== "" && prev.value.endsWith(options.prefix)) grouping = true;
      if (grouping) result += "{";
      result += escapePattern(part.prefix);
      if (customName) result += ":" + part.name;
      if (part.type === REGEXP) result += `(${part.value})`;
      else if (part.type === SEGMENT && !customName) result += `(${segmentWildcard(options)})`;
      else if (part.type === FULL) {
        result += !customName && (prev === null || prev.type === FIXED || prev.modifier !== "none" || grouping || part.prefix !== "") ? "*" : "(.*)";
      }
      if (part.type === SEGMENT && customName && part.suffix !== "" && isNameCodePoint(firstCodePoint(part.suffix), false)) result += "\\";
      result += escapePattern(part.suffix);
      if (grouping) result += "}";
      result += modifierString(part.modifier);
    });
    return result;
  }

  function compileComponent(input, encode, options) {
    const parts = parsePatternString(input, options, encode);
    const [source, names] = generateRegexp(parts, options);
    let regexp;
    try { regexp = new RegExp(source, options.ignoreCase ? FLAGS + "i" : FLAGS); }
    catch (e) { fail(`invalid regular expression in ${JSON.stringify(input)}: ${e.message}`); }
    return { pattern: generatePatternString(parts, options), regexp, names, hasRegExpGroups: parts.some((p) => p.type === REGEXP) };
  }
  const matchesSpecialScheme = (component) => Object.keys(SPECIAL).some((s) => component.regexp.exec(s) !== null);

  // ---------------------------------------------------------------- canonicalization (encoding callbacks)
  const dummy = (host = "dummy.invalid") => new URL(`https://${host}/`);
  function canonProtocol(value) {
    if (value === "") return value;
    let url;
    try { url = new URL(value + "://dummy.invalid/"); } catch { fail(`invalid protocol ${JSON.stringify(value)}`); }
    return url.protocol.slice(0, -1);
  }
  function canonUsername(value) {
    if (value === "") return value;
    const url = dummy();
    url.username = value;
    return url.username;
  }
  function canonPassword(value) {
    if (value === "") return value;
    const url = dummy();
    url.password = value;
    return url.password;
  }
  // The hostname setter is the spec's "hostname state" override; it ignores a failure, which shows
  // as a hostname left unchanged (checked on a second dummy when the first one's looks unchanged).
  function canonHostname(value) {
    if (value === "") return value;
    const url = dummy();
    url.hostname = value;
    if (url.hostname === "dummy.invalid") {
      const other = dummy("other.invalid");
      other.hostname = value;
      if (other.hostname !== url.hostname) fail(`invalid hostname ${JSON.stringify(value)}`);
    }
    return url.hostname;
  }
  function canonIPv6Hostname(value) {
    if (!/^[0-9a-fA-F[\]:]*$/.test(value)) fail(`invalid IPv6 hostname ${JSON.stringify(value)}`);
    return value.toLowerCase();
  }
  // The port state with a state override: leading ASCII digits, at most 65535, the scheme's
  // default port serialized as the empty string; no digits at all is a failure.
  function canonPort(value, protocol) {
    if (value === "") return value;
    const digits = /^[0-9]*/.exec(value.replace(/[\t\n\r]/g, ""))[0];
    if (digits === "") fail(`invalid port ${JSON.stringify(value)}`);
    const port = Number(digits);
    if (port > 65535) fail(`invalid port ${JSON.stringify(value)}`);
    return protocol !== undefined && isSpecial(protocol) && SPECIAL[protocol] === String(port) ? "" : String(port);
  }
  function canonPathname(value) {
    if (value === "") return value;
    const leadingSlash = value[0] === "/";
    const url = dummy();
    url.pathname = (leadingSlash ? "" : "/-") + value;
    return leadingSlash ? url.pathname : url.pathname.slice(2);
  }
  // The opaque path state: C0 controls and non-ASCII percent-encoded, `?` or `#` ends the path,
  // a space before one of them is encoded.
  function canonOpaquePathname(value) {
    if (value === "") return value;
    const cps = Array.from(value.replace(/[\t\n\r]/g, ""));
    let result = "";
    for (let i = 0; i < cps.length; i++) {
      const c = cps[i];
      if (c === "?" || c === "#") break;
      if (c === " ") result += cps[i + 1] === "?" || cps[i + 1] === "#" ? "%20" : " ";
      else result += c < " " || c > "~" ? encodeURIComponent(c) : c;
    }
    return result;
  }
  // The setters drop one leading `?` / `#`, so one is added for them to drop.
  function canonSearch(value) {
    if (value === "") return value;
    const url = dummy();
    url.search = "?" + value;
    return url.search.slice(1);
  }
  function canonHash(value) {
    if (value === "") return value;
    const url = dummy();
    url.hash = "#" + value;
    return url.hash.slice(1);
  }

  // ---------------------------------------------------------------- constructor string parsing
  function parseConstructorString(input) {
    const cps = Array.from(input), tokens = tokenize(input, true), result = {};
    let componentStart = 0, tokenIndex = 0, tokenIncrement = 1, groupDepth = 0, ipv6Depth = 0, special = false, state = "init";
    const safeToken = (i) => (i < tokens.length ? tokens[i] : tokens[tokens.length - 1]);
    const isNonSpecialChar = (i, value) => {
      const t = safeToken(i);
      return t.value === value && (t.type === "char" || t.type === "escaped-char" || t.type === "invalid-char");
    };
    const at = (value) => isNonSpecialChar(tokenIndex, value);
    const isSearchPrefix = () => {
      if (at("?")) return true;
      if (tokens[tokenIndex].value !== "?") return false;
      if (tokenIndex - 1 < 0) return true;
      const prev = safeToken(tokenIndex - 1).type;
      return !(prev === "name" || prev === "regexp" || prev === "close" || prev === "asterisk");
    };
    const componentString = () => cps.slice(safeToken(componentStart).index, tokens[tokenIndex].index).join("");
    const rewind = () => { tokenIndex = componentStart; tokenIncrement = 0; };
    const rewindTo = (s) => { rewind(); state = s; };
    const changeState = (newState, skip) => {
      if (state !== "init" && state !== "authority" && state !== "done") result[state] = componentString();
      if (state !== "init" && newState !== "done") {
        const early = state === "protocol" || state === "authority" || state === "username" || state === "password";
        if (early && (newState === "port" || newState === "pathname" || newState === "search" || newState === "hash") && result.hostname === undefined) result.hostname = "";
        const beforePath = early || state === "hostname" || state === "port";
        if (beforePath && (newState === "search" || newState === "hash") && result.pathname === undefined) result.pathname = special ? "/" : "";
        if ((beforePath || state === "pathname") && newState === "hash" && result.search === undefined) result.search = "";
      }
      state = newState;
      tokenIndex += skip;
      componentStart = tokenIndex;
      tokenIncrement = 0;
    };
    while (tokenIndex < tokens.length) {
      tokenIncrement = 1;
      if (tokens[tokenIndex].type === "end") {
        if (state === "init") {
          // No protocol: a relative pattern, starting with the pathname, search or hash.
          rewind();
          if (at("#")) changeState("hash", 1);
          else if (isSearchPrefix()) changeState("search", 1);
          else changeState("pathname", 0);
          tokenIndex += tokenIncrement;
          continue;
        }
        if (state === "authority") { rewindTo("hostname"); tokenIndex += tokenIncrement; continue; }
        changeState("done", 0);
        break;
      }
      if (tokens[tokenIndex].type === "open") { groupDepth++; tokenIndex += tokenIncrement; continue; }
      if (groupDepth > 0) {
        if (tokens[tokenIndex].type === "close") groupDepth--;
        else { tokenIndex += tokenIncrement; continue; }
      }
      switch (state) {
        case "init":
          if (at(":")) rewindTo("protocol");
          break;
        case "protocol":
          if (at(":")) {
            const protocol = compileComponent(componentString(), canonProtocol, DEFAULT_OPTIONS);
            if (matchesSpecialScheme(protocol)) special = true;
            let next = "pathname", skip = 1;
            if (isNonSpecialChar(tokenIndex + 1, "/") && isNonSpecialChar(tokenIndex + 2, "/")) { next = "authority"; skip = 3; }
            else if (special) next = "authority";
            changeState(next, skip);
          }
          break;
        case "authority":
          if (at("@")) rewindTo("username");
          else if (at("/") || isSearchPrefix() || at("#")) rewindTo("hostname");
          break;
        case "username":
          if (at(":")) changeState("password", 1);
          else if (at("@")) changeState("hostname", 1);
          break;
        case "password":
          if (at("@")) changeState("hostname", 1);
          break;
        case "hostname":
          if (at("[")) ipv6Depth++;
          else if (at("]")) ipv6Depth--;
          else if (at(":") && ipv6Depth === 0) changeState("port", 1);
          else if (at("/")) changeState("pathname", 0);
          else if (isSearchPrefix()) changeState("search", 1);
          else if (at("#")) changeState("hash", 1);
          break;
        case "port":
          if (at("/")) changeState("pathname", 0);
          else if (isSearchPrefix()) changeState("search", 1);
          else if (at("#")) changeState("hash", 1);
          break;
        case "pathname":
          if (isSearchPrefix()) changeState("search", 1);
          else if (at("#")) changeState("hash", 1);
          break;
        case "search":
          if (at("#")) changeState("hash", 1);
          break;
      }
      tokenIndex += tokenIncrement;
    }
    if (result.hostname !== undefined && result.port === undefined) result.port = "";
    return result;
  }

  // ---------------------------------------------------------------- URLPatternInit processing
  const COMPONENTS = ["protocol", "username", "password", "hostname", "port", "pathname", "search", "hash"];
  const INIT_MEMBERS = ["baseURL", "hash", "hostname", "password", "pathname", "port", "protocol", "search", "username"];
  const usv = (v) => `${v}`.toWellFormed();
  // WebIDL: an object (or undefined/null) is a URLPatternInit dictionary, anything else a string.
  const isDictionary = (v) => v === undefined || v === null || typeof v === "object" || typeof v === "function";
  function toInit(v) {
    const init = {};
    if (v === undefined || v === null) return init;
    for (const k of INIT_MEMBERS) { const x = v[k]; if (x !== undefined) init[k] = usv(x); }
    return init;
  }
  const escapeIfPattern = (s, type) => (type === "pattern" ? escapePattern(s) : s);
  const hasOpaquePath = (url) => url.href[url.protocol.length] !== "/";
  function isAbsolutePathname(s, type) {
    if (s === "") return false;
    if (s[0] === "/") return true;
    if (type === "url" || s.length < 2) return false;
    return (s[0] === "\\" || s[0] === "{") && s[1] === "/";
  }
  function processInit(init, type, defaults) {
    const result = { ...defaults };
    const has = (...keys) => keys.some((k) => init[k] !== undefined);
    let baseURL = null;
    if (init.baseURL !== undefined) {
      try { baseURL = new URL(init.baseURL); } catch { fail(`invalid baseURL ${JSON.stringify(init.baseURL)}`); }
      if (!has("protocol")) result.protocol = escapeIfPattern(baseURL.protocol.slice(0, -1), type);
      if (type !== "pattern" && !has("protocol", "hostname", "port", "username")) result.username = baseURL.username;
      if (type !== "pattern" && !has("protocol", "hostname", "port", "username", "password")) result.password = baseURL.password;
      if (!has("protocol", "hostname")) result.hostname = escapeIfPattern(baseURL.hostname, type);
      if (!has("protocol", "hostname", "port")) result.port = baseURL.port;
      if (!has("protocol", "hostname", "port", "pathname")) result.pathname = escapeIfPattern(baseURL.pathname, type);
      if (!has("protocol", "hostname", "port", "pathname", "search")) result.search = escapeIfPattern(baseURL.search.slice(1), type);
      if (!has("protocol", "hostname", "port", "pathname", "search", "hash")) result.hash = escapeIfPattern(baseURL.hash.slice(1), type);
    }
    const pattern = type === "pattern";
    if (init.protocol !== undefined) {
      const stripped = init.protocol.endsWith(":") ? init.protocol.slice(0, -1) : init.protocol;
      result.protocol = pattern ? stripped : canonProtocol(stripped);
    }
    if (init.username !== undefined) result.username = pattern ? init.username : canonUsername(init.username);
    if (init.password !== undefined) result.password = pattern ? init.password : canonPassword(init.password);
    if (init.hostname !== undefined) result.hostname = pattern ? init.hostname : canonHostname(init.hostname);
    const protocol = result.protocol === undefined ? "" : result.protocol;
    if (init.port !== undefined) result.port = pattern ? init.port : canonPort(init.port, protocol);
    if (init.pathname !== undefined) {
      let pathname = init.pathname;
      if (baseURL !== null && !hasOpaquePath(baseURL) && !isAbsolutePathname(pathname, type)) {
        const basePath = escapeIfPattern(baseURL.pathname, type);
        const slash = basePath.lastIndexOf("/");
        if (slash >= 0) pathname = basePath.slice(0, slash + 1) + pathname;
      }
      result.pathname = pattern ? pathname : protocol === "" || isSpecial(protocol) ? canonPathname(pathname) : canonOpaquePathname(pathname);
    }
    if (init.search !== undefined) {
      const stripped = init.search.startsWith("?") ? init.search.slice(1) : init.search;
      result.search = pattern ? stripped : canonSearch(stripped);
    }
    if (init.hash !== undefined) {
      const stripped = init.hash.startsWith("#") ? init.hash.slice(1) : init.hash;
      result.hash = pattern ? stripped : canonHash(stripped);
    }
    return result;
  }

  // ---------------------------------------------------------------- create and match
  function create(input, baseURL, options) {
    let init;
    if (typeof input === "string") {
      init = parseConstructorString(input);
      if (baseURL === null && init.protocol === undefined) fail(`a relative pattern ${JSON.stringify(input)} needs a baseURL`);
      if (baseURL !== null) init.baseURL = baseURL;
    } else {
      if (baseURL !== null) fail("a baseURL can only be given with a string pattern, not with a URLPatternInit");
      init = input;
    }
    const p = processInit(init, "pattern", {});
    for (const k of COMPONENTS) if (p[k] === undefined) p[k] = "*";
    if (isSpecial(p.protocol) && p.port === SPECIAL[p.protocol]) p.port = "";
    const ignoreCase = { ...DEFAULT_OPTIONS, ignoreCase: options.ignoreCase };
    const c = {};
    c.protocol = compileComponent(p.protocol, canonProtocol, DEFAULT_OPTIONS);
    c.username = compileComponent(p.username, canonUsername, DEFAULT_OPTIONS);
    c.password = compileComponent(p.password, canonPassword, DEFAULT_OPTIONS);
    const h = p.hostname;
    const ipv6 = h.length >= 2 && (h[0] === "[" || ((h[0] === "{" || h[0] === "\\") && h[1] === "["));
    c.hostname = compileComponent(h, ipv6 ? canonIPv6Hostname : canonHostname, HOSTNAME_OPTIONS);
    c.port = compileComponent(p.port, canonPort, DEFAULT_OPTIONS);
    c.pathname = matchesSpecialScheme(c.protocol)
      ? compileComponent(p.pathname, canonPathname, { ...PATHNAME_OPTIONS, ignoreCase: options.ignoreCase })
      : compileComponent(p.pathname, canonOpaquePathname, ignoreCase);
    c.search = compileComponent(p.search, canonSearch, ignoreCase);
    c.hash = compileComponent(p.hash, canonHash, ignoreCase);
    return c;
  }

  const RESULT_KEYS = ["hash", "hostname", "inputs", "password", "pathname", "port", "protocol", "search", "username"];
  function match(components, input, baseURLString) {
    let values;
    const inputs = [input];
    if (typeof input !== "string") {
      if (baseURLString !== undefined) throw new TypeError("URLPattern: a baseURL can only be given with a string input, not with a URLPatternInit");
      try { values = processInit(input, "url", { protocol: "", username: "", password: "", hostname: "", port: "", pathname: "", search: "", hash: "" }); }
      catch { return null; }
    } else {
      let url;
      try {
        if (baseURLString !== undefined) {
          const base = new URL(baseURLString);
          inputs.push(baseURLString);
          url = new URL(input, base);
        } else url = new URL(input);
      } catch { return null; }
      values = {
        protocol: url.protocol.slice(0, -1), username: url.username, password: url.password, hostname: url.hostname,
        port: url.port, pathname: url.pathname, search: url.search.slice(1), hash: url.hash.slice(1),
      };
    }
    const execs = {};
    for (const k of COMPONENTS) if ((execs[k] = components[k].regexp.exec(values[k])) === null) return null;
    const result = {};
    for (const k of RESULT_KEYS) {
      if (k === "inputs") { result.inputs = inputs; continue; }
      const groups = {};
      components[k].names.forEach((name, i) => { groups[name] = execs[k][i + 1]; });
      result[k] = { input: values[k], groups };
    }
    return result;
  }

  function toOptions(v) {
    if (v === undefined || v === null) return { ignoreCase: false };
    if (typeof v !== "object" && typeof v !== "function") throw new TypeError("Failed to construct 'URLPattern': the options must be an object");
    return { ignoreCase: Boolean(v.ignoreCase) };
  }
  const toInput = (v) => (isDictionary(v) ? toInit(v) : usv(v));

  class URLPattern {
    #c;
    // The two overloads, (input, baseURL, options) and (input, options): a string (or any other
    // non-object) second argument is the baseURL. An undefined baseURL counts as absent.
    constructor(input = undefined, baseURLOrOptions = undefined, options = undefined) {
      let baseURL = null;
      if (arguments.length >= 3 || !isDictionary(baseURLOrOptions)) {
        if (baseURLOrOptions !== undefined) baseURL = usv(baseURLOrOptions);
      } else options = baseURLOrOptions;
      this.#c = create(toInput(input), baseURL, toOptions(options));
    }
    test(input = undefined, baseURL = undefined) {
      return match(this.#c, toInput(input), baseURL === undefined ? undefined : usv(baseURL)) !== null;
    }
    exec(input = undefined, baseURL = undefined) {
      return match(this.#c, toInput(input), baseURL === undefined ? undefined : usv(baseURL));
    }
    get protocol() { return this.#c.protocol.pattern; }
    get username() { return this.#c.username.pattern; }
    get password() { return this.#c.password.pattern; }
    get hostname() { return this.#c.hostname.pattern; }
    get port() { return this.#c.port.pattern; }
    get pathname() { return this.#c.pathname.pattern; }
    get search() { return this.#c.search.pattern; }
    get hash() { return this.#c.hash.pattern; }
    get hasRegExpGroups() { return COMPONENTS.some((k) => this.#c[k].hasRegExpGroups); }
    get [Symbol.toStringTag]() { return "URLPattern"; }
  }
  for (const k of ["test", "exec", ...COMPONENTS, "hasRegExpGroups"]) {
    Object.defineProperty(URLPattern.prototype, k, { enumerable: true });
  }
  return { URLPattern };
})
