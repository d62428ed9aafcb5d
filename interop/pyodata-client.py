#!/usr/bin/env python3
"""Sends an OData V2 batch with a changeset through pyodata to `batchwire serve --demo`.

Usage: python pyodata-client.py PORT SCENARIO, where SCENARIO is

- success: a batch of a changeset that creates two People, then a GET of all People.
  Expected: both created with ids "1" and "2", and the GET lists both;
- failure: a changeset that creates one person and then one the server refuses
  ("fail": true). Expected: pyodata reports the changeset failed (the server answers it with
  the refused member's error alone); the store is checked afterwards by the caller.

The server must be fresh: its ids start at 1. pyodata reads the service's $metadata from
http://127.0.0.1:PORT/odata/v2/, builds the batch with create_batch and create_changeset, and
reads the answer. A JSON summary goes to standard output; the exit status is 1 if the answer
is not what the scenario expects, 2 on a usage error.
"""
import json
import sys

import pyodata
import requests
from pyodata.exceptions import HttpError


def main():
    if len(sys.argv) != 3 or not sys.argv[1].isdigit() or sys.argv[2] not in ("success", "failure"):
        print("usage: python pyodata-client.py PORT success|failure", file=sys.stderr)
        return 2
    port, scenario = sys.argv[1:]
    session = requests.Session()
    # Loopback never goes through a proxy, whatever the environment says.
    session.trust_env = False
    client = pyodata.Client(f"http://127.0.0.1:{port}/odata/v2/", session)
    people = client.entity_sets.People

    batch = client.create_batch()
    changeset = client.create_changeset()
    mismatches = []
    summary = {"scenario": scenario}
    if scenario == "success":
        changeset.add_request(people.create_entity().set(name="Ada Lovelace"))
        changeset.add_request(people.create_entity().set(name="Grace Hopper"))
        batch.add_request(changeset)
        batch.add_request(people.get_entities())
        created, listed = batch.execute()
        summary["created"] = [{"id": p.id, "name": p.name} for p in created]
        summary["listed"] = sorted(p.name for p in listed)
        if summary["created"] != [{"id": "1", "name": "Ada Lovelace"}, {"id": "2", "name": "Grace Hopper"}]:
            mismatches.append(f"created {summary['created']}")
        if summary["listed"] != ["Ada Lovelace", "Grace Hopper"]:
            mismatches.append(f"listed {summary['listed']}")
    else:
        changeset.add_request(people.create_entity().set(name="Rolled back"))
        changeset.add_request(people.create_entity().set(name="Refused", fail=True))
        batch.add_request(changeset)
        try:
            result = batch.execute()
            mismatches.append(f"the batch succeeded: {result}")
        except HttpError as error:
            summary["error"] = str(error)
            summary["status"] = error.response.status_code
            if error.response.status_code != 400:
                mismatches.append(f"the changeset answered {error.response.status_code}, expected 400")

    print(json.dumps(summary, indent=2))
    for mismatch in mismatches:
        print(f"pyodata-client: mismatch: {mismatch}", file=sys.stderr)
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
