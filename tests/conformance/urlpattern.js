// URLPattern (URL Pattern Standard): constructor strings and URLPatternInit dictionaries, the
// pattern syntax (named groups, regexp groups, modifiers, wildcards, {} groups, escapes), the
// normalized pattern strings, canonicalization, baseURL handling, test() and exec().
import { test, assert_equals, assert_true, assert_false, assert_array_equals, assert_throws_js } from "./harness.js";

const COMPONENTS = ["protocol", "username", "password", "hostname", "port", "pathname", "search", "hash"];
// The eight normalized pattern strings, in URL order.
const patternOf = (p) => COMPONENTS.map((k) => p[k]);

// ---------------------------------------------------------------- constructor strings
test(() => {
  const p = new URLPattern("https://example.com/:category/*");
  assert_array_equals(patternOf(p), ["https", "*", "*", "example.com", "", "/:category/*", "*", "*"]);
}, "a full constructor string: unspecified username/password/search/hash are wildcards, the port is empty");
test(() => {
  const p = new URLPattern("https://example.com/:category/*");
  assert_true(p.test("https://example.com/shoes/red"));
  assert_true(p.test("https://example.com/shoes/"));
  assert_true(p.test("https://user:pw@example.com/shoes/x?q=1#top"));
  assert_false(p.test("https://example.com/shoes"));
  assert_false(p.test("http://example.com/shoes/red"));
  assert_false(p.test("https://example.com:8443/shoes/red"));
  assert_false(p.test("https://example.org/shoes/red"));
}, "a constructor string matches its origin only, on the default port");
test(() => {
  const p = new URLPattern("http{s}?://example.com");
  assert_array_equals(patternOf(p), ["http{s}?", "*", "*", "example.com", "", "*", "*", "*"]);
  assert_true(p.test("http://example.com/any/path?x#y"));
  assert_true(p.test("https://example.com/"));
  assert_false(p.test("ftp://example.com/"));
}, "an optional group in the protocol; no path means any path");
test(() => {
  const p = new URLPattern("https://example.com/path?q=:v#frag");
  assert_array_equals(patternOf(p), ["https", "*", "*", "example.com", "", "/path", "q=:v", "frag"]);
  assert_equals(p.exec("https://example.com/path?q=42#frag").search.groups.v, "42");
  assert_false(p.test("https://example.com/path?q=42#other"));
}, "search and hash in a constructor string");
test(() => {
  const p = new URLPattern("https://example.com/foo?");
  assert_equals(p.search, "");
  assert_equals(p.hash, "*");
  assert_true(p.test("https://example.com/foo#anything"));
  assert_false(p.test("https://example.com/foo?x=1"));
}, "an empty search after ? must be empty; the hash stays a wildcard");
test(() => {
  const p = new URLPattern("https://example.com?q=1");
  assert_equals(p.pathname, "/");
  assert_equals(p.search, "q=1");
  assert_equals(p.hash, "*");
}, "a special scheme's pathname defaults to / when a search follows the host");
test(() => {
  assert_equals(new URLPattern("https://*").port, "");
  assert_equals(new URLPattern("https://*:*").port, "*");
  assert_equals(new URLPattern("https://example.com:8080/").port, "8080");
  assert_equals(new URLPattern("http://example.com:80/").port, "");
  assert_equals(new URLPattern("https://example.com:443/").port, "");
  assert_true(new URLPattern("https://*:*").test("https://a.example:8443/"));
  assert_false(new URLPattern("https://*").test("https://a.example:8443/"));
}, "ports in constructor strings: default ports are dropped, a wildcard port must be written");
test(() => {
  const p = new URLPattern("https://:user@example.com/");
  assert_equals(p.username, ":user");
  assert_equals(p.password, "*");
  assert_equals(p.exec("https://alice@example.com/").username.groups.user, "alice");
  assert_false(p.test("https://example.com/"));
}, "a named group in the username of a constructor string");
test(() => {
  const p = new URLPattern("http://[\\:\\:1]:8080/");
  assert_equals(p.hostname, "[\\:\\:1]");
  assert_equals(p.port, "8080");
  assert_true(p.test("http://[::1]:8080/"));
  assert_false(p.test("http://[::2]:8080/"));
}, "an IPv6 hostname with escaped colons");

// ---------------------------------------------------------------- baseURL
test(() => {
  const p = new URLPattern("/books/:id", "https://example.com/library/");
  assert_array_equals(patternOf(p), ["https", "*", "*", "example.com", "", "/books/:id", "*", "*"]);
  assert_equals(p.exec("https://example.com/books/7").pathname.groups.id, "7");
}, "a relative constructor string takes protocol, hostname and port from the baseURL");
test(() => {
  const p = new URLPattern("../admin/*", "https://forum.example/board/?page=2");
  assert_equals(p.pathname, "/admin/*");
  assert_equals(p.search, "*");
  assert_true(p.test("https://forum.example/admin/users"));
  assert_false(p.test("https://forum.example/board/admin/users"));
}, "a relative pathname is resolved against the baseURL's path (dot segments removed)");
test(() => {
  assert_throws_js(TypeError, () => new URLPattern("/books/:id"));
  assert_throws_js(TypeError, () => new URLPattern("/books/:id", "not a url"));
  assert_throws_js(TypeError, () => new URLPattern({ pathname: "/books" }, "https://example.com"));
  assert_throws_js(TypeError, () => new URLPattern({ pathname: "/books", baseURL: "not a url" }));
}, "a relative pattern needs a valid baseURL; a dictionary takes none as a second argument");
test(() => {
  const p = new URLPattern({ pathname: "/foo", baseURL: "https://example.com/bar?x#y" });
  assert_array_equals(patternOf(p), ["https", "*", "*", "example.com", "", "/foo", "*", "*"]);
  const q = new URLPattern({ baseURL: "https://example.com/a/b?x#y" });
  assert_array_equals(patternOf(q), ["https", "*", "*", "example.com", "", "/a/b", "x", "y"]);
}, "a dictionary's baseURL fills the components less specific than those given");
test(() => {
  const p = new URLPattern({ hostname: "other.example", baseURL: "https://example.com:8080/a" });
  assert_array_equals(patternOf(p), ["https", "*", "*", "other.example", "*", "*", "*", "*"]);
}, "a hostname in the dictionary stops the port and path from being inherited");
test(() => {
  assert_equals(new URLPattern({ pathname: "c", baseURL: "https://example.com/a/b" }).pathname, "/a/c");
  assert_equals(new URLPattern({ pathname: "/c", baseURL: "https://example.com/a/b" }).pathname, "/c");
}, "a relative dictionary pathname is joined to the baseURL's directory");
test(() => {
  const p = new URLPattern({ pathname: "/a/c" });
  assert_true(p.test({ pathname: "c", baseURL: "https://example.com/a/b" }));
  const q = new URLPattern({ username: "bob" });
  assert_true(q.test({ pathname: "/x", baseURL: "https://bob@example.com/" }));
  assert_false(q.test({ hostname: "example.com", baseURL: "https://bob@example.com/" }));
}, "a dictionary input's baseURL supplies the missing parts, username included");

// ---------------------------------------------------------------- dictionaries, canonicalization
test(() => {
  const p = new URLPattern({ pathname: "/foo" });
  assert_array_equals(patternOf(p), ["*", "*", "*", "*", "*", "/foo", "*", "*"]);
  assert_true(p.test("https://anything.example:81/foo?x#y"));
  assert_true(p.test("wss://h/foo"));
  assert_false(p.test("https://anything.example/foo/"));
}, "a dictionary's missing components are wildcards");
test(() => {
  const p = new URLPattern({ protocol: "HTTPS:", hostname: "EXAMPLE.com", search: "?q=1", hash: "#top" });
  assert_array_equals(patternOf(p), ["https", "*", "*", "example.com", "*", "*", "q=1", "top"]);
}, "protocol, hostname, search and hash are canonicalized; the : ? # separators are stripped");
test(() => {
  assert_equals(new URLPattern({ hostname: "münchen.example" }).hostname, "xn--mnchen-3ya.example");
  assert_equals(new URLPattern({ pathname: "/café" }).pathname, "/caf%C3%A9");
  assert_equals(new URLPattern({ pathname: "/a b" }).pathname, "/a%20b");
  assert_equals(new URLPattern({ username: "a b" }).username, "a%20b");
  assert_true(new URLPattern({ pathname: "/café" }).test("https://x.example/café"));
}, "fixed text is encoded as the URL parser would (IDNA, percent-encoding)");
test(() => {
  assert_equals(new URLPattern({ protocol: "https", port: "443" }).port, "");
  assert_equals(new URLPattern({ protocol: "http", port: "443" }).port, "443");
  assert_equals(new URLPattern({ port: "0080" }).port, "80");
  assert_throws_js(TypeError, () => new URLPattern({ port: "99999" }));
  assert_throws_js(TypeError, () => new URLPattern({ port: "abc" }));
}, "ports: the scheme's default port is dropped, others are canonicalized or rejected");
test(() => {
  const p = new URLPattern({ pathname: "/a%20b" });
  const r = p.exec({ pathname: "/a b", hostname: "EXAMPLE.COM" });
  assert_equals(r.pathname.input, "/a%20b");
  assert_equals(r.hostname.input, "example.com");
}, "a dictionary input is canonicalized before matching");
test(() => {
  const p = new URLPattern({ protocol: "data", pathname: "text/plain,*" });
  assert_equals(p.pathname, "text/plain,*");
  assert_equals(p.exec("data:text/plain,hello").pathname.groups["0"], "hello");
  assert_false(p.test("data:text/html,hello"));
}, "a non-special protocol's pathname is an opaque path");

// ---------------------------------------------------------------- groups and modifiers
test(() => {
  const r = new URLPattern({ pathname: "/users/:id/posts/:postId" }).exec({ pathname: "/users/12/posts/abc" });
  assert_equals(r.pathname.groups.id, "12");
  assert_equals(r.pathname.groups.postId, "abc");
  assert_array_equals(Object.keys(r.pathname.groups), ["id", "postId"]);
}, "named groups");
test(() => {
  const p = new URLPattern({ pathname: "/users/:id" });
  assert_false(p.test({ pathname: "/users/1/2" }));
  assert_false(p.test({ pathname: "/users/" }));
  const h = new URLPattern({ hostname: ":sub.example.com" });
  assert_equals(h.exec({ hostname: "api.example.com" }).hostname.groups.sub, "api");
  assert_false(h.test({ hostname: "a.b.example.com" }));
  assert_equals(new URLPattern({ search: "q=:v" }).exec({ search: "q=a/b.c" }).search.groups.v, "a/b.c");
}, "a named group stops at the component's delimiter: / in the pathname, . in the hostname, none elsewhere");
test(() => {
  const p = new URLPattern({ pathname: "/(\\d+)" });
  assert_equals(p.exec({ pathname: "/123" }).pathname.groups["0"], "123");
  assert_false(p.test({ pathname: "/12a" }));
  const q = new URLPattern({ pathname: "/:id(\\d+)" });
  assert_equals(q.exec({ pathname: "/77" }).pathname.groups.id, "77");
  assert_false(q.test({ pathname: "/x" }));
}, "regexp groups, unnamed (numbered) and named");
test(() => {
  const r = new URLPattern({ pathname: "/:a/(\\d+)/*" }).exec({ pathname: "/x/5/rest/of/it" });
  assert_equals(r.pathname.groups.a, "x");
  assert_equals(r.pathname.groups["0"], "5");
  assert_equals(r.pathname.groups["1"], "rest/of/it");
}, "unnamed groups are numbered in order");
test(() => {
  const p = new URLPattern({ pathname: "/products/:id?" });
  const r = p.exec({ pathname: "/products" });
  assert_true("id" in r.pathname.groups);
  assert_equals(r.pathname.groups.id, undefined);
  assert_equals(p.exec({ pathname: "/products/5" }).pathname.groups.id, "5");
  assert_false(p.test({ pathname: "/products/" }));
}, "? makes a group optional, with its / prefix; an unmatched group is undefined");
test(() => {
  const p = new URLPattern({ pathname: "/files/:path+" });
  assert_equals(p.exec({ pathname: "/files/a/b/c" }).pathname.groups.path, "a/b/c");
  assert_false(p.test({ pathname: "/files" }));
  assert_false(p.test({ pathname: "/files/" }));
}, "+ repeats a group one or more times");
test(() => {
  const p = new URLPattern({ pathname: "/files/:path*" });
  assert_equals(p.exec({ pathname: "/files" }).pathname.groups.path, undefined);
  assert_equals(p.exec({ pathname: "/files/a/b" }).pathname.groups.path, "a/b");
  assert_false(p.test({ pathname: "/files/" }));
}, "* after a group repeats it zero or more times");
test(() => {
  const p = new URLPattern({ pathname: "/foo/:bar?/baz" });
  assert_true(p.test({ pathname: "/foo/baz" }));
  assert_equals(p.exec({ pathname: "/foo/x/baz" }).pathname.groups.bar, "x");
  assert_false(p.test({ pathname: "/foo//baz" }));
}, "an optional group in the middle of a path takes its / prefix with it");
test(() => {
  const p = new URLPattern({ pathname: "/static/*" });
  assert_equals(p.exec({ pathname: "/static/css/site.css" }).pathname.groups["0"], "css/site.css");
  assert_equals(p.exec({ pathname: "/static/" }).pathname.groups["0"], "");
  assert_false(p.test({ pathname: "/static" }));
  const h = new URLPattern({ hostname: "*.example.com" });
  assert_equals(h.exec({ hostname: "a.b.example.com" }).hostname.groups["0"], "a.b");
}, "* is a wildcard matching across delimiters");
test(() => {
  const p = new URLPattern({ pathname: "/book{s}?" });
  assert_equals(p.pathname, "/book{s}?");
  assert_true(p.test({ pathname: "/book" }));
  assert_true(p.test({ pathname: "/books" }));
  assert_false(p.test({ pathname: "/bookss" }));
  assert_equals(new URLPattern({ pathname: "/foo/{bar}" }).pathname, "/foo/bar");
}, "{} groups fixed text; without a modifier the braces are dropped");
test(() => {
  const p = new URLPattern({ hostname: "{:sub.}?example.com" });
  assert_equals(p.hostname, "{:sub.}?example.com");
  assert_equals(p.exec({ hostname: "example.com" }).hostname.groups.sub, undefined);
  assert_equals(p.exec({ hostname: "api.example.com" }).hostname.groups.sub, "api");
}, "a group with a suffix inside {}");
test(() => {
  const p = new URLPattern({ pathname: "/foo/{:bar}?" });
  assert_equals(p.pathname, "/foo/{:bar}?");
  assert_true(p.test({ pathname: "/foo/" }));
  assert_true(p.test({ pathname: "/foo/x" }));
  assert_false(p.test({ pathname: "/foo" }));
}, "{} keeps the / out of an optional group");
test(() => {
  const p = new URLPattern({ pathname: "/files{/:name}*" });
  assert_equals(p.pathname, "/files/:name*");
  assert_equals(p.exec({ pathname: "/files/a/b" }).pathname.groups.name, "a/b");
  assert_true(p.test({ pathname: "/files" }));
}, "a / prefix inside {} is the automatic prefix, so the braces are not needed");

// ---------------------------------------------------------------- escapes and literal text
test(() => {
  const colon = new URLPattern({ pathname: "/foo\\:bar" });
  assert_equals(colon.pathname, "/foo\\:bar");
  assert_true(colon.test({ pathname: "/foo:bar" }));
  const star = new URLPattern({ pathname: "/a\\*b" });
  assert_true(star.test({ pathname: "/a*b" }));
  assert_false(star.test({ pathname: "/axxb" }));
  const plus = new URLPattern({ pathname: "/a\\+b" });
  assert_true(plus.test({ pathname: "/a+b" }));
  assert_false(plus.test({ pathname: "/aab" }));
}, "\\ escapes pattern syntax into literal text");
test(() => {
  const p = new URLPattern({ pathname: "/a.b" });
  assert_true(p.test({ pathname: "/a.b" }));
  assert_false(p.test({ pathname: "/axb" }));
  assert_equals(new URLPattern({ pathname: "/\\(x\\)" }).pathname, "/\\(x\\)");
  assert_true(new URLPattern({ pathname: "/\\(x\\)" }).test({ pathname: "/(x)" }));
}, "regular-expression characters in fixed text are literal");
test(() => {
  assert_equals(new URLPattern({ pathname: "{:foo}bar" }).pathname, "{:foo}bar");
  assert_equals(new URLPattern({ pathname: ":foo\\bar" }).pathname, "{:foo}bar");
  assert_equals(new URLPattern({ pathname: "{:foo}.bar" }).pathname, ":foo.bar");
  assert_equals(new URLPattern({ pathname: "/foo/(.*)" }).pathname, "/foo/*");
  assert_equals(new URLPattern({ pathname: "/foo/:bar(.*)" }).pathname, "/foo/:bar(.*)");
  assert_equals(new URLPattern({ pathname: "/foo/([^\\/]+?)" }).pathname, "/foo/([^\\/]+?)");
  assert_equals(new URLPattern({ pathname: "/foo/:bar" }).pathname, "/foo/:bar");
}, "normalized pattern strings: braces only where needed, (.*) as *, the segment regexp kept");

// ---------------------------------------------------------------- ignoreCase
test(() => {
  const p = new URLPattern({ pathname: "/Foo/:x" }, { ignoreCase: true });
  assert_true(p.test({ pathname: "/fOO/Bar" }));
  assert_equals(p.exec({ pathname: "/FOO/Bar" }).pathname.groups.x, "Bar");
  assert_false(new URLPattern({ pathname: "/Foo" }).test({ pathname: "/foo" }));
}, "ignoreCase matches the pathname case-insensitively");
test(() => {
  assert_true(new URLPattern("https://example.com/Foo", { ignoreCase: true }).test("https://example.com/foo"));
  assert_true(new URLPattern("/Foo", "https://example.com", { ignoreCase: true }).test("https://example.com/FOO"));
  assert_true(new URLPattern({ search: "Q=:v", hash: "Top" }, { ignoreCase: true }).test({ search: "q=1", hash: "top" }));
  assert_false(new URLPattern("/Foo", "https://example.com").test("https://example.com/foo"));
}, "ignoreCase with a constructor string, with and without a baseURL, and for search and hash");

// ---------------------------------------------------------------- exec() and test()
test(() => {
  const r = new URLPattern("https://example.com/:id").exec("https://example.com/42?x=1#h");
  assert_array_equals(Object.keys(r).sort(), ["hash", "hostname", "inputs", "password", "pathname", "port", "protocol", "search", "username"]);
  assert_array_equals(r.inputs, ["https://example.com/42?x=1#h"]);
  assert_equals(r.protocol.input, "https");
  assert_equals(r.hostname.input, "example.com");
  assert_equals(r.port.input, "");
  assert_equals(r.pathname.input, "/42");
  assert_equals(r.search.input, "x=1");
  assert_equals(r.hash.input, "h");
  assert_equals(r.pathname.groups.id, "42");
  assert_equals(r.search.groups["0"], "x=1");
  assert_array_equals(Object.keys(r.protocol.groups), []);
}, "exec() returns inputs and, per component, the input and its groups");
test(() => {
  const p = new URLPattern({ pathname: "/foo/:x" });
  const r = p.exec("/foo/bar", "https://example.com/base/");
  assert_array_equals(r.inputs, ["/foo/bar", "https://example.com/base/"]);
  assert_equals(r.pathname.groups.x, "bar");
  const d = p.exec({ pathname: "/foo/baz" });
  assert_equals(d.inputs.length, 1);
  assert_equals(d.inputs[0].pathname, "/foo/baz");
}, "exec() inputs: the string and its baseURL, or the dictionary");
test(() => {
  const p = new URLPattern({ pathname: "/foo" });
  assert_equals(p.exec({ pathname: "/bar" }), null);
  assert_false(p.test("not a url"));
  assert_equals(p.exec("/foo", "not a url"), null);
  assert_equals(p.exec({ pathname: "/foo", baseURL: "not a url" }), null);
}, "no match, an unparsable URL or baseURL: exec() returns null, test() false");
test(() => {
  const p = new URLPattern({ pathname: "/foo" });
  assert_throws_js(TypeError, () => p.test({ pathname: "/foo" }, "https://example.com"));
  assert_throws_js(TypeError, () => p.exec({ pathname: "/foo" }, "https://example.com"));
}, "a dictionary input with a baseURL argument throws");
test(() => {
  assert_true(new URLPattern().test());
  assert_true(new URLPattern().test("https://anything.example/at/all?x#y"));
  assert_false(new URLPattern({ pathname: "/x" }).test());
  assert_true(new URLPattern({ pathname: "/x" }).test(new URL("https://example.com/x")));
}, "no argument is an empty dictionary; an object (even a URL) is read as a dictionary");

// ---------------------------------------------------------------- errors
test(() => {
  for (const bad of ["/(foo", "/()", "/((a))", "/(?a)", "/(é)", "/([)", "/foo\\", "{foo", "/foo}", "/:id/:id", "/foo?", "/:"]) {
    assert_throws_js(TypeError, () => new URLPattern({ pathname: bad }), JSON.stringify(bad));
  }
}, "invalid pattern strings throw TypeError");
test(() => {
  assert_throws_js(TypeError, () => new URLPattern({ protocol: "ht tp" }));
  assert_throws_js(TypeError, () => new URLPattern({ hostname: "exa mple.com" }));
  assert_throws_js(TypeError, () => new URLPattern({ hostname: "[\\:\\:xyz]" }));
  assert_throws_js(TypeError, () => new URLPattern("https://example.com/(", undefined));
  assert_throws_js(TypeError, () => new URLPattern("https://example.com/", "https://base.example/", "not options"));
}, "invalid components and arguments throw TypeError");

// ---------------------------------------------------------------- hasRegExpGroups, the interface
test(() => {
  assert_false(new URLPattern().hasRegExpGroups);
  assert_false(new URLPattern({ pathname: "/:id/*", hostname: "{:sub.}?example.com" }).hasRegExpGroups);
  assert_true(new URLPattern({ pathname: "/:id(\\d+)" }).hasRegExpGroups);
  assert_true(new URLPattern({ hash: "(a|b)" }).hasRegExpGroups);
  assert_false(new URLPattern({ pathname: "/(.*)" }).hasRegExpGroups);
}, "hasRegExpGroups is true only for custom regular expressions");
test(() => {
  assert_equals(typeof URLPattern, "function");
  assert_equals(Object.prototype.toString.call(new URLPattern()), "[object URLPattern]");
  assert_throws_js(TypeError, () => URLPattern());
  assert_throws_js(TypeError, () => URLPattern.prototype.test.call({}, "https://x/"));
  for (const k of [...COMPONENTS, "hasRegExpGroups"]) {
    const d = Object.getOwnPropertyDescriptor(URLPattern.prototype, k);
    assert_true(typeof d.get === "function" && d.set === undefined, k);
  }
}, "the URLPattern interface: a class with read-only getters");
