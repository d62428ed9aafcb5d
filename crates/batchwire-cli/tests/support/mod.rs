//! What the interop tests share: the switch that turns them on, the node packages of
//! `interop/`, and a server run as a child process on loopback, stopped by its PID.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The variable that turns the interop tests on.
pub(crate) const SWITCH: &str = "BATCHWIRE_INTEROP";

/// How long a server may take to answer.
const START_TIMEOUT: Duration = Duration::from_mins(1);

/// Whether the interop tests run; if not, says so, with what they would have run.
pub(crate) fn enabled(what: &str) -> bool {
    let on = std::env::var_os(SWITCH).is_some_and(|v| v == "1");
    if !on {
        say(&format!(
            "interop: skipped; set {SWITCH}=1 to run {what} on loopback (needs node >= 20 and npm)"
        ));
    }
    on
}

/// The `interop/` folder, with its node packages installed unless they are current (see
/// `interop/setup.js`).
pub(crate) fn interop_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../interop");
    let status = Command::new("node")
        .arg("setup.js")
        .current_dir(&dir)
        .status()
        .unwrap_or_else(|e| panic!("{SWITCH}=1 but node does not run: {e}"));
    assert!(status.success(), "node setup.js failed: {status}");
    dir
}

/// A server run as a child process, stopped by its PID when dropped, so also when a case
/// panics.
pub(crate) struct Server {
    child: Child,
    /// Its port on 127.0.0.1.
    pub(crate) port: u16,
    /// Its log file.
    pub(crate) log: PathBuf,
    name: &'static str,
}

impl Server {
    /// Starts `node ARGS` (with `{port}` in an argument replaced by a free port of 127.0.0.1)
    /// in `dir`, and waits until `ready(port)`. The port is free when asked for, but another
    /// process may take it before node binds it; the server then exits with EADDRINUSE, and
    /// another port is tried.
    #[allow(
        dead_code,
        reason = "a test crate that starts no node server does not call it"
    )]
    pub(crate) fn start(
        name: &'static str,
        dir: &Path,
        args: &[&str],
        ready: impl Fn(u16) -> bool,
    ) -> Server {
        Server::start_program(name, "node", dir, args, ready)
    }

    /// As [`Server::start`], with `program` in place of `node`. A program that is not node
    /// says that its port is taken with EADDRINUSE or with Rust's "Address already in use".
    pub(crate) fn start_program(
        name: &'static str,
        program: impl AsRef<OsStr>,
        dir: &Path,
        args: &[&str],
        ready: impl Fn(u16) -> bool,
    ) -> Server {
        for _ in 0..3 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            if let Some(server) = Server::try_start(name, program.as_ref(), dir, args, port, &ready)
            {
                return server;
            }
        }
        panic!("no free port for {name} after 3 tries");
    }

    fn try_start(
        name: &'static str,
        program: &OsStr,
        dir: &Path,
        args: &[&str],
        port: u16,
        ready: &impl Fn(u16) -> bool,
    ) -> Option<Server> {
        let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let log = tmp.join(format!("{}-{port}.log", name.to_ascii_lowercase()));
        let out = File::create(&log).expect("a log file");
        let started = Instant::now();
        let args: Vec<String> = args
            .iter()
            .map(|a| {
                a.replace("{port}", &port.to_string()).replace(
                    "{log}",
                    &log.with_extension("debug.log").display().to_string(),
                )
            })
            .collect();
        let child = Command::new(program)
            .args(&args)
            .current_dir(dir)
            // CAP's development profile mocks authentication; production would want
            // credentials.
            .env_remove("NODE_ENV")
            // The node servers here exit when this pipe closes: with the test process, however it
            // ends.
            .env("BATCHWIRE_INTEROP_STDIN_LIFELINE", "1")
            .stdin(Stdio::piped())
            .stdout(out.try_clone().expect("a log file"))
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("{name} does not start: {e}"));
        let mut server = Server {
            child,
            port,
            log,
            name,
        };
        say(&format!(
            "interop: {name} starting on 127.0.0.1:{port}, pid {}, log {}",
            server.child.id(),
            server.log.display()
        ));
        loop {
            if let Some(status) = server.child.try_wait().expect("the server's status") {
                let log = std::fs::read_to_string(&server.log).unwrap_or_default();
                if log.contains("EADDRINUSE") || log.contains("Address already in use") {
                    return None;
                }
                panic!("{name} exited ({status}) while starting:\n{log}");
            }
            if ready(port) {
                say(&format!(
                    "interop: {name} ready in {} ms",
                    started.elapsed().as_millis()
                ));
                return Some(server);
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "{name} does not answer after {START_TIMEOUT:?}; its log is {}",
                server.log.display()
            );
            thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let pid = self.child.id();
        // `Child::kill` signals this PID and no other; it fails only when the process was
        // already reaped, which `try_wait` above does when it has exited.
        let _ = self.child.kill();
        let _ = self.child.wait();
        say(&format!("interop: {} stopped (pid {pid})", self.name));
    }
}

/// Prints a line past the test harness's capture, so that it shows without `--nocapture`.
pub(crate) fn say(line: &str) {
    let _ = writeln!(io::stderr().lock(), "{line}");
}

/// An interop case: its name, and the function that runs it.
pub(crate) type Case<A> = (&'static str, fn(&A));

/// Runs each case with `arg`, printing `interop: ok <name> (<ms> ms)` or `interop: FAILED
/// <name>` (the panic message is printed by the hook; the other cases still run), and returns
/// the names of those that failed.
pub(crate) fn run_cases<A: ?Sized>(cases: &[Case<A>], arg: &A) -> Vec<&'static str> {
    let mut failed = Vec::new();
    for (name, case) in cases {
        let started = Instant::now();
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| case(arg))).is_ok() {
            let ms = started.elapsed().as_millis();
            say(&format!("interop: ok      {name} ({ms} ms)"));
        } else {
            say(&format!("interop: FAILED  {name}"));
            failed.push(*name);
        }
    }
    failed
}
