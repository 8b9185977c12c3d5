//! `wasm-sandbox`: the command line. Thin: it parses flags and calls the library.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use clap::{Parser, Subcommand};
use wasm_sandbox::{Config, Limits, Loader, ModuleContent, StatusText, WorkerCode};
use wasm_sandbox_server::{Daemon, ServerConfig};

#[derive(Parser)]
#[command(
    name = "wasm-sandbox",
    version,
    about = "Run untrusted Workers-style JavaScript in WebAssembly sandboxes"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a worker script once: send it one request and print the response body.
    ///
    /// Exits 0 when the script produced a response (whatever its status), 1 when it failed
    /// (syntax error, exception, limit...), with the error on stderr.
    Run(RunArgs),
    /// Run the daemon: the HTTP API (`/api/run`, `/api/get/{id}`, `/workers/{id}`...).
    ///
    /// Settings come from the config file (TOML; every key optional, defaults documented in the
    /// README), then these flags. The registry token comes from the file's `token` or the
    /// WASM_SANDBOX_TOKEN environment variable; it is required when listening beyond loopback.
    /// Logs go to stderr (RUST_LOG filters them, default `info`). SIGINT/SIGTERM shut down
    /// gracefully.
    Serve(ServeArgs),
    /// Compile a worker into a standalone, pre-initialized Wasm component (wasi:http/proxy) with
    /// its modules evaluated in the snapshot: the portable form of an agent. Run it with
    /// `wasm-sandbox run OUT.wasm`, or any wasi:http host (`wasmtime serve -S cli OUT.wasm`).
    Compile(CompileArgs),
    /// Bundle a worker directory (TypeScript, a package.json with npm dependencies, a
    /// tsconfig.json) into a worker JSON any daemon runs without a registry: `{"mainModule",
    /// "modules", "lock"}` (POST it to /api/run or PUT it to /workers/{id}).
    Bundle(BundleArgs),
    /// The npm package cache: `deps add hono@^4 zod` fetches packages (and what they pull in)
    /// into it, verified, so that a daemon with `[npm] offline = true` can use them.
    Deps(DepsArgs),
    /// Make a tenant token: prints a random token (give it to the tenant) and the
    /// `[[tenants]]` lines for the daemon's config, which hold only its SHA-256.
    Token(TokenArgs),
}

/// Where packages come from (the daemon's `[npm]` table, or these flags).
#[derive(clap::Args)]
struct NpmArgs {
    /// A daemon config file whose `[npm]` table and `data_dir` to use.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The data directory whose `npm/` cache to use [default: the daemon's].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// The npm registry [default: https://registry.npmjs.org].
    #[arg(long)]
    registry: Option<String>,
    /// Use only the package cache.
    #[arg(long)]
    offline: bool,
}

impl NpmArgs {
    fn bundler(&self) -> Result<wasm_sandbox::Bundler> {
        let mut config = match &self.config {
            Some(path) => ServerConfig::from_file(path)?,
            None => ServerConfig::default(),
        };
        if let Some(d) = &self.data_dir {
            config.data_dir = Some(d.clone());
        }
        if let Some(r) = &self.registry {
            config.npm.registry = r.clone();
        }
        config.npm.offline |= self.offline;
        Ok(wasm_sandbox::Bundler::new(config.bundle_config()))
    }
}

#[derive(clap::Args)]
struct BundleArgs {
    /// The worker's directory (node_modules and dot-directories are skipped).
    dir: PathBuf,
    /// The main module [default: wrangler's or package.json's `main`, else src/index.ts...].
    #[arg(long)]
    main: Option<String>,
    /// Where to write the worker JSON [default: stdout].
    #[arg(short = 'o', long)]
    output: Option<PathBuf>,
    #[command(flatten)]
    npm: NpmArgs,
}

#[derive(clap::Args)]
struct DepsArgs {
    #[command(subcommand)]
    command: DepsCommand,
}

#[derive(Subcommand)]
enum DepsCommand {
    /// Fetch packages (`name`, `name@range`, `@scope/name@tag`) into the cache.
    Add {
        /// The packages.
        #[arg(required = true)]
        specs: Vec<String>,
        #[command(flatten)]
        npm: NpmArgs,
    },
}

#[derive(clap::Args)]
struct TokenArgs {
    /// The tenant's name (1-32 characters of a-z 0-9 _ -).
    #[arg(default_value = "my-tenant")]
    name: String,
    /// Print only the SHA-256 (`token_sha256`) of this existing token instead.
    #[arg(long, value_name = "TOKEN")]
    hash: Option<String>,
}

#[derive(clap::Args)]
struct CompileArgs {
    /// The main module.
    file: PathBuf,
    /// An extra module, `NAME=PATH` (repeatable; type from the extension, as for `run`).
    #[arg(short = 'm', long = "module")]
    modules: Vec<String>,
    /// An `env` variable baked into the component, `NAME=VALUE` (repeatable).
    #[arg(short = 'e', long = "env")]
    env: Vec<String>,
    /// Where to write the component.
    #[arg(short = 'o', long)]
    output: PathBuf,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8787]. Port 0 picks a free port.
    #[arg(long)]
    listen: Option<String>,
    /// A TOML config file.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Where the registry database lives [default: $XDG_DATA_HOME/wasm-sandbox or
    /// ~/.local/share/wasm-sandbox].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Requests in flight at once before answering 503 [default: 256].
    #[arg(long)]
    max_concurrent_requests: Option<usize>,
    /// Request body size limit in bytes [default: 10485760].
    #[arg(long)]
    max_body_bytes: Option<usize>,
    /// Log as JSON lines instead of text.
    #[arg(long)]
    log_json: bool,
}

#[derive(clap::Args)]
struct RunArgs {
    /// The main module (an ES module with `export default { fetch(request, env, ctx) {...} }`,
    /// JavaScript or TypeScript), a worker directory (TypeScript, package.json dependencies:
    /// bundled as `wasm-sandbox bundle` does), or a component made by `wasm-sandbox compile`
    /// (a `.wasm` file).
    file: PathBuf,
    /// Request method.
    #[arg(short = 'X', long, default_value = "GET")]
    method: String,
    /// Request URL the script sees.
    #[arg(long, default_value = "https://worker/")]
    url: String,
    /// A request header, `Name: value` (repeatable).
    #[arg(short = 'H', long = "header")]
    headers: Vec<String>,
    /// Request body (`@FILE` reads it from a file).
    #[arg(short = 'd', long)]
    data: Option<String>,
    /// Print the status line and headers before the body, like `curl -i`.
    #[arg(short, long)]
    include: bool,
    /// An extra module, `NAME=PATH` (repeatable). Its type follows the extension: .js/.mjs
    /// (ES module), .json, .txt/.html/.md/.csv (text); anything else is data (ArrayBuffer).
    #[arg(short = 'm', long = "module")]
    modules: Vec<String>,
    /// An `env` variable for the script, `NAME=VALUE` (repeatable; VALUE is parsed as JSON
    /// when it is valid JSON, else taken as a string).
    #[arg(short = 'e', long = "env")]
    env: Vec<String>,
    /// CPU time limit for the request, in milliseconds.
    #[arg(long, default_value_t = Limits::default().cpu_time.as_millis() as u64)]
    cpu_ms: u64,
    /// Memory limit for the instance, in MiB.
    #[arg(long, default_value_t = Limits::default().memory_bytes >> 20)]
    memory_mb: u64,
    /// Wall-clock limit for the request, in milliseconds.
    #[arg(long, default_value_t = Limits::default().wall_time.as_millis() as u64)]
    wall_ms: u64,
    /// Where a worker directory's packages come from.
    #[command(flatten)]
    npm: NpmArgs,
    /// Print the script's console output to stderr (`[level] message`).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    logs: bool,
    /// Let `fetch()` reach this outbound rule (repeatable), e.g. `https://api.example.com`,
    /// `https://*.example.com:8443`, `http://127.0.0.1:*`. Without any, fetch() is refused.
    #[arg(long = "allow")]
    allow: Vec<String>,
    /// Let `fetch()` reach private/special addresses in this CIDR (repeatable), e.g.
    /// `127.0.0.1/32`; they are refused otherwise, even for allowed hosts.
    #[arg(long = "allow-private")]
    allow_private: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = runtime.block_on(async {
        match cli.command {
            Command::Run(args) => run(args).await,
            Command::Serve(args) => serve(args).await,
            Command::Compile(args) => compile(args).await,
            Command::Token(args) => token(args),
            Command::Bundle(args) => bundle(args).await,
            Command::Deps(args) => deps(args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> Result<ExitCode> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if args.log_json {
        builder.json().init();
    } else {
        builder.init();
    }
    let mut config = match &args.config {
        Some(path) => ServerConfig::from_file(path)?,
        None => ServerConfig::default(),
    };
    if let Some(l) = args.listen {
        config.listen = l;
    }
    if let Some(d) = args.data_dir {
        config.data_dir = Some(d);
    }
    if let Some(n) = args.max_concurrent_requests {
        config.max_concurrent_requests = n;
    }
    if let Some(n) = args.max_body_bytes {
        config.max_body_bytes = n;
    }
    if let Ok(token) = std::env::var("WASM_SANDBOX_TOKEN") {
        if !token.is_empty() {
            config.token = Some(token);
        }
    }
    if let Ok(url) = std::env::var("WASM_SANDBOX_DATABASE_URL") {
        if !url.is_empty() {
            config.store.url = Some(url);
        }
    }
    let daemon = Daemon::bind(config).await?;
    // A line a supervisor (or a test) can wait for; carries the real port when 0 was asked.
    eprintln!("wasm-sandbox: listening on http://{}", daemon.local_addr());
    daemon.run(wasm_sandbox_server::shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

fn module_from_path(name: &str, path: &PathBuf) -> Result<ModuleContent> {
    let bytes =
        std::fs::read(path).with_context(|| format!("reading module {}", path.display()))?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let text =
        |b: Vec<u8>| String::from_utf8(b).with_context(|| format!("module {name} is not UTF-8"));
    if ModuleContent::from_extension(ext, String::new()).is_none() {
        return Ok(ModuleContent::Data(bytes));
    }
    Ok(ModuleContent::from_extension(ext, text(bytes)?).expect("a source extension"))
}

/// The worker from a main-module file, `NAME=PATH` modules and `NAME=VALUE` env entries.
fn worker_code(file: &PathBuf, modules: &[String], env: &[String]) -> Result<WorkerCode> {
    let source =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let main_name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("worker.js")
        .to_string();
    let mut code = WorkerCode::js(main_name, source);
    for spec in modules {
        let Some((name, path)) = spec.split_once('=') else {
            bail!("--module {spec:?}: expected NAME=PATH, e.g. --module lib/util.js=./util.js");
        };
        let path = PathBuf::from(path);
        code = code.with_module(name, module_from_path(name, &path)?);
    }
    for spec in env {
        let Some((name, value)) = spec.split_once('=') else {
            bail!("--env {spec:?}: expected NAME=VALUE");
        };
        code = code.with_env(name, serde_json_value(value));
    }
    Ok(code)
}

fn build_request(args: &RunArgs) -> Result<http::Request<Bytes>> {
    let mut request = http::Request::builder()
        .method(args.method.as_str())
        .uri(args.url.as_str());
    for h in &args.headers {
        let Some((k, v)) = h.split_once(':') else {
            bail!("--header {h:?}: expected 'Name: value'");
        };
        request = request.header(k.trim(), v.trim());
    }
    let body = match &args.data {
        None => Bytes::new(),
        Some(d) if d.starts_with('@') => {
            Bytes::from(std::fs::read(&d[1..]).with_context(|| format!("reading {}", &d[1..]))?)
        }
        Some(d) => Bytes::from(d.clone()),
    };
    request.body(body).context("building the request")
}

/// A `.wasm` file that starts with the wasm magic: a component made by `compile`.
fn is_component(path: &PathBuf) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .map(|_| &magic == b"\0asm")
        .unwrap_or(false)
}

async fn run(args: RunArgs) -> Result<ExitCode> {
    let request = build_request(&args)?;
    if is_component(&args.file) {
        let wasm = std::fs::read(&args.file)
            .with_context(|| format!("reading {}", args.file.display()))?;
        let component = wasm_sandbox::standalone::StandaloneComponent::new(&wasm)?;
        return match component.fetch(request).await {
            Ok(response) => print_response(&args, &response),
            Err(e) => {
                eprintln!("error: {e}");
                Ok(ExitCode::FAILURE)
            }
        };
    }
    let mut code = if args.file.is_dir() {
        let bundled = match bundle_dir(&args.file, None, &args.npm).await? {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(ExitCode::FAILURE);
            }
        };
        let mut code = WorkerCode::from_bundle(&bundled);
        for spec in &args.env {
            let Some((name, value)) = spec.split_once('=') else {
                bail!("--env {spec:?}: expected NAME=VALUE");
            };
            code = code.with_env(name, serde_json_value(value));
        }
        code
    } else {
        worker_code(&args.file, &args.modules, &args.env)?
    };
    code.limits = Some(wasm_sandbox_server::config::to_limits(
        wasm_sandbox_server::config::LimitValues {
            cpu_ms: args.cpu_ms,
            memory_mb: args.memory_mb,
            wall_ms: args.wall_ms,
        },
    ));
    if !args.allow.is_empty() {
        code.global_outbound =
            wasm_sandbox::GlobalOutbound::allow(&args.allow, &args.allow_private)
                .map_err(|e| anyhow::anyhow!("--allow/--allow-private: {e}"))?;
    } else if !args.allow_private.is_empty() {
        anyhow::bail!("--allow-private needs at least one --allow rule");
    }
    let config = Config {
        max_instances: 4,
        cache_max_workers: 1,
        ..Config::default()
    };
    let loader = Loader::new(config).await?;
    let worker = loader.load(code)?;
    let invocation = worker.entrypoint(None).fetch_traced(request).await;
    if args.logs {
        for line in &invocation.trace.logs {
            eprintln!("[{}] {}", serde_level(line.level), line.message);
        }
    }
    match invocation.result {
        Ok(response) => print_response(&args, &response),
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn print_response(args: &RunArgs, response: &http::Response<Bytes>) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    if args.include {
        let reason = response
            .extensions()
            .get::<StatusText>()
            .map(|s| s.0.clone())
            .filter(|s| !s.is_empty())
            .or_else(|| response.status().canonical_reason().map(str::to_owned))
            .unwrap_or_default();
        writeln!(out, "HTTP/1.1 {} {}", response.status().as_u16(), reason)?;
        for (k, v) in response.headers() {
            writeln!(out, "{}: {}", k, String::from_utf8_lossy(v.as_bytes()))?;
        }
        writeln!(out)?;
    }
    out.write_all(response.body())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

async fn compile(args: CompileArgs) -> Result<ExitCode> {
    let code = worker_code(&args.file, &args.modules, &args.env)?;
    let started = std::time::Instant::now();
    let wasm = match wasm_sandbox::standalone::compile(&code).await {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    std::fs::write(&args.output, &wasm)
        .with_context(|| format!("writing {}", args.output.display()))?;
    eprintln!(
        "wasm-sandbox: wrote {} ({} KiB) in {:.2}s; run it with `wasm-sandbox run {}` or `wasmtime serve -S cli {}`",
        args.output.display(),
        wasm.len() / 1024,
        started.elapsed().as_secs_f64(),
        args.output.display(),
        args.output.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// A worker directory's files: every regular file, node_modules and dot-directories skipped,
/// symlinks not followed.
fn read_dir_files(dir: &std::path::Path) -> Result<Vec<(String, Vec<u8>)>> {
    fn walk(
        root: &std::path::Path,
        dir: &std::path::Path,
        out: &mut Vec<(String, Vec<u8>)>,
    ) -> Result<()> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .collect::<std::io::Result<_>>()?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let kind = entry.file_type()?;
            if kind.is_dir() {
                if name == "node_modules" || name.starts_with('.') {
                    continue;
                }
                walk(root, &entry.path(), out)?;
            } else if kind.is_file() {
                let rel = entry.path();
                let rel = rel.strip_prefix(root).unwrap_or(&rel);
                let rel = rel.to_string_lossy().replace('\\', "/");
                out.push((rel, std::fs::read(entry.path())?));
                if out.len() > wasm_sandbox::bundle::MAX_FILES {
                    bail!(
                        "{} has more than {} files",
                        root.display(),
                        wasm_sandbox::bundle::MAX_FILES
                    );
                }
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    Ok(out)
}

/// Bundle a worker directory: the outer error is the CLI's, the inner one the worker's.
async fn bundle_dir(
    dir: &std::path::Path,
    main: Option<&str>,
    npm: &NpmArgs,
) -> Result<std::result::Result<std::sync::Arc<wasm_sandbox::Bundled>, wasm_sandbox::BundleError>> {
    let files = read_dir_files(dir)?;
    let bundler = npm.bundler()?;
    Ok(bundler
        .bundle(files.into_iter().collect(), main, None)
        .await)
}

async fn bundle(args: BundleArgs) -> Result<ExitCode> {
    use base64::Engine as _;
    let started = std::time::Instant::now();
    let bundled = match bundle_dir(&args.dir, args.main.as_deref(), &args.npm).await? {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let mut modules = serde_json::Map::new();
    for (name, content) in &bundled.modules {
        let value = match content {
            ModuleContent::Js(s) | ModuleContent::Ts(s) => serde_json::json!({ "js": s }),
            ModuleContent::Text(s) => serde_json::json!({ "text": s }),
            ModuleContent::Json(s) => serde_json::json!({
                "json": serde_json::from_str::<serde_json::Value>(s).unwrap_or(serde_json::Value::Null)
            }),
            ModuleContent::Data(b) => serde_json::json!({
                "data": base64::engine::general_purpose::STANDARD.encode(b)
            }),
        };
        modules.insert(name.clone(), value);
    }
    let worker = serde_json::json!({
        "mainModule": bundled.main_module,
        "modules": modules,
    });
    let text = serde_json::to_string_pretty(&worker)?;
    match &args.output {
        Some(path) => {
            std::fs::write(path, &text).with_context(|| format!("writing {}", path.display()))?
        }
        None => println!("{text}"),
    }
    eprintln!(
        "wasm-sandbox: bundled {} modules ({} KiB, {} packages) in {:.2}s",
        bundled.modules.len(),
        text.len() / 1024,
        bundled.lock.len(),
        started.elapsed().as_secs_f64()
    );
    for line in &bundled.lock {
        eprintln!("  {line}");
    }
    Ok(ExitCode::SUCCESS)
}

async fn deps(args: DepsArgs) -> Result<ExitCode> {
    match args.command {
        DepsCommand::Add { specs, npm } => {
            let bundler = npm.bundler()?;
            match bundler.add(&specs).await {
                Ok(lines) => {
                    for line in lines {
                        println!("{line}");
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}

fn serde_level(level: wasm_sandbox::Level) -> &'static str {
    match level {
        wasm_sandbox::Level::Debug => "debug",
        wasm_sandbox::Level::Info => "info",
        wasm_sandbox::Level::Log => "log",
        wasm_sandbox::Level::Warn => "warn",
        wasm_sandbox::Level::Error => "error",
    }
}

fn serde_json_value(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.to_owned()))
}

fn token(args: TokenArgs) -> Result<ExitCode> {
    if let Some(token) = args.hash {
        let hash: String = wasm_sandbox_server::tenants::token_hash(&token)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        println!("{hash}");
        return Ok(ExitCode::SUCCESS);
    }
    let mut bytes = [0u8; 24];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))
        .context("reading /dev/urandom")?;
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let hash: String = wasm_sandbox_server::tenants::token_hash(&token)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    println!("# the tenant's token (give it to the tenant; it is not stored anywhere):");
    println!("# {token}");
    println!("[[tenants]]");
    println!("name = {:?}", args.name);
    println!("token_sha256 = \"{hash}\"");
    Ok(ExitCode::SUCCESS)
}
