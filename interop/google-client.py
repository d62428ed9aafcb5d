#!/usr/bin/env python3
"""Sends a Google batch with Google's API client for Python (google-api-python-client) to
`batchwire serve --demo`, and checks what each callback gets.

Usage: google-client.py PORT SCENARIO, where SCENARIO is

- success: two POSTs that create tasks, then a GET of the first; the callbacks get the two
  records (ids "1" and "2") and the first one again;
- failure: a GET of a task that does not exist and a POST the server refuses; the callbacks
  get an HttpError 404 NotFound and an HttpError 400 InvalidRecord.

The server must be fresh: its ids start at 1. The requests are HttpRequest objects built
directly (no discovery document), added to a BatchHttpRequest with a callback each, and sent
to http://127.0.0.1:PORT/batch. What each callback got is printed as JSON on standard output;
the exit status is 1 if it is not what the scenario expects, 2 on a usage error.
"""

import json
import sys

import httplib2
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest, HttpRequest

TASKS = "/tasks/v1/lists/batchwire/tasks"


def postproc(resp, content):
    """Decodes a JSON body, as the client's own JSON model would (nothing for an empty one)."""
    if not content:
        return None
    return json.loads(content.decode("utf-8"))


def error_of(exception):
    """The status and the `error` member of an HttpError's JSON body."""
    try:
        error = json.loads(exception.content.decode("utf-8")).get("error", {})
    except ValueError:
        error = {"unparsed": exception.content.decode("utf-8", "replace")}
    return {
        "status": exception.status_code,
        "code": error.get("code"),
        "message": error.get("message"),
    }


def main(argv):
    if len(argv) != 3 or argv[2] not in ("success", "failure"):
        print("usage: google-client.py PORT success|failure", file=sys.stderr)
        return 2
    port, scenario = int(argv[1]), argv[2]
    origin = f"http://127.0.0.1:{port}"
    # Loopback only: no proxy, whatever the environment says.
    http = httplib2.Http(timeout=30, proxy_info=None)

    def request(method, path, body=None):
        headers = {"accept": "application/json"}
        if body is not None:
            headers["content-type"] = "application/json"
            body = json.dumps(body)
        return HttpRequest(
            http, postproc, origin + path, method=method, body=body, headers=headers
        )

    got = {}

    def callback(request_id, response, exception):
        if exception is not None:
            if not isinstance(exception, HttpError):
                raise exception
            got[request_id] = {"error": error_of(exception)}
        else:
            got[request_id] = {"response": response}

    batch = BatchHttpRequest(batch_uri=f"{origin}/batch")
    if scenario == "success":
        batch.add(
            request("POST", TASKS, {"title": "Write the batch", "status": "needsAction"}),
            callback=callback,
            request_id="create-first",
        )
        batch.add(
            request("POST", TASKS, {"title": "Read the answer", "status": "needsAction"}),
            callback=callback,
            request_id="create-second",
        )
        batch.add(request("GET", f"{TASKS}/1"), callback=callback, request_id="read-first")
        expected = {
            "create-first": {
                "response": {"id": "1", "title": "Write the batch", "status": "needsAction"}
            },
            "create-second": {
                "response": {"id": "2", "title": "Read the answer", "status": "needsAction"}
            },
            "read-first": {
                "response": {"id": "1", "title": "Write the batch", "status": "needsAction"}
            },
        }
    else:
        batch.add(request("GET", f"{TASKS}/404"), callback=callback, request_id="read-missing")
        batch.add(
            request("POST", TASKS, {"title": "Refused", "fail": True}),
            callback=callback,
            request_id="create-refused",
        )
        expected = {
            "read-missing": {"error": {"status": 404, "code": "NotFound"}},
            "create-refused": {"error": {"status": 400, "code": "InvalidRecord"}},
        }
    batch.execute()

    print(json.dumps({"scenario": scenario, "callbacks": got}, indent=2, sort_keys=True))
    mismatches = []
    for request_id, want in expected.items():
        have = got.get(request_id)
        if have is None:
            mismatches.append(f"{request_id}: no callback")
            continue
        kind = next(iter(want))
        if kind not in have:
            mismatches.append(f"{request_id}: expected {kind}, got {have}")
            continue
        # The server may add members; the expected ones must be there with these values.
        for key, value in want[kind].items():
            if (have[kind] or {}).get(key) != value:
                mismatches.append(f"{request_id}: {kind}.{key} is not {value!r}: {have}")
        if kind == "error" and not have[kind].get("message"):
            mismatches.append(f"{request_id}: the error has no message: {have}")
    if set(got) != set(expected):
        mismatches.append(f"callbacks for {sorted(got)}, expected {sorted(expected)}")
    for mismatch in mismatches:
        print(f"google-client: mismatch: {mismatch}", file=sys.stderr)
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
