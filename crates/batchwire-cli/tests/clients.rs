//! Interop with client libraries written elsewhere, talking to `batchwire serve --demo` on
//! loopback: Microsoft's Graph JavaScript SDK (`@microsoft/microsoft-graph-client`, through
//! `interop/graph-client.mjs`), Google's API client for Python (`google-api-python-client`,
//! through `interop/google-client.py`) and the OData V2 client `pyodata` (through
//! `interop/pyodata-client.py`, reading the demo's `$metadata`).
//!
//! Each client runs a success scenario and a failure scenario, each against a fresh server, so
//! that the ids the store gives start at 1. The script builds the batch with the library's own
//! batch class, sends it, reads the answer with the library, checks it, and prints what it got
//! as JSON; the test checks that too, and then reads the store back with plain requests.
//!
//! The clients need node >= 20 and npm with the npm registry (`interop/setup.js`), and
//! Python >= 3.11 with pip and the Python Package Index (`interop/setup-python.sh`), so the
//! test runs only when `BATCHWIRE_INTEROP=1`; otherwise it prints a notice and passes.

mod support;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};
use support::Server;

use serde_json::{Value, json};

/// How long a client script may take.
const SCRIPT_TIMEOUT: Duration = Duration::from_mins(1);

/// Where the Graph scenarios keep their users: `/users` in the batch, under `/v1.0`.
const USERS: &str = "/v1.0/users";
/// Where the Google scenarios keep their tasks: absolute paths in the batch.
const TASKS: &str = "/tasks/v1/lists/batchwire/tasks";
/// Where the pyodata scenarios keep their people: the entity set of the V2 `$metadata`.
const PEOPLE: &str = "/odata/v2/People";

#[test]
fn client_libraries_batch_against_the_demo_server() {
    if !support::enabled(
        "Graph's JavaScript SDK, Google's Python client and pyodata (Python >= 3.11 too) on `serve --demo`",
    ) {
        return;
    }
    let dir = support::interop_dir();
    let status = Command::new("bash")
        .arg("setup-python.sh")
        .current_dir(&dir)
        .status()
        .unwrap_or_else(|e| panic!("bash does not run: {e}"));
    assert!(status.success(), "interop/setup-python.sh failed: {status}");

    let cases: [Case; 6] = [
        ("graph js sdk: success", graph_success),
        ("graph js sdk: failure", graph_failure),
        ("google python client: success", google_success),
        ("google python client: failure", google_failure),
        ("pyodata (OData V2): success", pyodata_success),
        ("pyodata (OData V2): failure", pyodata_failure),
    ];
    let failed = support::run_cases(&cases, &dir);
    assert!(failed.is_empty(), "interop cases failed: {failed:?}");
}

/// A case: its name, and the function that runs it with the `interop/` folder.
type Case = support::Case<Path>;

// ------------------------------------------------------------------------------------------
// The cases.

/// Two POSTs to `/users` and a GET of the first, the last two depending on the first POST:
/// 201, 201, 200, and both users are in the store afterwards.
fn graph_success(dir: &Path) {
    let demo = Demo::start(dir);
    let summary = demo.run_client(dir, Client::Graph, "success");
    assert_eq!(
        summary["statuses"],
        json!({"1": 201, "2": 201, "3": 200}),
        "{summary:#}"
    );
    assert_eq!(summary["bodies"]["1"]["id"], "1", "{summary:#}");
    assert_eq!(summary["bodies"]["2"]["id"], "2", "{summary:#}");
    assert_eq!(
        summary["bodies"]["3"], summary["bodies"]["1"],
        "{summary:#}"
    );

    for (id, name) in [("1", "Ada Lovelace"), ("2", "Grace Hopper")] {
        let (status, user) = demo.get(&format!("{USERS}/{id}"));
        assert_eq!(status, 200, "GET {USERS}/{id}: {user}");
        assert_eq!(user["id"], id, "{user}");
        assert_eq!(user["displayName"], name, "{user}");
    }
    let (status, list) = demo.get(USERS);
    assert_eq!(status, 200, "GET {USERS}: {list}");
    assert_eq!(list["value"].as_array().map(Vec::len), Some(2), "{list}");
}

/// A POST the server refuses and a second POST that depends on it: 400 `InvalidRecord` and
/// 424, and no user in the store afterwards.
fn graph_failure(dir: &Path) {
    let demo = Demo::start(dir);
    let summary = demo.run_client(dir, Client::Graph, "failure");
    assert_eq!(
        summary["statuses"],
        json!({"1": 400, "2": 424}),
        "{summary:#}"
    );
    assert_eq!(
        summary["bodies"]["1"]["error"]["code"], "InvalidRecord",
        "{summary:#}"
    );

    for id in ["1", "2"] {
        let (status, body) = demo.get(&format!("{USERS}/{id}"));
        assert_eq!(status, 404, "GET {USERS}/{id}: {body}");
        assert_eq!(body["error"]["code"], "NotFound", "{body}");
    }
}

/// Two POSTs that create tasks and a GET of the first: each callback gets its record, and both
/// tasks are in the store afterwards.
fn google_success(dir: &Path) {
    let demo = Demo::start(dir);
    let summary = demo.run_client(dir, Client::Google, "success");
    let callbacks = &summary["callbacks"];
    assert_eq!(
        callbacks["create-first"]["response"]["id"], "1",
        "{summary:#}"
    );
    assert_eq!(
        callbacks["create-second"]["response"]["id"], "2",
        "{summary:#}"
    );
    assert_eq!(
        callbacks["read-first"]["response"], callbacks["create-first"]["response"],
        "{summary:#}"
    );

    for (id, title) in [("1", "Write the batch"), ("2", "Read the answer")] {
        let (status, task) = demo.get(&format!("{TASKS}/{id}"));
        assert_eq!(status, 200, "GET {TASKS}/{id}: {task}");
        assert_eq!(task["title"], title, "{task}");
    }
    let (status, list) = demo.get(TASKS);
    assert_eq!(status, 200, "GET {TASKS}: {list}");
    assert_eq!(list["value"].as_array().map(Vec::len), Some(2), "{list}");
}

/// A GET of a task that does not exist and a POST the server refuses: the callbacks get an
/// `HttpError` 404 `NotFound` and an `HttpError` 400 `InvalidRecord`, and nothing is stored.
fn google_failure(dir: &Path) {
    let demo = Demo::start(dir);
    let summary = demo.run_client(dir, Client::Google, "failure");
    let callbacks = &summary["callbacks"];
    for (id, status, code) in [
        ("read-missing", 404, "NotFound"),
        ("create-refused", 400, "InvalidRecord"),
    ] {
        assert_eq!(callbacks[id]["error"]["status"], status, "{summary:#}");
        assert_eq!(callbacks[id]["error"]["code"], code, "{summary:#}");
    }

    let (status, body) = demo.get(&format!("{TASKS}/1"));
    assert_eq!(status, 404, "GET {TASKS}/1: {body}");
}

/// A changeset that creates two people, then a GET of them all: pyodata reads both created
/// entities from the changeset's answer and the list from the GET, and both are stored.
fn pyodata_success(dir: &Path) {
    let demo = Demo::start(dir);
    let summary = demo.run_client(dir, Client::Pyodata, "success");
    assert_eq!(
        summary["created"],
        json!([{"id": "1", "name": "Ada Lovelace"}, {"id": "2", "name": "Grace Hopper"}]),
        "{summary:#}"
    );
    assert_eq!(
        summary["listed"],
        json!(["Ada Lovelace", "Grace Hopper"]),
        "{summary:#}"
    );
    let (status, list) = demo.get(PEOPLE);
    assert_eq!(status, 200, "GET {PEOPLE}: {list}");
    assert_eq!(
        list["d"]["results"].as_array().map(Vec::len),
        Some(2),
        "{list}"
    );
}

/// A changeset whose second member the server refuses: pyodata reports the changeset failed
/// with the refused member's 400, and the first member was rolled back.
fn pyodata_failure(dir: &Path) {
    let demo = Demo::start(dir);
    let summary = demo.run_client(dir, Client::Pyodata, "failure");
    assert_eq!(summary["status"], 400, "{summary:#}");
    let (status, body) = demo.get(PEOPLE);
    assert_eq!(status, 404, "GET {PEOPLE} after the rollback: {body}");
}

// ------------------------------------------------------------------------------------------
// The server and the clients.

/// A client script of `interop/`.
#[derive(Debug, Clone, Copy)]
enum Client {
    /// `node graph-client.mjs PORT SCENARIO`
    Graph,
    /// `.venv/bin/python google-client.py PORT SCENARIO`
    Google,
    /// `.venv/bin/python pyodata-client.py PORT SCENARIO`
    Pyodata,
}

/// `batchwire serve --demo` on a free port of 127.0.0.1, with an HTTP client for reading its
/// store back.
struct Demo {
    server: Server,
    agent: ureq::Agent,
}

impl Demo {
    fn start(dir: &Path) -> Demo {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // Loopback never goes through a proxy, whatever the environment says.
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .new_agent();
        let server = Server::start_program(
            "batchwire-serve",
            env!("CARGO_BIN_EXE_batchwire"),
            dir,
            &["serve", "--demo", "--listen", "127.0.0.1:{port}"],
            // Any answer of the store will do: an empty collection is a 404.
            |port| {
                get(&agent, port, USERS).is_some_and(|(status, body)| {
                    matches!(status, 200 | 404) && body.get("error").or(body.get("value")).is_some()
                })
            },
        );
        let log = std::fs::read_to_string(&server.log).unwrap_or_default();
        let first = log.lines().next().unwrap_or_default();
        assert_eq!(
            first,
            format!("listening on http://127.0.0.1:{}", server.port),
            "the first line of {}",
            server.log.display()
        );
        Demo { server, agent }
    }

    /// `GET path`: the status and the JSON body.
    fn get(&self, path: &str) -> (u16, Value) {
        get(&self.agent, self.server.port, path)
            .unwrap_or_else(|| panic!("GET {path} has no JSON answer"))
    }

    /// Runs the client script for `scenario`, which must exit with 0 (the script checks the
    /// answer too), and returns the JSON it printed.
    fn run_client(&self, dir: &Path, client: Client, scenario: &str) -> Value {
        let (program, script) = match client {
            Client::Graph => (PathBuf::from("node"), "graph-client.mjs"),
            Client::Google => (dir.join(".venv/bin/python"), "google-client.py"),
            Client::Pyodata => (dir.join(".venv/bin/python"), "pyodata-client.py"),
        };
        let port = self.server.port.to_string();
        let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let stem = format!("{}-{scenario}-{port}", script.replace('.', "-"));
        let (stdout, stderr) = (
            tmp.join(format!("{stem}.stdout")),
            tmp.join(format!("{stem}.stderr")),
        );
        let mut child = Command::new(&program)
            .args([script, &port, scenario])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(File::create(&stdout).expect("a file for standard output"))
            .stderr(File::create(&stderr).expect("a file for standard error"))
            .spawn()
            .unwrap_or_else(|e| panic!("{} does not start: {e}", program.display()));
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("the script's status") {
                break status;
            }
            if started.elapsed() > SCRIPT_TIMEOUT {
                // `Child::kill` signals this PID and no other.
                let _ = child.kill();
                let _ = child.wait();
                panic!("{script} {scenario} did not end in {SCRIPT_TIMEOUT:?}");
            }
            thread::sleep(Duration::from_millis(50));
        };
        let out = std::fs::read_to_string(&stdout).unwrap_or_default();
        let err = std::fs::read_to_string(&stderr).unwrap_or_default();
        let log = std::fs::read_to_string(&self.server.log).unwrap_or_default();
        assert!(
            status.success(),
            "{script} {scenario}: {status}\n--- stdout\n{out}--- stderr\n{err}--- server log\n{log}"
        );
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("{script} {scenario} printed no JSON ({e}):\n{out}"))
    }
}

/// `GET path` on the demo server: the status and the JSON body, or nothing if there is no
/// answer or it is not JSON.
fn get(agent: &ureq::Agent, port: u16, path: &str) -> Option<(u16, Value)> {
    let mut response = agent
        .get(format!("http://127.0.0.1:{port}{path}"))
        .call()
        .ok()?;
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_vec().ok()?;
    Some((status, serde_json::from_slice(&body).ok()?))
}
