#!/usr/bin/env python3
"""Writes batchwire's own multipart fixtures: the *.batch payloads and MANIFEST.toml.

Run from anywhere:  python3 generate.py        (writes next to this file)
                    python3 generate.py --check (verifies the files on disk, writes nothing)

Every payload is built here from byte strings, so CRLF, bare LF, BOM and binary bytes are
exact. Nothing in the manifest is typed by hand that can be computed: after building a
payload the script reads it back with a small, independent reference reader (RFC 2046
delimiting, embedded HTTP messages), checks the reading against the shape the case declares
(methods, URLs, statuses, Content-IDs), and takes body_len, content_length and the cut body
from that reading. Error offsets of invalid cases are found by searching the payload for the
marker the case names, never counted by hand.

The manifest schema is the one of shared/corpus/odata/MANIFEST.toml (see the comment block
this script writes at the top of MANIFEST.toml), plus `dialect`, `error_kind`, `error_offset`.
"""

import hashlib
import json
import os
import re
import sys
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
CRLF = "\r\n"
BOM = b"\xef\xbb\xbf"


# --------------------------------------------------------------------------------------------
# Builders. A message or part never ends with a line break of its own: the line break before
# the next delimiter belongs to that delimiter (RFC 2046 5.1.1).
# --------------------------------------------------------------------------------------------

def enc(x):
    return x if isinstance(x, bytes) else x.encode("utf-8")


def msg(start, headers=(), body=None, *, blank=True, eol=CRLF):
    """An embedded HTTP message. A header "Content-Length: {len}" gets the body's byte length.

    blank=False leaves out the empty line after the headers (allowed only without a body): the
    header section then ends at the end of the part, as in the spec's own examples.
    """
    b = enc(body) if body is not None else b""
    if not blank:
        assert not b
    out = enc(start) + enc(eol)
    for h in headers:
        out += enc(h.replace("{len}", str(len(b)))) + enc(eol)
    if blank:
        out += enc(eol)
    return out + b


def part(mime_headers, message, *, eol=CRLF):
    """A body part: MIME headers, the empty line, the embedded message."""
    return b"".join(enc(h) + enc(eol) for h in mime_headers) + enc(eol) + message


def multipart(boundary, parts, *, eol=CRLF, preamble=None, epilogue=b"", close=True,
              pad="", close_pad="", final_eol=True):
    """A multipart body: [preamble EOL] (--b pad EOL part EOL)* --b-- pad [EOL] [epilogue]."""
    e = enc(eol)
    out = b""
    if preamble is not None:
        out += enc(preamble) + e
    for p in parts:
        out += b"--" + enc(boundary) + enc(pad) + e + p + e
    if close:
        out += b"--" + enc(boundary) + b"--" + enc(close_pad)
        if final_eol:
            out += e
        out += enc(epilogue)
    return out


def changeset(mime_headers, boundary, parts, *, eol=CRLF, final_eol=True, **kw):
    """A changeset body part: MIME headers, the empty line, a nested multipart.

    final_eol=False: the changeset's close delimiter is followed directly by the outer
    delimiter's line break (`--cs--CRLF--batch`), as CAP writes it; with True there is an
    empty line between them (`--cs--CRLF CRLF--batch`).
    """
    return part(mime_headers, multipart(boundary, parts, eol=eol, final_eol=final_eol, **kw), eol=eol)


HTTP_PART = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"]


def http_part(*extra):
    return HTTP_PART + list(extra)


# --------------------------------------------------------------------------------------------
# Reference reader (independent of the builders): lines end at CRLF, or at LF when the case
# is read leniently; a delimiter line is `--boundary` [`--`] transport-padding at the start of
# the multipart body or after a line break, and that line break belongs to it.
# --------------------------------------------------------------------------------------------

class ReadError(Exception):
    pass


def lines_of(data, start, end):
    pos = start
    while pos < end:
        nl = data.find(b"\n", pos, end)
        if nl < 0:
            yield pos, end, end, b""
            return
        if nl > pos and data[nl - 1] == 0x0D:
            yield pos, nl - 1, nl + 1, b"\r\n"
        else:
            yield pos, nl, nl + 1, b"\n"
        pos = nl + 1


def boundary_of(content_type):
    m = re.search(r';\s*boundary=("([^"]*)"|[^;\s]+)', content_type, re.I)
    if not m:
        return None
    return m.group(2) if m.group(2) is not None else m.group(1)


def split_multipart(data, start, end, boundary, allow_no_close):
    d = b"--" + boundary.encode()
    delims = []
    for ls, ce, nx, _ in lines_of(data, start, end):
        line = data[ls:ce]
        if not line.startswith(d):
            continue
        rest = line[len(d):]
        close = rest.startswith(b"--")
        if close:
            rest = rest[2:]
        if rest.strip(b" \t"):
            continue  # delimiter-like text: body text (lenient reading)
        brk = 0 if ls == start else (2 if data[ls - 2:ls] == b"\r\n" else 1)
        delims.append((ls, nx, close, brk))
        if close:
            break
    if not delims:
        raise ReadError("no delimiter")
    closed = delims[-1][2]
    if not closed and not allow_no_close:
        raise ReadError("no close delimiter")
    parts = []
    for i, (ls, nx, close, brk) in enumerate(delims):
        if close:
            break
        if i + 1 < len(delims):
            nls, _, _, nbrk = delims[i + 1]
            parts.append((nx, nls - nbrk))
        else:
            parts.append((nx, end))
    return parts, closed


def read_headers(data, pos, end):
    """Header lines up to the empty line. Returns (headers, body_start, had_empty_line)."""
    headers = []
    last_eol = b""
    for ls, ce, nx, eol in lines_of(data, pos, end):
        if ce == ls:
            return headers, nx, True
        line = data[ls:ce].decode("utf-8")
        if ":" not in line:
            raise ReadError(f"header line without colon at {ls}: {line!r}")
        name, value = line.split(":", 1)
        headers.append((name, value.strip(" \t")))
        last_eol = eol
    if headers and not last_eol:
        raise ReadError("header section cut off by the delimiter")
    return headers, end, False


def find(headers, name):
    for n, v in headers:
        if n.lower() == name:
            return v
    return None


def read_part(data, ps, pe, allow_no_close, depth=0):
    part_headers, body_start, had_empty = read_headers(data, ps, pe)
    if not had_empty:
        raise ReadError("part headers not ended by an empty line")
    ctype = find(part_headers, "content-type") or ""
    if ctype.lower().startswith("multipart/mixed"):
        if depth > 0:
            raise ReadError("nested changeset")
        bnd = boundary_of(ctype)
        parts, _ = split_multipart(data, body_start, pe, bnd, allow_no_close)
        return {
            "kind": "changeset",
            "part_headers": part_headers,
            "ops": [read_part(data, s, e, allow_no_close, depth + 1) for s, e in parts],
        }
    if ctype.lower() != "application/http":
        raise ReadError(f"unexpected part content type {ctype!r}")
    lines = lines_of(data, body_start, pe)
    ls, ce, nx, _ = next(lines)
    start_line = data[ls:ce].decode("utf-8")
    headers, mbody_start, had_empty = read_headers(data, nx, pe)
    raw = data[mbody_start:pe] if had_empty else b""
    op = {"kind": "operation", "part_headers": part_headers, "headers": headers, "raw": raw}
    if start_line.startswith("HTTP/"):
        m = re.fullmatch(r"HTTP/\d\.\d (\d{3})(?: (.*))?", start_line)
        if not m:
            raise ReadError(f"bad status line {start_line!r}")
        op["status"] = int(m.group(1))
        op["reason"] = m.group(2)
    else:
        # The version may be missing (lenient reading, as Google's samples write it).
        m = re.fullmatch(r"([A-Z]+) (\S+)(?: HTTP/\d\.\d)?", start_line)
        if not m:
            raise ReadError(f"bad request line {start_line!r}")
        op["method"], op["url"] = m.group(1), m.group(2)
    cl = find(headers, "content-length")
    op["content_length"] = cl
    body = raw
    if cl is not None and int(cl) < len(raw):
        body = raw[: int(cl)]
    op["body"] = body
    op["content_id"] = find(part_headers, "content-id")
    op["http_content_id"] = find(headers, "content-id")
    return op


def read_batch(data, boundary, start=0, allow_no_close=False):
    parts, _ = split_multipart(data, start, len(data), boundary, allow_no_close)
    return [read_part(data, s, e, allow_no_close) for s, e in parts]


def check_shape(items, expect, where):
    """expect: ("GET", url[, cid]) | (status[, cid]) | ("changeset", [ ... ])."""
    assert len(items) == len(expect), f"{where}: {len(items)} items, expected {len(expect)}"
    for i, (it, ex) in enumerate(zip(items, expect)):
        w = f"{where}[{i}]"
        if ex[0] == "changeset":
            assert it["kind"] == "changeset", w
            check_shape(it["ops"], ex[1], w)
            continue
        assert it["kind"] == "operation", w
        if isinstance(ex[0], int):
            assert it.get("status") == ex[0], (w, it.get("status"), ex)
            rest = ex[1:]
        else:
            assert (it.get("method"), it.get("url")) == (ex[0], ex[1]), (w, it.get("method"), it.get("url"), ex)
            rest = ex[2:]
        if rest:
            got = it["content_id"] if it["content_id"] is not None else it["http_content_id"]
            assert got == rest[0], (w, got, rest[0])


# --------------------------------------------------------------------------------------------
# The cases.
# --------------------------------------------------------------------------------------------

CASES = []


def case(name, direction, data, **kw):
    c = dict(name=name, direction=direction, data=data)
    c.update(kw)
    CASES.append(c)
    return data


def json_body(obj):
    return json.dumps(obj, separators=(",", ":"))


V4 = ["OData-Version: 4.0"]

# 1. V4 request: two GETs, a changeset with Content-IDs and a $1 reference, a GET after it.
B = "batch_7d3f0b2e-4a1c"
CS = "changeset_1a9c5e77"
case("v4-gets-and-changeset", "request", multipart(B, [
    part(HTTP_PART, msg("GET Customers?$top=2&$select=ID,name HTTP/1.1",
                        ["Accept: application/json"] + V4)),
    part(HTTP_PART, msg("GET Customers(1)/orders/$count HTTP/1.1",
                        ["Accept: text/plain"] + V4, blank=False)),
    changeset([f"Content-Type: multipart/mixed; boundary={CS}"], CS, [
        part(http_part("Content-ID: 1"), msg("POST Customers HTTP/1.1",
             ["Content-Type: application/json", "Accept: application/json"] + V4 + ["Content-Length: {len}"],
             json_body({"ID": 10, "name": "Barbara", "email": "barbara@example.org"}))),
        part(http_part("Content-ID: 2"), msg("POST $1/orders HTTP/1.1",
             ["Content-Type: application/json", "Accept: application/json"] + V4 + ["Content-Length: {len}"],
             json_body({"ID": 200, "amount": 42.5}))),
    ], final_eol=False),
    part(HTTP_PART, msg("GET Customers(10)?$expand=orders HTTP/1.1", ["Accept: application/json"] + V4)),
]), odata_version=4, content_type=f"multipart/mixed; boundary={B}", dialect="odata-v4",
    expect=[("GET", "Customers?$top=2&$select=ID,name"), ("GET", "Customers(1)/orders/$count"),
            ("changeset", [("POST", "Customers", "1"), ("POST", "$1/orders", "2")]),
            ("GET", "Customers(10)?$expand=orders")],
    notes="The second GET has no empty line after its headers: its header section ends with the part "
          "(the CRLF before the delimiter belongs to the delimiter), as in the spec's examples. The "
          "changeset's close delimiter is followed at once by the outer delimiter (`--cs--CRLF--batch`).")

# 2. V4 response to case 1: 200, 200, changeset of 201s with Location, 200.
B = "batchresponse_7d3f0b2e-4a1c"
CS = "changesetresponse_1a9c5e77"
case("v4-changeset-created", "response", multipart(B, [
    part(HTTP_PART, msg("HTTP/1.1 200 OK",
         ["Content-Type: application/json;odata.metadata=minimal", "OData-Version: 4.0", "Content-Length: {len}"],
         json_body({"@odata.context": "$metadata#Customers(ID,name)",
                    "value": [{"ID": 1, "name": "Ada"}, {"ID": 2, "name": "Grace"}]}))),
    part(HTTP_PART, msg("HTTP/1.1 200 OK",
         ["Content-Type: text/plain", "OData-Version: 4.0", "Content-Length: {len}"], "2")),
    changeset([f"Content-Type: multipart/mixed; boundary={CS}"], CS, [
        part(http_part("Content-ID: 1"), msg("HTTP/1.1 201 Created",
             ["Content-Type: application/json;odata.metadata=minimal", "Location: Customers(10)",
              "OData-EntityId: Customers(10)"] + V4 + ["Content-Length: {len}"],
             json_body({"@odata.context": "$metadata#Customers/$entity", "ID": 10, "name": "Barbara",
                        "email": "barbara@example.org"}))),
        part(http_part("Content-ID: 2"), msg("HTTP/1.1 201 Created",
             ["Content-Type: application/json;odata.metadata=minimal", "Location: Orders(200)"] + V4
             + ["Content-Length: {len}"],
             json_body({"@odata.context": "../$metadata#Orders/$entity", "ID": 200, "customer_ID": 10,
                        "amount": 42.5}))),
    ], final_eol=False),
    part(HTTP_PART, msg("HTTP/1.1 200 OK",
         ["Content-Type: application/json;odata.metadata=minimal"] + V4 + ["Content-Length: {len}"],
         json_body({"@odata.context": "$metadata#Customers(orders())/$entity", "ID": 10, "name": "Barbara",
                    "orders": [{"ID": 200, "amount": 42.5}]}))),
]), odata_version=4, content_type=f"multipart/mixed; boundary={B}", dialect="odata-v4",
    expect=[(200,), (200,), ("changeset", [(201, "1"), (201, "2")]), (200,)])

# 3. V2 request with DataServiceVersion headers; MERGE and DELETE in the changeset.
B = "batch_v2-5c1e9f"
CS = "changeset_v2-8a0d41"
DSV2 = ["DataServiceVersion: 2.0", "MaxDataServiceVersion: 2.0"]
case("v2-query-and-changeset", "request", multipart(B, [
    part(HTTP_PART, msg("GET Products(1)?$format=json HTTP/1.1", ["Accept: application/json"] + DSV2)),
    changeset([f"Content-Type: multipart/mixed; boundary={CS}"], CS, [
        part(http_part("Content-ID: 1"), msg("POST Products HTTP/1.1",
             ["Content-Type: application/json", "Accept: application/json"] + DSV2 + ["Content-Length: {len}"],
             json_body({"ID": 7, "Name": "Chai", "Price": "18.00"}))),
        part(http_part("Content-ID: 2"), msg("MERGE $1 HTTP/1.1",
             ["Content-Type: application/json", "DataServiceVersion: 1.0", "Content-Length: {len}"],
             json_body({"Price": "19.50"}))),
        part(http_part("Content-ID: 3"), msg("DELETE Products(3) HTTP/1.1",
             ["DataServiceVersion: 1.0"], blank=False)),
    ]),
]), odata_version=2, content_type=f"multipart/mixed; boundary={B}", dialect="odata-v2",
    expect=[("GET", "Products(1)?$format=json"),
            ("changeset", [("POST", "Products", "1"), ("MERGE", "$1", "2"), ("DELETE", "Products(3)", "3")])],
    notes="MERGE is a V2 method. The changeset's close delimiter is followed by an empty line before the "
          "outer close delimiter.")

# 4. V2 response with DataServiceVersion headers, Content-ID echoed in the embedded response too.
B = "batchresponse_v2-5c1e9f"
CS = "changesetresponse_v2-8a0d41"
case("v2-query-and-changeset", "response", multipart(B, [
    part(HTTP_PART, msg("HTTP/1.1 200 OK",
         ["Content-Type: application/json;charset=utf-8", "DataServiceVersion: 1.0", "Content-Length: {len}"],
         json_body({"d": {"__metadata": {"uri": "http://localhost/Service.svc/Products(1)",
                                         "type": "Demo.Product"}, "ID": 1, "Name": "Bread", "Price": "2.50"}}))),
    changeset([f"Content-Type: multipart/mixed; boundary={CS}"], CS, [
        part(http_part("Content-ID: 1"), msg("HTTP/1.1 201 Created",
             ["Content-Type: application/json;charset=utf-8", "Location: http://localhost/Service.svc/Products(7)",
              "DataServiceVersion: 1.0", "Content-ID: 1", "Content-Length: {len}"],
             json_body({"d": {"__metadata": {"uri": "http://localhost/Service.svc/Products(7)",
                                             "type": "Demo.Product"}, "ID": 7, "Name": "Chai", "Price": "18.00"}}))),
        part(http_part("Content-ID: 2"), msg("HTTP/1.1 204 No Content", ["DataServiceVersion: 1.0", "Content-ID: 2"])),
        part(http_part("Content-ID: 3"), msg("HTTP/1.1 204 No Content", ["DataServiceVersion: 1.0"], blank=False)),
    ]),
]), odata_version=2, content_type=f"multipart/mixed; boundary={B}", dialect="odata-v2",
    expect=[(200,), ("changeset", [(201, "1"), (204, "2"), (204, "3")])],
    notes="The V2 style of echoing the Content-ID twice: as the MIME part header and as a header of the "
          "embedded response (same value, so http_content_id is not listed).")

# 5. Status lines without reason phrase.
B = "batchresponse_noreason"
case("status-line-without-reason", "response", multipart(B, [
    part(HTTP_PART, msg("HTTP/1.1 200",
         ["Content-Type: application/json"] + V4 + ["Content-Length: {len}"], json_body({"ID": 1, "name": "Ada"}))),
    part(HTTP_PART, msg("HTTP/1.1 204", V4)),
    part(HTTP_PART, msg("HTTP/1.1 404 ",
         ["Content-Type: application/json"] + V4 + ["Content-Length: {len}"],
         json_body({"error": {"code": "404", "message": "Not Found"}}))),
]), odata_version=4, content_type=f"multipart/mixed; boundary={B}",
    expect=[(200,), (204,), (404,)],
    notes="`HTTP/1.1 200` and `HTTP/1.1 204` end after the status code (no SP, no reason: reason is absent, "
          "null in inspect --json); `HTTP/1.1 404 ` has the SP and an empty reason (reason = \"\"). RFC 9112 "
          "writes the SP as required, but recipients accept both; so do both batchwire modes.")

# 6. Body lines that start with `--` but not with the boundary.
B = "batch_42"
DASH_TEXT = CRLF.join([
    "-- a comment line in the style of SQL",
    "--",
    "----",
    "--batch_4",
    "--Batch_42",
    "-batch_42",
    "x--batch_42",
    " --batch_42",
    "--batch-42",
])
case("body-lines-start-with-dashes", "request", multipart(B, [
    part(HTTP_PART, msg("POST Notes HTTP/1.1",
         ["Content-Type: text/plain;charset=utf-8"] + V4 + ["Content-Length: {len}"], DASH_TEXT)),
    part(HTTP_PART, msg("GET Notes?$top=1 HTTP/1.1", ["Accept: application/json"] + V4)),
]), odata_version=4, content_type=f"multipart/mixed; boundary={B}",
    expect=[("POST", "Notes"), ("GET", "Notes?$top=1")],
    notes="Every body line starts with `--` or contains the boundary, but none starts with `--batch_42`: "
          "`--batch_4` is a prefix of the delimiter, `--Batch_42` differs in case (boundaries are "
          "case-sensitive), ` --batch_42` starts with a space, `x--batch_42` has the delimiter inside the line. "
          "All of it is body text in both modes.")

# 7. A body line that starts with the delimiter, then other text (lenient only).
B = "batch_42"
LIKE_TEXT = CRLF.join([
    "first line",
    "--batch_42x is not a delimiter: the boundary is followed by other text",
    "--batch_42 and neither is this line",
    "last line",
])
data = case("lenient-delimiter-like-line", "request", multipart(B, [
    part(HTTP_PART, msg("POST Notes HTTP/1.1",
         ["Content-Type: text/plain;charset=utf-8"] + V4 + ["Content-Length: {len}"], LIKE_TEXT)),
    part(HTTP_PART, msg("GET Notes?$top=1 HTTP/1.1", ["Accept: application/json"] + V4)),
]), odata_version=4, content_type=f"multipart/mixed; boundary={B}", lenient=True,
    expect=[("POST", "Notes"), ("GET", "Notes?$top=1")],
    why_invalid="body lines start with the delimiter `--batch_42` and go on with other text (RFC 2046 5.1.1: the "
                "boundary must not appear in the body; strict mode rejects it)",
    error_kind="delimiter-like line", error_at=b"--batch_42x",
    notes="Lenient mode reads both lines as body text and reports each (tolerance: line starting with the "
          "delimiter then other text).")

# 8. Binary body with NUL, 0xFF, CR, LF and `--` bytes.
B = "batch_bin-0f9e"
BINARY = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
          b"\xff\x00\xff\xfe\xfd\r\n--\x00\xff\r\n-\n--x\x00" + bytes(range(0xf0, 0x100)) + b"\x00\xff")
case("binary-body", "request", multipart(B, [
    part(HTTP_PART, msg("PUT Photos(1)/$value HTTP/1.1",
         ["Content-Type: application/octet-stream"] + V4 + ["Content-Length: {len}"], BINARY)),
    part(HTTP_PART, msg("GET Photos(1) HTTP/1.1", ["Accept: application/json"] + V4)),
]), odata_version=4, content_type=f"multipart/mixed; boundary={B}",
    expect=[("PUT", "Photos(1)/$value"), ("GET", "Photos(1)")],
    notes="The body holds NUL, 0xFF, CR, bare LF (body bytes, not line breaks: the framing is all CRLF), "
          "`CRLF--` followed by other bytes, and ends in 0xFF. Not valid UTF-8: inspect --json shows body_base64.")

# 9. Bare LF everywhere (lenient).
B = "batch_lf"
CS = "changeset_lf"
case("lenient-bare-lf", "request", multipart(B, [
    part(HTTP_PART, msg("GET Customers(1) HTTP/1.1", ["Accept: application/json"] + V4, eol="\n"), eol="\n"),
    changeset([f"Content-Type: multipart/mixed; boundary={CS}"], CS, [
        part(http_part("Content-ID: 1"), msg("POST Customers HTTP/1.1",
             ["Content-Type: application/json"] + V4 + ["Content-Length: {len}"],
             json_body({"ID": 11, "name": "Linus"}), eol="\n"), eol="\n"),
    ], eol="\n"),
], eol="\n"), odata_version=4, content_type=f"multipart/mixed; boundary={B}", lenient=True, lf=True,
    expect=[("GET", "Customers(1)"), ("changeset", [("POST", "Customers", "1")])],
    why_invalid="every line ends in a bare LF (RFC 2046 and RFC 9112 want CRLF)",
    error_kind="bare LF line break", error_at=b"\n",
    body_len_basis="LF is the line break: the LF before a delimiter belongs to the delimiter",
    notes="error_offset is the first bare LF (the end of the first delimiter line); lenient mode reports the "
          "tolerance once, there.")

# 10. Mixed CRLF and LF (lenient).
B = "batchresponse_mixed"
raw = multipart(B, [
    part(HTTP_PART, msg("HTTP/1.1 200 OK",
         ["Content-Type: application/json"] + V4 + ["Content-Length: {len}"], json_body({"ID": 1, "name": "Ada"}))),
    part(HTTP_PART, msg("HTTP/1.1 200 OK",
         ["Content-Type: application/json"] + V4 + ["Content-Length: {len}"], json_body({"ID": 2, "name": "Grace"}))),
])
# Make three line breaks bare LF: a MIME header line of the second part, the empty line after the
# embedded headers of the second part, and the line break before the close delimiter.
second = raw.index(b"--" + B.encode() + b"\r\n", 1)
i = raw.index(b"Content-Type: application/http\r\n", second) + len(b"Content-Type: application/http")
raw = raw[:i] + b"\n" + raw[i + 2:]
i = raw.index(b"\r\n\r\n{\"ID\":2") + 2
raw = raw[:i] + b"\n" + raw[i + 2:]
i = raw.index(b"\r\n--" + B.encode() + b"--")
raw = raw[:i] + b"\n" + raw[i + 2:]
case("lenient-mixed-line-breaks", "response", raw, odata_version=4,
     content_type=f"multipart/mixed; boundary={B}", lenient=True, lf=True,
     expect=[(200,), (200,)],
     why_invalid="three line breaks are bare LF in an otherwise CRLF payload",
     error_kind="bare LF line break", error_at=b"application/http\n",
     error_at_delta=len(b"application/http"),
     body_len_basis="CRLF and LF are both line breaks; the one before a delimiter belongs to the delimiter",
     notes="Bare LF at: the Content-Type line of the second part, the empty line after the second part's embedded "
           "headers, and the line break before the close delimiter. error_offset is the first of them.")

# 11. No close delimiter (lenient).
B = "batch_noclose"
case("lenient-missing-close-delimiter", "request", multipart(B, [
    part(HTTP_PART, msg("GET Customers(1) HTTP/1.1", ["Accept: application/json"] + V4)),
    part(HTTP_PART, msg("GET Customers(2) HTTP/1.1", ["Accept: application/json"] + V4)),
], close=False)[:-2], odata_version=4, content_type=f"multipart/mixed; boundary={B}", lenient=True, allow_no_close=True,
    expect=[("GET", "Customers(1)"), ("GET", "Customers(2)")],
    why_invalid="the input ends without the close delimiter `--batch_noclose--`",
    error_kind="missing close delimiter", error_at="END",
    notes="The input ends with the empty line after the last GET's headers and nothing after it, so the last "
          "body is empty whether or not a reader takes the final CRLF as the line break of a missing delimiter. "
          "error_offset is the end of input.")

# 12. Empty changeset (lenient).
B = "batch_emptycs"
CS = "changeset_empty"
case("lenient-empty-changeset", "request", multipart(B, [
    part(HTTP_PART, msg("GET Customers(1) HTTP/1.1", ["Accept: application/json"] + V4)),
    changeset([f"Content-Type: multipart/mixed; boundary={CS}"], CS, [], final_eol=False),
    part(HTTP_PART, msg("GET Customers(2) HTTP/1.1", ["Accept: application/json"] + V4)),
]), odata_version=4, content_type=f"multipart/mixed; boundary={B}", lenient=True,
    expect=[("GET", "Customers(1)"), ("changeset", []), ("GET", "Customers(2)")],
    why_invalid="the changeset has no body part: its close delimiter follows the empty line after its part "
                "headers (RFC 2046 wants at least one body part)",
    error_kind="empty multipart", error_at=b"--changeset_empty--",
    notes="Lenient mode reads an empty group and reports it.")

# 13. Preamble and epilogue, in the batch and in the changeset.
B = "batch_pre-epi"
CS = "changeset_pre-epi"
case("preamble-epilogue", "request", multipart(B, [
    part(HTTP_PART, msg("GET Customers(1) HTTP/1.1", ["Accept: application/json"] + V4)),
    changeset([f"Content-Type: multipart/mixed; boundary={CS}"], CS, [
        part(http_part("Content-ID: 1"), msg("DELETE Orders(100) HTTP/1.1", V4, blank=False)),
    ], preamble="changeset preamble: ignored", epilogue=b"changeset epilogue: ignored\r\n", final_eol=True),
], preamble="This is the preamble of a multipart batch. Readers ignore it.\r\nIt may span lines, and "
            "may even hold -- dashes.",
   epilogue=b"\r\nThis epilogue is ignored as well.\r\n"),
    odata_version=4, content_type=f"multipart/mixed; boundary={B}",
    expect=[("GET", "Customers(1)"), ("changeset", [("DELETE", "Orders(100)", "1")])],
    notes="Preamble and epilogue text both in the batch and in the changeset; none of it is part of any item.")

# 14. Quoted boundary with spaces, `=` and `:`.
B = "batch one=two:three 4"
CS = "change set=1:a b"
case("quoted-boundary-specials", "request", multipart(B, [
    part(HTTP_PART, msg("GET Customers(1) HTTP/1.1", ["Accept: application/json"] + V4)),
    changeset([f'Content-Type: multipart/mixed; boundary="{CS}"'], CS, [
        part(http_part("Content-ID: 1"), msg("PATCH Customers(1) HTTP/1.1",
             ["Content-Type: application/json"] + V4 + ["Content-Length: {len}"], json_body({"name": "Ada L."}))),
    ], final_eol=False),
]), odata_version=4, content_type=f'multipart/mixed; boundary="{B}"',
    expect=[("GET", "Customers(1)"), ("changeset", [("PATCH", "Customers(1)", "1")])],
    notes="Both boundaries are quoted and hold spaces, `=` and `:` (all RFC 2046 bchars); the delimiter lines "
          "carry them unquoted, spaces included.")

# 15. Byte-order mark before the first delimiter (lenient).
B = "batch_bom"
case("lenient-bom", "request", BOM + multipart(B, [
    part(HTTP_PART, msg("GET Customers(1) HTTP/1.1", ["Accept: application/json"] + V4)),
]), odata_version=4, content_type=f"multipart/mixed; boundary={B}", lenient=True, start=3,
    expect=[("GET", "Customers(1)")],
    why_invalid="a UTF-8 byte-order mark (EF BB BF) precedes the first delimiter",
    error_kind="byte-order mark", error_at="START",
    notes="Lenient mode skips the BOM and reports it at offset 0.")

# 16. Transport padding after delimiters.
B = "batchresponse_pad"
CS = "changesetresponse_pad"
case("transport-padding", "response", multipart(B, [
    part(HTTP_PART, msg("HTTP/1.1 200 OK",
         ["Content-Type: application/json"] + V4 + ["Content-Length: {len}"], json_body({"ID": 1}))),
    changeset([f"Content-Type: multipart/mixed; boundary={CS}"], CS, [
        part(http_part("Content-ID: 1"), msg("HTTP/1.1 204 No Content", V4)),
    ], pad="\t", close_pad="  ", final_eol=False),
], pad=" \t ", close_pad="\t \t"), odata_version=4, content_type=f"multipart/mixed; boundary={B}",
    expect=[(200,), ("changeset", [(204, "1")])],
    notes="Every delimiter line, the close delimiters included, ends with spaces and/or tabs before its CRLF "
          "(RFC 2046 transport-padding).")

# 17. Content-Length smaller than the body, only line breaks extra (Google style).
B = "batchresponse_cl-small"
body1 = json_body({"ID": 1, "name": "Ada"})
body2 = json_body({"ID": 2, "name": "Grace"})
case("content-length-smaller-crlf", "response", multipart(B, [
    part(HTTP_PART, msg("HTTP/1.1 200 OK",
         ["Content-Type: application/json"] + V4 + ["Content-Length: {len}"], body1) + b"\r\n"),
    part(HTTP_PART, msg("HTTP/1.1 200 OK",
         ["Content-Type: application/json"] + V4 + ["Content-Length: {len}"], body2) + b"\r\n\r\n"),
]), odata_version=4, content_type=f"multipart/mixed; boundary={B}",
    expect=[(200,), (200,)],
    notes="Each body is followed by empty lines before the delimiter's own CRLF (one in the first part, two in "
          "the second), so body_len exceeds Content-Length by 2 and 4. The body is the first Content-Length bytes; "
          "extra line breaks are dropped silently (nothing reported).")

# 18. Content-Length larger than the body (valid, reported).
B = "batchresponse_cl-large"
body1 = json_body({"ID": 1, "name": "Ada"})
case("content-length-larger", "response", multipart(B, [
    part(HTTP_PART, msg("HTTP/1.1 200 OK",
         ["Content-Type: application/json"] + V4 + ["Content-Length: 512"], body1)),
    part(HTTP_PART, msg("HTTP/1.1 200 OK",
         ["Content-Type: application/json"] + V4 + ["Content-Length: {len}"], json_body({"ID": 2}))),
]), odata_version=4, content_type=f"multipart/mixed; boundary={B}",
    expect=[(200,), (200,)],
    notes="The first part declares Content-Length: 512 but its body is shorter: the body is the part's bytes, "
          "in both modes, with a tolerance reported (Content-Length larger than the body).")

# 19. Google request.
B = "batch_farm-3a7c"
GID = "12930812@barnyard.example.com"
sheep = ('{\r\n  "animalName": "sheep",\r\n  "animalAge": 5,\r\n  "peltColor": "green"\r\n}')
case("google", "request", multipart(B, [
    part(["Content-Type: application/http", f"Content-ID: <item-1:{GID}>"],
         msg("GET /farm/v1/animals/pony HTTP/1.1", [], blank=False)),
    part(["Content-Type: application/http", f"Content-ID: <item-2:{GID}>"],
         msg("PUT /farm/v1/animals/sheep HTTP/1.1",
             ["Content-Type: application/json", "Content-Length: {len}", 'If-Match: "etag/sheep"'], sheep) + b"\r\n"),
    part(["Content-Type: application/http", f"Content-ID: <item-3:{GID}>"],
         msg("GET /farm/v1/animals HTTP/1.1", ['If-None-Match: "etag/animals"'])),
]), odata_version="unknown", content_type=f"multipart/mixed; boundary={B}", dialect="google",
    expect=[("GET", "/farm/v1/animals/pony", f"<item-1:{GID}>"), ("PUT", "/farm/v1/animals/sheep", f"<item-2:{GID}>"),
            ("GET", "/farm/v1/animals", f"<item-3:{GID}>")],
    notes="Google shape: path-only targets, Content-ID `<item-N:...>` with the angle brackets kept as written, "
          "no Content-Transfer-Encoding, an empty line after the JSON body (Content-Length is 2 smaller than "
          "body_len). The first GET has no headers at all: its start line is followed by the part's end.")

# 20. Google response.
B = "batch_fGh7Kq2Lm9"
pony = ('{\r\n  "kind": "farm#animal",\r\n  "etag": "etag/pony",\r\n  "selfLink": "/farm/v1/animals/pony",\r\n'
        '  "animalName": "pony",\r\n  "animalAge": 34,\r\n  "peltColor": "white"\r\n}')
sheep_r = ('{\r\n  "kind": "farm#animal",\r\n  "etag": "etag/sheep",\r\n  "selfLink": "/farm/v1/animals/sheep",\r\n'
           '  "animalName": "sheep",\r\n  "animalAge": 5,\r\n  "peltColor": "green"\r\n}')
case("google", "response", multipart(B, [
    part(["Content-Type: application/http", f"Content-ID: <response-item-1:{GID}>"],
         msg("HTTP/1.1 200 OK", ["Content-Type: application/json; charset=UTF-8", "Content-Length: {len}",
                                 'ETag: "etag/pony"'], pony) + b"\r\n"),
    part(["Content-Type: application/http", f"Content-ID: <response-item-2:{GID}>"],
         msg("HTTP/1.1 200 OK", ["Content-Type: application/json; charset=UTF-8", "Content-Length: {len}",
                                 'ETag: "etag/sheep"'], sheep_r) + b"\r\n"),
    part(["Content-Type: application/http", f"Content-ID: <response-item-3:{GID}>"],
         msg("HTTP/1.1 304 Not Modified", ['ETag: "etag/animals"'])),
]), odata_version="unknown", content_type=f"multipart/mixed; boundary={B}", dialect="google",
    expect=[(200, f"<response-item-1:{GID}>"), (200, f"<response-item-2:{GID}>"), (304, f"<response-item-3:{GID}>")],
    notes="Answers google.request.batch: each Content-ID is the request's with `response-` after the `<`. The "
          "response uses a boundary of its own. Empty line after each JSON body (Content-Length 2 smaller than "
          "body_len).")

# 21. Azure blob batch request: DELETE sub-requests.
B = "batch_6b1a2c3d-8e4f-4a5b-9c6d-7e8f9a0b1c2d"
AUTH = "Authorization: SharedKey myaccount:ZHVtbXktc2lnbmF0dXJlLW5vdC1hLWtleQ=="
DATE = "x-ms-date: Sat, 21 Nov 2026 10:15:00 GMT"
case("azure-blob-delete", "request", multipart(B, [
    part(http_part(f"Content-ID: {n}"),
         msg(f"DELETE /photos/2026/{blob} HTTP/1.1", [DATE, AUTH, "Content-Length: 0"], blank=False))
    for n, blob in enumerate(["beach.jpg", "dunes.jpg", "missing.jpg"])
]), odata_version="unknown", content_type=f"multipart/mixed; boundary={B}", dialect="azure",
    expect=[("DELETE", f"/photos/2026/{b}", str(n)) for n, b in enumerate(["beach.jpg", "dunes.jpg", "missing.jpg"])],
    notes="Azure Blob Batch shape: DELETE sub-requests outside any changeset, Content-IDs 0.., each with x-ms-date, "
          "its own Authorization (a dummy value, base64 of `dummy-signature-not-a-key`) and Content-Length: 0; the "
          "empty line after the headers is the one before the next delimiter.")

# 22. Azure blob batch response: 202 parts and a 404.
B = "batchresponse_0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
err = ('<?xml version="1.0" encoding="utf-8"?>\r\n<Error><Code>BlobNotFound</Code><Message>The specified blob '
       'does not exist.\r\nRequestId:5f1c0a4e-001e-0042-7b2a-3c4d5e000003\r\nTime:2026-11-21T10:15:00.1234567Z'
       '</Message></Error>')
case("azure-blob-delete", "response", multipart(B, [
    part(["Content-Type: application/http", "Content-ID: 0"], msg("HTTP/1.1 202 Accepted",
         ["x-ms-delete-type-permanent: true", "x-ms-request-id: 5f1c0a4e-001e-0042-7b2a-3c4d5e000001",
          "x-ms-version: 2023-11-03"], blank=False)),
    part(["Content-Type: application/http", "Content-ID: 1"], msg("HTTP/1.1 202 Accepted",
         ["x-ms-delete-type-permanent: true", "x-ms-request-id: 5f1c0a4e-001e-0042-7b2a-3c4d5e000002",
          "x-ms-version: 2023-11-03"], blank=False)),
    part(["Content-Type: application/http", "Content-ID: 2"], msg("HTTP/1.1 404 The specified blob does not exist.",
         ["x-ms-error-code: BlobNotFound", "x-ms-request-id: 5f1c0a4e-001e-0042-7b2a-3c4d5e000003",
          "x-ms-version: 2023-11-03", "Content-Length: {len}", "Content-Type: application/xml"], err)),
]), odata_version="unknown", content_type=f"multipart/mixed; boundary={B}", dialect="azure",
    expect=[(202, "0"), (202, "1"), (404, "2")],
    notes="The 404's reason phrase is a sentence (`The specified blob does not exist.`); its XML body holds CRLF "
          "line breaks and is followed at once by the delimiter's CRLF.")

# 23. Part header names (and values) in odd case.
B = "batch_OddCase"
CS = "changeset_Odd"
case("odd-case-part-headers", "request", multipart(B, [
    part(["cOnTeNt-TyPe: ApPlIcAtIoN/HtTp", "CONTENT-TRANSFER-ENCODING: BINARY"],
         msg("GET Customers(1) HTTP/1.1", ["aCCEPT: application/json", "odata-version: 4.0"])),
    changeset([f"CONTENT-TYPE: Multipart/Mixed; BOUNDARY={CS}"], CS, [
        part(["content-type: application/http", "content-transfer-encoding: binary", "content-id: a-1"],
             msg("POST Customers HTTP/1.1", ["CONTENT-TYPE: application/json", "oData-vErSiOn: 4.0",
                                             "content-LENGTH: {len}"], json_body({"ID": 12, "name": "Edsger"}))),
    ], final_eol=False),
]), odata_version=4, content_type=f"multipart/mixed; boundary={B}",
    expect=[("GET", "Customers(1)"), ("changeset", [("POST", "Customers", "a-1")])],
    notes="Header names in any case (MIME and embedded), media types in odd case (`ApPlIcAtIoN/HtTp`, "
          "`Multipart/Mixed`), parameter name `BOUNDARY` in capitals. The boundary values keep their case: "
          "`--changeset_Odd`. content_length is taken from `content-LENGTH`.")

# 24. Repeated headers and empty header values.
B = "batch_rep"
case("repeated-and-empty-headers", "request", multipart(B, [
    part(HTTP_PART + ["X-Trace: one", "X-Trace: two", "X-Note:"],
         msg("GET Customers HTTP/1.1", ["Accept: application/json", "Accept: text/plain;q=0.5",
                                        "Prefer: odata.maxpagesize=10", "Prefer: odata.track-changes",
                                        "X-Empty:", "X-Empty-Space: "] + V4)),
    part(HTTP_PART, msg("POST Customers HTTP/1.1",
         ["Content-Type: application/json", "Cookie: a=1", "Cookie: b=2", "If-None-Match:"] + V4
         + ["Content-Length: {len}"], json_body({"ID": 13, "name": "Barbara"}))),
]), odata_version=4, content_type=f"multipart/mixed; boundary={B}",
    expect=[("GET", "Customers"), ("POST", "Customers")],
    notes="Repeated MIME part header X-Trace, empty MIME header X-Note; embedded Accept, Prefer and Cookie "
          "twice each, X-Empty with nothing after the colon, X-Empty-Space with one space (both values are empty), "
          "an empty If-None-Match. Every value is kept, in wire order, under its own spelling.")

# 25. URL forms: absolute URL, absolute path, relative path.
B = "batch_urls"
case("url-forms", "request", multipart(B, [
    part(HTTP_PART, msg("GET http://localhost:4004/odata/v4/peer/Customers(1) HTTP/1.1",
                        ["Accept: application/json"] + V4)),
    part(HTTP_PART, msg("GET /odata/v4/peer/Customers(2) HTTP/1.1",
                        ["Host: localhost:4004", "Accept: application/json"] + V4)),
    part(HTTP_PART, msg("GET Customers(3) HTTP/1.1", ["Accept: application/json"] + V4)),
    part(HTTP_PART, msg("GET Customers?$filter=name%20eq%20'Ada'&$orderby=ID%20desc HTTP/1.1",
                        ["Accept: application/json"] + V4)),
]), odata_version=4, content_type=f"multipart/mixed; boundary={B}",
    expect=[("GET", "http://localhost:4004/odata/v4/peer/Customers(1)"), ("GET", "/odata/v4/peer/Customers(2)"),
            ("GET", "Customers(3)"), ("GET", "Customers?$filter=name%20eq%20'Ada'&$orderby=ID%20desc")],
    notes="The three target forms OData allows (absolute URI; absolute path with a Host header; path relative to "
          "the service root) and a query with percent-encoded spaces. url is kept exactly as written.")

# 26. GET inside a changeset (lenient).
B = "batch_getcs"
CS = "changeset_getcs"
data = case("lenient-get-in-changeset", "request", multipart(B, [
    changeset([f"Content-Type: multipart/mixed; boundary={CS}"], CS, [
        part(http_part("Content-ID: 1"), msg("POST Customers HTTP/1.1",
             ["Content-Type: application/json"] + V4 + ["Content-Length: {len}"], json_body({"ID": 14, "name": "Ken"}))),
        part(http_part("Content-ID: 2"), msg("GET Customers(14) HTTP/1.1", ["Accept: application/json"] + V4)),
    ], final_eol=False),
]), odata_version=4, content_type=f"multipart/mixed; boundary={B}", lenient=True,
    expect=[("changeset", [("POST", "Customers", "1"), ("GET", "Customers(14)", "2")])],
    why_invalid="a GET (a query) inside a changeset; OData changesets hold only data modification requests",
    error_kind="query in changeset", error_at=b"GET Customers(14) HTTP/1.1",
    notes="Lenient mode reads the GET as a member of the group and reports it.")

# 27. V4: changeset member without Content-ID (odata-v4 dialect; lenient).
B = "batch_v4-noid"
CS = "changeset_v4-noid"
case("lenient-v4-changeset-missing-content-id", "request", multipart(B, [
    changeset([f"Content-Type: multipart/mixed; boundary={CS}"], CS, [
        part(http_part("Content-ID: 1"), msg("POST Customers HTTP/1.1",
             ["Content-Type: application/json"] + V4 + ["Content-Length: {len}"], json_body({"ID": 15, "name": "Niklaus"}))),
        part(HTTP_PART, msg("DELETE Orders(101) HTTP/1.1", V4)),
    ], final_eol=False),
]), odata_version=4, content_type=f"multipart/mixed; boundary={B}", lenient=True, dialect="odata-v4",
    expect=[("changeset", [("POST", "Customers", "1"), ("DELETE", "Orders(101)")])],
    why_invalid="OData V4: the second changeset member has no Content-ID (neither as MIME part header nor in the "
                "embedded request)",
    error_kind="missing Content-ID",
    notes="Invalid under --dialect odata-v4 --strict only: the Reading rules table reads it leniently and reports "
          "it, so valid = true, lenient = true. Without a dialect, Content-ID is optional and nothing is reported. "
          "No error_offset: a missing header has no line of its own (the part starts right after the second "
          "`--changeset_v4-noid` line).")

# 28. V4: duplicate Content-ID in one changeset (odata-v4 dialect; lenient).
B = "batch_v4-dupid"
CS = "changeset_v4-dupid"
data = case("lenient-v4-changeset-duplicate-content-id", "request", multipart(B, [
    changeset([f"Content-Type: multipart/mixed; boundary={CS}"], CS, [
        part(http_part("Content-ID: 1"), msg("POST Customers HTTP/1.1",
             ["Content-Type: application/json"] + V4 + ["Content-Length: {len}"], json_body({"ID": 16, "name": "Tony"}))),
        part(http_part("Content-ID: 1"), msg("POST Customers HTTP/1.1",
             ["Content-Type: application/json"] + V4 + ["Content-Length: {len}"], json_body({"ID": 17, "name": "Robin"}))),
    ], final_eol=False),
]), odata_version=4, content_type=f"multipart/mixed; boundary={B}", lenient=True, dialect="odata-v4",
    expect=[("changeset", [("POST", "Customers", "1"), ("POST", "Customers", "1")])],
    why_invalid="OData V4: two members of one changeset carry Content-ID 1",
    error_kind="duplicate Content-ID", error_at=b"Content-ID: 1", error_at_nth=2,
    notes="Invalid under --dialect odata-v4 --strict only: the Reading rules table reads it leniently and reports "
          "it, so valid = true, lenient = true. error_offset is the second `Content-ID: 1` header line.")

# 29. Unquoted boundary with parentheses in a changeset header, as in [MS-ODATA] 2.2.7.6.8 (lenient).
B = "batch_36522ad7-fc75-4b56-8c71-56071383e77b"
CS = "changeset(77162fcd-b8da-41ac-a9f8-9357efbbd621)"
case("lenient-unquoted-paren-boundary", "response", multipart(B, [
    changeset([f"Content-Type: multipart/mixed; boundary={CS}"], CS, [
        part(http_part("Content-ID: 1"), msg("HTTP/1.1 204 No Content", ["DataServiceVersion: 1.0"])),
    ], final_eol=True),
]), odata_version=2, content_type=f"multipart/mixed; boundary={B}", lenient=True,
    expect=[("changeset", [(204, "1")])],
    why_invalid="the changeset boundary holds `(` and `)`, which are tspecials, so the Content-Type parameter "
                "must quote it (RFC 2045 5.1); the boundary itself is legal (RFC 2046 bchars)",
    error_kind="boundary needs quotes", error_at=b"Content-Type: multipart/mixed; boundary=changeset(",
    notes="The spelling of the boundaries in [MS-ODATA] 2.2.7.6.8 (`changeset(77162fcd-...)`, unquoted). Lenient "
          "mode reads the boundary and reports it.")

# ---- invalid in both modes -------------------------------------------------------------------

# 30. No boundary parameter.
B = "batch_noparam"
case("bad-missing-boundary-param", "request", multipart(B, [
    part(HTTP_PART, msg("GET Customers(1) HTTP/1.1", ["Accept: application/json"] + V4)),
]), odata_version=4, content_type="multipart/mixed", valid=False,
    why_invalid="the Content-Type `multipart/mixed` has no boundary parameter",
    error_kind="missing boundary",
    notes="The body itself is well formed (it uses `batch_noparam`). The fault is in the Content-Type, not in the "
          "body, so no error_offset. (`batchwire inspect` without --content-type would take the boundary from the "
          "first line; the case is about the declared Content-Type.)")

# 31. Wrong boundary in the body: no delimiter line of the declared boundary at all is an error in
# both modes (docs/reading-rules.md), never an empty batch.
B = "batch_actually-used"
case("bad-wrong-boundary", "request", multipart(B, [
    part(HTTP_PART, msg("GET Customers(1) HTTP/1.1", ["Accept: application/json"] + V4)),
    part(HTTP_PART, msg("GET Customers(2) HTTP/1.1", ["Accept: application/json"] + V4)),
]), odata_version=4, content_type="multipart/mixed; boundary=batch_declared", valid=False,
    why_invalid="the Content-Type declares `batch_declared`, the body uses `batch_actually-used`: no delimiter line "
                "of the declared boundary at all",
    error_kind="no delimiter",
    notes="docs/reading-rules.md: both modes reject it (MissingDelimiter), and the message names the boundary the "
          "body uses; reading it as an empty batch would answer none of its requests without saying so. (CAP "
          "accepts the body and answers both GETs; olingo4 returns 0 parts; olingo2 rejects.) No error_offset: the "
          "decoder may point at the start or at the end of input.")

# 32. Changeset with the batch's own boundary.
B = "batch_same"
data = case("bad-changeset-reuses-batch-boundary", "request", multipart(B, [
    part(HTTP_PART, msg("GET Customers(1) HTTP/1.1", ["Accept: application/json"] + V4)),
    changeset([f"Content-Type: multipart/mixed; boundary={B}"], B, [
        part(http_part("Content-ID: 1"), msg("DELETE Orders(100) HTTP/1.1", V4)),
    ]),
]), odata_version=4, content_type=f"multipart/mixed; boundary={B}", valid=False,
    why_invalid="the changeset declares `batch_same`, the boundary of the batch that encloses it",
    error_kind="boundary reused", error_at=b"Content-Type: multipart/mixed; boundary=batch_same",
    notes="Read with the outer boundary, the changeset's own delimiters end the changeset part at once; the "
          "error is at the changeset's Content-Type header line.")

# 33. Changeset nested in a changeset.
B = "batch_nest"
CS = "changeset_outer"
CS2 = "changeset_inner"
case("bad-nested-changeset", "request", multipart(B, [
    changeset([f"Content-Type: multipart/mixed; boundary={CS}"], CS, [
        part(http_part("Content-ID: 1"), msg("DELETE Orders(100) HTTP/1.1", V4)),
        changeset([f"Content-Type: multipart/mixed; boundary={CS2}"], CS2, [
            part(http_part("Content-ID: 2"), msg("DELETE Orders(101) HTTP/1.1", V4)),
        ], final_eol=False),
    ], final_eol=False),
]), odata_version=4, content_type=f"multipart/mixed; boundary={B}", valid=False,
    why_invalid="a changeset inside a changeset (OData allows one level)",
    error_kind="nested changeset", error_at=f"Content-Type: multipart/mixed; boundary={CS2}".encode(),
    notes="error_offset is the inner changeset's Content-Type header line.")

# 34. Status line without a status code.
B = "batchresponse_badstatus"
case("bad-status-line", "response", multipart(B, [
    part(HTTP_PART, msg("HTTP/1.1 200 OK", ["Content-Type: application/json"] + V4 + ["Content-Length: {len}"],
                        json_body({"ID": 1}))),
    part(HTTP_PART, msg("HTTP/1.1 OK", ["Content-Type: application/json"] + V4 + ["Content-Length: {len}"],
                        json_body({"ID": 2}))),
]), odata_version=4, content_type=f"multipart/mixed; boundary={B}", valid=False,
    why_invalid="the second part's status line `HTTP/1.1 OK` has no status code",
    error_kind="invalid status line", error_at=b"HTTP/1.1 OK")

# 35. Request line without HTTP version (lenient: read with an empty version, reported).
B = "batch_nover"
case("lenient-request-line-no-version", "request", multipart(B, [
    part(HTTP_PART, msg("GET Customers(1) HTTP/1.1", ["Accept: application/json"] + V4)),
    part(HTTP_PART, msg("GET Customers(2)", ["Accept: application/json"] + V4)),
]), odata_version=4, content_type=f"multipart/mixed; boundary={B}", lenient=True,
    expect=[("GET", "Customers(1)"), ("GET", "Customers(2)")],
    why_invalid="the second request line `GET Customers(2)` has no HTTP version",
    error_kind="invalid request line", error_at=b"GET Customers(2)\r\n",
    notes="Google's batch guide writes its example request lines this way (`GET /farm/v1/animals/pony`, no version); "
          "real Google clients send `HTTP/1.1`. docs/reading-rules.md: lenient mode reads it and reports `request "
          "line without an HTTP version`; strict mode rejects it.")

# 36. Part Content-Type text/plain.
B = "batch_textplain"
case("bad-part-content-type-text-plain", "request", multipart(B, [
    part(HTTP_PART, msg("GET Customers(1) HTTP/1.1", ["Accept: application/json"] + V4)),
    part(["Content-Type: text/plain", "Content-Transfer-Encoding: binary"],
         b"GET Customers(2) HTTP/1.1\r\nAccept: application/json\r\n"),
]), odata_version=4, content_type=f"multipart/mixed; boundary={B}", valid=False,
    why_invalid="the second body part is `text/plain`, neither `application/http` nor `multipart/mixed`",
    error_kind="unexpected part content type", error_at=b"Content-Type: text/plain")

# 37. Header line without colon (in the MIME part headers).
B = "batch_nocolon"
case("bad-header-without-colon", "request", multipart(B, [
    part(["Content-Type: application/http", "Content-Transfer-Encoding binary", "Content-ID: 1"],
         msg("GET Customers(1) HTTP/1.1", ["Accept: application/json"] + V4)),
]), odata_version=4, content_type=f"multipart/mixed; boundary={B}", valid=False,
    why_invalid="the part header line `Content-Transfer-Encoding binary` has no colon",
    error_kind="invalid header line (strict); invalid request line (lenient)", error_at=b"Content-Transfer-Encoding binary",
    notes="The line sits between two header lines of the part. A reader that ended the header section at the "
          "first line that is not a header (olingo's non-strict mode) would take it as the start line of the "
          "embedded message, which is no valid request line either: the fault is on this line in both modes. "
          "docs/reading-rules.md ends a header section so in lenient mode (reported), hence the two kinds.")

# 38. Truncated in the middle of a part's headers.
B = "batch_trunc"
full = multipart(B, [
    part(HTTP_PART, msg("GET Customers(1) HTTP/1.1", ["Accept: application/json"] + V4)),
    part(http_part("Content-ID: 2"), msg("GET Customers(2) HTTP/1.1", ["Accept: application/json"] + V4)),
])
cut = full.index(b"Content-ID: 2") + len(b"Content-ID: ")
case("bad-truncated-in-part-headers", "request", full[:cut], odata_version=4,
     content_type=f"multipart/mixed; boundary={B}", valid=False,
     why_invalid="the input ends inside the MIME headers of the second part (`Content-ID: ` and nothing after)",
     error_kind="missing close delimiter (strict); unexpected end of input (lenient)", error_at="END",
     notes="No line break after the last header, no empty line, no embedded message, no close delimiter. "
           "error_offset is the end of input.")


# --------------------------------------------------------------------------------------------
# Manifest.
# --------------------------------------------------------------------------------------------

HEADER = """\
# batchwire multipart fixtures of our own — manifest
#
# Written by generate.py (beside this file); edit the script, not this file or the payloads.
# Same schema as shared/corpus/odata/MANIFEST.toml, minus the fields about a source (content_type_origin,
# derived, transform, asserted, error, [case.source]), plus dialect, error_kind and error_offset. Fields:
#   file                 payload file name: <name>.<request|response>.batch; `bad-` = rejected in both modes,
#                        `lenient-` = read only by the lenient (default) reader
#   direction            "request" or "response"
#   odata_version        2, 4 or "unknown"
#   content_type         outer Content-Type value, with the boundary
#   valid                true = the default (lenient) reader reads it to the items below; false = both modes reject
#                        it (the rules: docs/reading-rules.md)
#   lenient              true when only the lenient reader reads it: strict mode must reject it (with error_kind at
#                        error_offset, when given)
#   dialect              "odata-v2" | "odata-v4" | "google" | "azure" when the case is about that dialect (read it
#                        with --dialect); absent: the rules common to all
#   eol                  line-break style of the framing (body bytes excluded): CRLF, LF, mixed(CRLF+LF), none
#   size, sha256         of the payload file
#   body_len_basis       present when body_len is computed on a tolerated reading (bare LF as line break)
#   why_invalid          for valid = false, and for lenient = true: why (strict mode) rejects it
#   error_kind           the fault, in words: missing boundary, no delimiter, boundary reused, nested changeset,
#                        invalid status line, invalid request line, unexpected part content type, invalid header
#                        line, unexpected end of input; for lenient cases the strict error: delimiter-like line,
#                        bare LF line break, missing close delimiter, empty multipart, byte-order mark, query in
#                        changeset, missing Content-ID, duplicate Content-ID, boundary needs quotes, invalid request
#                        line
#   error_offset         byte offset of the fault, only where it is unambiguous: the first byte of the line that holds
#                        it (delimiter line, header line, start line); for a bare LF the LF byte itself; for a BOM 0;
#                        for a premature end the length of the input. A decoder may point inside that line (at a
#                        parameter, say): compare the line, or the line start of the reported offset
#   notes                anything notable
#   [[case.items]]       for valid = true: ordered top-level items (items = [] for none); kind = "operation" or "changeset";
#                        a changeset lists its operations in [[case.items.ops]] (ops = [] for an empty one)
#     method, url        request line of an embedded request (url = request-target exactly as written)
#     status, reason     status code of an embedded response; reason phrase as written (absent when the status
#                        line ends after the code)
#     content_id         Content-ID MIME header of the body part, as written
#     http_content_id    Content-ID header inside the embedded HTTP message, only when it differs from or replaces
#                        the MIME one
#     content_length     Content-Length header of the embedded HTTP message, verbatim, when present
#     body_len           byte length of the embedded message body delimited per RFC 2046: the bytes between the empty
#                        line that ends the embedded headers and the line break that precedes the next delimiter
#                        (that line break belongs to the delimiter), ignoring Content-Length
#     body               exact body after cutting to the embedded Content-Length when that is smaller (UTF-8 text)
#     body_hex           same as body, hex-encoded, when the body is not UTF-8 text
"""


def toml_str(s):
    out = []
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\u{o:04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_val(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return toml_str(v)


def is_text(b):
    try:
        s = b.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(c in "\r\n\t" or ord(c) >= 0x20 for c in s)


def op_fields(op, case_):
    f = []
    if "method" in op:
        f += [("method", op["method"]), ("url", op["url"])]
    else:
        f.append(("status", op["status"]))
        if op["reason"] is not None:
            f.append(("reason", op["reason"]))
    if op["content_id"] is not None:
        f.append(("content_id", op["content_id"]))
    if op["http_content_id"] is not None and op["http_content_id"] != op["content_id"]:
        f.append(("http_content_id", op["http_content_id"]))
    if op["content_length"] is not None:
        f.append(("content_length", op["content_length"]))
    f.append(("body_len", len(op["raw"])))
    if op["body"]:
        if is_text(op["body"]):
            f.append(("body", op["body"].decode("utf-8")))
        else:
            f.append(("body_hex", op["body"].hex()))
    return f


def eol_style(data, items):
    # Blank out body bytes: they are content, not framing.
    masked = bytearray(data)
    def mask(ops):
        for op in ops:
            if op["kind"] == "changeset":
                mask(op["ops"])
            elif op["raw"]:
                i = data.find(op["raw"])
                masked[i:i + len(op["raw"])] = b"x" * len(op["raw"])
    if items is not None:
        mask(items)
    crlf = masked.count(b"\r\n")
    lf = masked.count(b"\n") - crlf
    if crlf and lf:
        return "mixed(CRLF+LF)"
    if crlf:
        return "CRLF"
    if lf:
        return "LF"
    return "none"


def error_offset(c, data):
    at = c.get("error_at")
    if at is None:
        return None
    if at == "END":
        return len(data)
    if at == "START":
        return 0
    pos = -1
    for _ in range(c.get("error_at_nth", 1)):
        pos = data.index(at, pos + 1)
    # A line-level fault: the marker must start a line (bare LF markers excepted).
    if "error_at_delta" in c:
        return pos + c["error_at_delta"]
    if at == b"\n":
        return pos
    assert pos == 0 or data[pos - 1:pos] == b"\n", (c["name"], pos)
    return pos


def build():
    files = {}
    entries = []
    names = set()
    for c in CASES:
        fname = f"{c['name']}.{c['direction']}.batch"
        assert fname not in names, fname
        names.add(fname)
        data = c["data"]
        files[fname] = data
        valid = c.get("valid", True)
        items = None
        if valid:
            boundary = boundary_of(c["content_type"])
            items = read_batch(data, boundary, c.get("start", 0), c.get("allow_no_close", False))
            check_shape(items, c["expect"], fname)
            if not c.get("lenient") and not c.get("lf"):
                assert data.startswith(b"--") or b"\r\n--" in data
        else:
            boundary = boundary_of(c["content_type"])
            try:
                read_batch(data, boundary or "\x00", c.get("start", 0), c.get("allow_no_close", False))
            except (ReadError, KeyError, StopIteration, ValueError):
                pass
            else:
                raise AssertionError(f"{fname}: the reference reader accepts an invalid case")
        eol = eol_style(data, items)
        if valid and not c.get("lf"):
            assert eol in ("CRLF", "none"), (fname, eol)
        e = [("file", fname), ("direction", c["direction"]), ("odata_version", c["odata_version"]),
             ("content_type", c["content_type"]), ("valid", valid)]
        if c.get("lenient"):
            e.append(("lenient", True))
        if c.get("dialect"):
            e.append(("dialect", c["dialect"]))
        e += [("eol", eol), ("size", len(data)), ("sha256", hashlib.sha256(data).hexdigest())]
        if c.get("body_len_basis"):
            e.append(("body_len_basis", c["body_len_basis"]))
        if c.get("why_invalid"):
            e.append(("why_invalid", c["why_invalid"]))
        if c.get("error_kind"):
            e.append(("error_kind", c["error_kind"]))
        off = error_offset(c, data)
        if c.get("lf"):
            first_bare_lf = next(i for i in range(len(data)) if data[i] == 0x0A and data[i - 1:i] != b"\r")
            assert off == first_bare_lf, (fname, off, first_bare_lf)
        if off is not None:
            e.append(("error_offset", off))
        if c.get("notes"):
            e.append(("notes", c["notes"]))
        assert valid or c.get("why_invalid"), fname
        assert not c.get("lenient") or c.get("why_invalid"), fname
        entries.append((e, items))

    out = [HEADER]
    for e, items in entries:
        out.append("\n[[case]]\n")
        for k, v in e:
            out.append(f"{k} = {toml_val(v)}\n")
        if items is None:
            continue
        if not items:
            out.append("items = []\n")
        for it in items:
            out.append("[[case.items]]\n")
            if it["kind"] == "changeset":
                out.append('kind = "changeset"\n')
                if not it["ops"]:
                    out.append("ops = []\n")
                for op in it["ops"]:
                    out.append("[[case.items.ops]]\n")
                    for k, v in op_fields(op, e):
                        out.append(f"{k} = {toml_val(v)}\n")
            else:
                out.append('kind = "operation"\n')
                for k, v in op_fields(it, e):
                    out.append(f"{k} = {toml_val(v)}\n")
    manifest = "".join(out).encode("utf-8")

    # The manifest must parse and agree with the files.
    parsed = tomllib.loads(manifest.decode("utf-8"))
    assert len(parsed["case"]) == len(files)
    for pc in parsed["case"]:
        assert hashlib.sha256(files[pc["file"]]).hexdigest() == pc["sha256"]
    return files, manifest


def main():
    check = "--check" in sys.argv[1:]
    files, manifest = build()
    files["MANIFEST.toml"] = manifest
    bad = []
    for name, data in sorted(files.items()):
        path = os.path.join(HERE, name)
        if check:
            try:
                with open(path, "rb") as f:
                    if f.read() != data:
                        bad.append(name)
            except FileNotFoundError:
                bad.append(name)
        else:
            with open(path, "wb") as f:
                f.write(data)
    if check:
        known = set(files) | {"generate.py"}
        extra = [n for n in os.listdir(HERE) if n not in known and not n.startswith(".")]
        if bad or extra:
            print("out of date:", bad, "unknown files:", extra)
            sys.exit(1)
        print(f"{len(files)} files up to date")
    else:
        print(f"wrote {len(files) - 1} payloads and MANIFEST.toml to {HERE}")


if __name__ == "__main__":
    main()
