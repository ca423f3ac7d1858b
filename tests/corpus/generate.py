#!/usr/bin/env python3
"""Writes tests/corpus/events.jsonl: the bad-input corpus that EventCorpusTests sends through HTTP and AMQP.

One case per line:
  name      what the case is (unique)
  text      the body as UTF-8 text, or
  base64    the body's bytes, where they are not UTF-8 (invalid sequences, UTF-16, a BOM)
  expect    rejected   HTTP 400 with `reason` in its message; the error queue with `reason` in MT-Fault-Message
            processed  valid but odd: HTTP 200 "processed" (with `reason` in its warning, when given); decided over AMQP
            duplicate  its eventId was taken before: HTTP 200 "duplicate"; over AMQP taken once, nothing in the error queue
  reason    a piece of the refusal (or of the warning) that says what is wrong
  http      the HTTP status when it is not the one `expect` implies (a JSON array is a batch over HTTP: 207)
  amqp_reason  the reason over AMQP when it differs (an array is one message there, not a batch)
  customer  the customer id of a processed case, whose outcome kinds are checked at the end ...
  outcomes  ... to be exactly these (in order), when given

Placeholders, replaced byte for byte by the test before sending: @RUN@ (a per-run tag, so HTTP and AMQP never share
an id), @NOW@ (the current UTC time, ISO), @EARLIER@ (two hours before it), @LATER@ (one hour after it, beyond the
default 5 minute clock skew).

Run `python3 tests/corpus/generate.py` after changing it; the test reads the .jsonl, so the data is reviewable as data.
"""
import base64
import json
import os

CASES = []


def add(name, body, expect="rejected", reason=None, **extra):
    case = {"name": name}
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8")
            if text.encode("utf-8") != body or text.startswith("\ufeff"):
                raise UnicodeDecodeError("utf-8", body, 0, 1, "keep the bytes")
            case["text"] = text
        except UnicodeDecodeError:
            case["base64"] = base64.b64encode(body).decode("ascii")
    else:
        case["text"] = body
    case["expect"] = expect
    if reason is not None:
        case["reason"] = reason
    case.update(extra)
    assert all(c["name"] != name for c in CASES), name
    CASES.append(case)


def event(n, **fields):
    """A good cart event, with fields replaced (a value of DROP removes the field)."""
    e = {
        "eventId": f"bad-@RUN@-{n}",
        "customerId": f"cust-@RUN@-{n}",
        "type": "cart.abandoned",
        "occurredAt": "@NOW@",
        "properties": {"cartId": f"k-{n}", "total": 84.5, "itemCount": 3},
        "customer": {"email": "ann@example.com", "firstName": "Ann"},
    }
    for key, value in fields.items():
        if value is DROP:
            e.pop(key, None)
        else:
            e[key] = value
    return e


DROP = object()


def text(e):
    return json.dumps(e, ensure_ascii=False, separators=(",", ":"))


def customer_of(n):
    return f"cust-@RUN@-{n}"


GOOD = text(event("shape"))

# --- Not JSON at all, or JSON with something wrong around or inside it -------------------------------------------
# Over AMQP an empty body is named for what it is (MassTransit would read it as {}): EventConsumer's own refusal.
add("json/empty-body", b"", reason="does not contain any JSON tokens", amqp_reason="the message is empty (0 bytes)")
add("json/whitespace-only", " \n\t ", reason="The input does not contain any JSON tokens")
add("json/plain-text", "this is not json", reason="is an invalid JSON literal")
add("json/xml", '<event id="1"/>', reason="'<' is an invalid start of a value")
add("json/truncated-object", GOOD[: len(GOOD) // 2], reason="LineNumber")
add("json/unclosed-object", GOOD[:-1], reason="LineNumber")
add("json/extra-closing-brace", GOOD + "}", reason="'}' is invalid after a single JSON value")
add("json/trailing-garbage", GOOD + " xyz", reason="'x' is invalid after a single JSON value")
add("json/trailing-comma-garbage", GOOD + ",", reason="',' is invalid after a single JSON value")
add("json/two-objects", GOOD + GOOD, reason="'{' is invalid after a single JSON value")
add("json/two-lines-jsonl", GOOD + "\n" + text(event("shape2")), reason="'{' is invalid after a single JSON value")
# Comments and trailing commas are skipped, as MassTransit's reader skips them (EventJson.DocumentOptions).
add("json/trailing-comma-in-object", text(event("comma"))[:-1] + ",}", expect="processed", customer=customer_of("comma"), outcomes=["entered", "waiting"])
add("json/single-quotes", GOOD.replace('"', "'"), reason="''' is an invalid start of a property name")
add("json/unquoted-keys", '{eventId:"x",customerId:"c",type:"t",occurredAt:"@NOW@"}', reason="'e' is an invalid start of a property name")
add("json/line-comment", "// an event\n" + text(event("line-comment")), expect="processed", customer=customer_of("line-comment"), outcomes=["entered", "waiting"])
add("json/block-comment", "{/* note */" + text(event("block-comment"))[1:], expect="processed", customer=customer_of("block-comment"), outcomes=["entered", "waiting"])
add("json/nan", GOOD.replace("84.5", "NaN"), reason="'N' is an invalid start of a value")
add("json/infinity", GOOD.replace("84.5", "Infinity"), reason="'I' is an invalid start of a value")
add("json/leading-zero", GOOD.replace("84.5", "084.5"), reason="Invalid leading zero before '8'")
add("json/hex-number", GOOD.replace("84.5", "0x54"), reason="'x' is an invalid end of a number")
add("json/unterminated-string", '{"eventId":"bad-@RUN@-unterminated', reason="LineNumber")
add("json/raw-newline-in-string", GOOD.replace("Ann", "An\nn"), reason="is invalid within a JSON string")
add("json/raw-tab-in-string", GOOD.replace("Ann", "An\tn"), reason="is invalid within a JSON string")
add("json/raw-nul-in-string", GOOD.replace("Ann", "An\x00n").encode(), reason="is invalid within a JSON string")
add("json/raw-nul-between-tokens", GOOD.replace(',"type"', ',\x00"type"').encode(), reason="is an invalid start of a property name")
add("json/nul-bytes-only", b"\x00\x00\x00\x00", reason="is an invalid start of a value")
add("json/invalid-escape", GOOD.replace("Ann", "A\\xnn"), reason="'x' is an invalid escapable character within a JSON string")
add("json/short-unicode-escape", GOOD.replace("Ann", "A\\u12n"), reason="is not a hex digit following '\\u' within a JSON string")
add("json/missing-value", '{"eventId":,"customerId":"c","type":"t","occurredAt":"@NOW@"}', reason="',' is an invalid start of a value")
add("json/missing-colon", '{"eventId" "x"}', reason="'\"' is invalid after a property name")
add("json/lone-open-bracket", "[", reason="LineNumber")
add("json/lone-close-brace", "}", reason="'}' is an invalid start of a value")
add("json/binary-garbage", bytes(range(0x80, 0xA0)), reason="is an invalid start of a value")
add("json/utf16-le-with-bom", b"\xff\xfe" + GOOD.encode("utf-16-le"), reason="is an invalid start of a value")
add("json/utf16-be", GOOD.encode("utf-16-be"), reason="is an invalid start of a value")
add("json/utf32-le", GOOD.encode("utf-32-le"), reason="'0x00' is an invalid start of a property name")
# A byte order mark: MassTransit's reader refuses it, so HTTP does too (RFC 8259 lets a parser do either).
add("json/bom-then-event", b"\xef\xbb\xbf" + text(event("bom")).encode(), reason="0xEF")
add("json/double-bom", b"\xef\xbb\xbf\xef\xbb\xbf" + GOOD.encode(), reason="0xEF")
add("json/bom-then-garbage", b"\xef\xbb\xbfnot json", reason="0xEF")
add("json/deep-nesting-in-properties", text(event("deep")).replace('"properties":{', '"properties":{"a":' + "[" * 100 + "]" * 100 + ",", 1), reason="maximum configured depth of 64")
add("json/deep-nesting-10000", "[" * 10_000 + "]" * 10_000, reason="maximum configured depth of 64")
add("json/deep-objects-at-root", '{"a":' * 80 + "1" + "}" * 80, reason="maximum configured depth of 64")

# --- Not an event object --------------------------------------------------------------------------------------------
add("shape/null", "null", reason="an event must be a JSON object")
add("shape/true", "true", reason="an event must be a JSON object")
add("shape/number", "42", reason="an event must be a JSON object")
add("shape/string", '"cart.abandoned"', reason="an event must be a JSON object")
add("shape/empty-object", "{}", reason="missing required field(s) eventId, customerId, type, occurredAt")
# Over HTTP an array is a batch: each item gets its own answer (207 when one was rejected).
add("shape/array-of-numbers", "[1, 2]", reason="an event must be a JSON object", http=207)
add("shape/array-of-one-bad-event", "[" + text(event("arr", eventId=DROP)) + "]", reason="missing required field(s) eventId", http=207,
    amqp_reason="an event must be a JSON object")
add("shape/nested-array", "[[" + GOOD + "]]", reason="an event must be a JSON object", http=207)

# --- Text that is not Unicode ---------------------------------------------------------------------------------------
INVALID_UTF8 = {
    "lone-continuation": b"\x80",
    "overlong-slash": b"\xc0\xaf",
    "truncated-3-byte": b"\xe2\x82",
    "utf8-encoded-surrogate": b"\xed\xa0\x80",
    "ff-byte": b"\xff",
    "above-u10ffff": b"\xf4\x90\x80\x80",
    "latin1-e-acute": b"caf\xe9",
}
for where, path in [("eventId", "eventId"), ("customerId", "customerId"), ("type", "type"), ("occurredAt", "occurredAt"),
                    ("properties.cartId", "properties.cartId"), ("customer.email", "customer.email"),
                    ("customer.firstName", "customer.firstName"), ("customer.timeZone", "customer.timeZone")]:
    for kind, junk in INVALID_UTF8.items():
        if where not in ("eventId", "customer.firstName") and kind not in ("lone-continuation", "utf8-encoded-surrogate"):
            continue  # every kind in two fields, two kinds in every field
        e = event(f"utf8-{where}-{kind}")
        marker = "\u2603MARK\u2603"
        parts = path.split(".")
        target = e
        for p in parts[:-1]:
            target = target.setdefault(p, {})
        target[parts[-1]] = "ok" + marker if parts[-1] != "occurredAt" else "@NOW@" + marker
        body = text(e).encode().replace(marker.encode(), junk)
        add(f"unicode/invalid-utf8-{kind}-in-{where}", body, reason=f"{where} holds text that is not valid Unicode")
e = event("utf8-attr")
e["customer"]["attributes"] = {"bio": "\u2603MARK\u2603"}
add("unicode/invalid-utf8-in-attribute", text(e).encode().replace("\u2603MARK\u2603".encode(), b"\xc3\x28"), reason="customer.attributes.bio holds text that is not valid Unicode")
e = event("utf8-array")
e["properties"]["items"] = ["ok", "\u2603MARK\u2603"]
add("unicode/invalid-utf8-in-array", text(e).encode().replace("\u2603MARK\u2603".encode(), b"\xa0\xa1"), reason="properties.items[1] holds text that is not valid Unicode")
e = event("utf8-key")
e["properties"]["\u2603MARK\u2603"] = 1
add("unicode/invalid-utf8-in-property-name", text(e).encode().replace("\u2603MARK\u2603".encode(), b"\xfe"), reason="properties.a property name holds text that is not valid Unicode")
for where in ["eventId", "customerId", "type", "customer.firstName", "customer.email", "properties.cartId"]:
    for kind, escape in [("high", "\\ud800"), ("low", "\\udc00"), ("reversed-pair", "\\udc00\\ud800"), ("high-then-letter", "\\ud83dx")]:
        if where not in ("eventId", "customer.firstName") and kind not in ("high", "low"):
            continue
        e = event(f"sur-{where}-{kind}")
        parts = where.split(".")
        target = e
        for p in parts[:-1]:
            target = target[p]
        target[parts[-1]] = "SURROGATE"
        add(f"unicode/lone-surrogate-{kind}-in-{where}", text(e).replace("SURROGATE", "ok" + escape), reason=f"{where} holds text that is not valid Unicode")

# --- Required fields missing, empty or of the wrong type -------------------------------------------------------------
REQUIRED = ["eventId", "customerId", "type", "occurredAt"]
for field in REQUIRED:
    add(f"required/{field}-missing", text(event(f"miss-{field}", **{field: DROP})), reason=f"missing required field(s) {field}")
    add(f"required/{field}-empty", text(event(f"empty-{field}", **{field: ""})), reason=f"missing required field(s) {field}")
    add(f"required/{field}-blank", text(event(f"blank-{field}", **{field: " \t "})), reason=f"missing required field(s) {field}")
    add(f"required/{field}-null", text(event(f"null-{field}", **{field: None})), reason=f"missing required field(s) {field}")
    for kind, value, said in [("number", 12345, "a number"), ("true", True, "true or false"), ("object", {"id": "x"}, "an object"), ("array", ["x"], "an array")]:
        add(f"types/{field}-{kind}", text(event(f"type-{field}-{kind}", **{field: value})), reason=f"{field} must be a string, not {said}")
add("types/occurredAt-epoch-seconds", text(event("epoch", occurredAt=1772441700)), reason="occurredAt must be a string, not a number")
for kind, value in [("string", "cart k-9"), ("number", 84.5), ("true", True), ("array", [1, 2]), ("array-of-objects", [{"cartId": "k-9"}])]:
    add(f"types/properties-{kind}", text(event(f"props-{kind}", properties=value)), reason="properties must be a JSON object")
for kind, value in [("string", "ann@example.com"), ("number", 7), ("true", True), ("array", [{"email": "ann@example.com"}])]:
    add(f"types/customer-{kind}", text(event(f"cust-{kind}", customer=value)), reason="customer must be a JSON object")
for field in ["email", "firstName", "lastName", "locale", "timeZone"]:
    for kind, value, said in [("number", 42, "a number"), ("false", False, "true or false"), ("object", {"value": "x"}, "an object"), ("array", ["ann@example.com"], "an array")]:
        add(f"types/customer.{field}-{kind}", text(event(f"cust-{field}-{kind}", customer={field: value})), reason=f"customer.{field} must be a string, not {said}")
for kind, value in [("string", "vip"), ("number", 1), ("true", True), ("array", [{"vip": True}])]:
    add(f"types/customer.attributes-{kind}", text(event(f"attrs-{kind}", customer={"email": "ann@example.com", "attributes": value})), reason="customer.attributes must be a JSON object")
add("types/duplicate-key-eventId", text(event("dupkey"))[:-1] + ',"eventId":"other-@RUN@"}', reason="eventId appears more than once")
add("types/duplicate-key-customerId", text(event("dupkey2"))[:-1] + ',"customerId":"someone-else"}', reason="customerId appears more than once")
add("types/duplicate-key-in-customer", text(event("dupkey3")).replace('"firstName":"Ann"', '"firstName":"Ann","email":"bob@example.com"'), reason="customer.email appears more than once")

# --- Times --------------------------------------------------------------------------------------------------------
NOT_ISO = "is not an ISO 8601 time with its offset"
for kind, value in [
    ("no-offset", "2026-03-02T08:55:00"), ("no-offset-fraction", "2026-03-02T08:55:00.123"), ("date-only", "2026-03-02"),
    ("space-separator", "2026-03-02 08:55:00Z"), ("us-format", "03/02/2026 08:55"), ("european-format", "02.03.2026 08:55"),
    ("words", "March 2, 2026 8:55 AM"), ("rfc1123", "Mon, 02 Mar 2026 08:55:00 GMT"), ("epoch-as-text", "1772441700"),
    ("lowercase-z", "2026-03-02t08:55:00z"), ("offset-without-colon", "2026-03-02T08:55:00+0100"), ("month-13", "2026-13-02T08:55:00Z"),
    ("february-30", "2026-02-30T08:55:00Z"), ("hour-25", "2026-03-02T25:00:00Z"), ("minute-60", "2026-03-02T08:60:00Z"),
    ("offset-25h", "2026-03-02T08:55:00+25:00"), ("eight-fraction-digits", "2026-03-02T08:55:00.12345678Z"),
    ("trailing-space", "2026-03-02T08:55:00Z "), ("leading-space", " 2026-03-02T08:55:00Z"), ("word-now", "now"),
    ("week-date", "2026-W10-1T08:55:00Z"), ("ordinal-date", "2026-061T08:55:00Z"), ("year-10000", "10000-01-01T00:00:00Z"),
    ("negative-year", "-0001-01-01T00:00:00Z"), ("zero-date-with-offset", "0001-01-01T00:00:00+01:00"),
    ("arabic-digits", "\u0662\u0660\u0662\u0666-03-02T08:55:00Z"),
]:
    add(f"time/{kind}", text(event(f"time-{kind}", occurredAt=value)), reason=NOT_ISO)
add("time/zero-date", text(event("time-zero", occurredAt="0001-01-01T00:00:00Z")), reason="is the zero date")
for kind, value in [("2062", "2062-03-02T08:55:00Z"), ("9999-12-31", "9999-12-31T23:59:59Z"), ("max-value", "9999-12-31T23:59:59.9999999Z"),
                    ("next-year", "2099-01-01T00:00:00+14:00"), ("one-hour-ahead", "@LATER@")]:
    add(f"time/future-{kind}", text(event(f"future-{kind}", occurredAt=value)), reason="ahead of the worker's clock")
# Valid but odd: long ago. Decided where the customer stands (docs/journeys.md, "Late events"); an event of 1970 of a
# type no journey uses changes nothing but the log.
add("time/ancient-1970-unused-type", text(event("t1970", type="page.viewed", occurredAt="1970-01-01T00:00:00Z")), expect="processed",
    reason="no journey uses event type 'page.viewed'", customer=customer_of("t1970"), outcomes=[])
add("time/ancient-first-second", text(event("t0001", type="page.viewed", occurredAt="0001-01-01T00:00:01Z")), expect="processed",
    reason="no journey uses event type 'page.viewed'", customer=customer_of("t0001"), outcomes=[])

# --- Sizes ---------------------------------------------------------------------------------------------------------
for field in ["eventId", "customerId", "type"]:
    add(f"size/{field}-201", text(event(f"len-{field}", **{field: "x" * 201})), reason=f"{field} is 201 characters long; at most 200 are allowed (Orchestrator:Intake:Limits:MaxIdLength)")
add("size/eventId-100000", text(event("len-huge", eventId="e" * 100_000)), reason="eventId is 100,000 characters long; at most 200 are allowed")
add("size/customerId-10000-emoji", text(event("len-emoji", customerId="\U0001F600" * 10_000)), reason="customerId is 20,000 characters long")
add("size/properties-70kb", text(event("big-props", properties={"note": "x" * 70_000})), reason="properties are 70,011 characters of JSON; at most 65,536 are allowed")
add("size/properties-many-keys", text(event("big-props-keys", properties={f"k{i}": i for i in range(10_000)})), reason="characters of JSON; at most 65,536 are allowed (Orchestrator:Intake:Limits:MaxPropertiesBytes)")
add("size/customer-20kb-attribute", text(event("big-cust", customer={"email": "ann@example.com", "attributes": {"bio": "x" * 20_000}})), reason="at most 16,384 are allowed (Orchestrator:Intake:Limits:MaxCustomerBytes")
add("size/customer-200kb-attribute", text(event("big-cust-200k", customer={"attributes": {"bio": "x" * 200_000}})), reason="customer is 200,1")
add("size/customer-huge-firstName", text(event("big-name", customer={"firstName": "A" * 100_000})), reason="at most 16,384 are allowed")
add("size/attributes-201-keys", text(event("keys-201", customer={"attributes": {f"k{i}": i for i in range(201)}})), reason="customer.attributes has 201 keys; at most 200 are allowed (Orchestrator:Intake:Limits:MaxAttributeKeys)")
add("size/attributes-20000-keys", text(event("keys-20k", customer={"attributes": {f"k{i}": 1 for i in range(20_000)}})), reason="customer.attributes has 20,000 keys")
# At the limits: taken.
add("size/ids-of-200", text(event("x", eventId="e" * 190 + "-@RUN@", customerId="c" * 190 + "-@RUN@")), expect="processed",
    customer="c" * 190 + "-@RUN@", outcomes=["entered", "waiting"])
add("size/attributes-200-keys", text(event("keys-200", customer={"attributes": {f"k{i}": i for i in range(200)}})), expect="processed",
    customer=customer_of("keys-200"), outcomes=["entered", "waiting"])

# --- Identifiers that would break a log line or a header ------------------------------------------------------------
for field in ["eventId", "customerId", "type"]:
    for kind, ch in [("nul", "\x00"), ("newline", "\n"), ("carriage-return", "\r"), ("escape", "\x1b"), ("c1-control", "\x85")]:
        if field != "eventId" and kind in ("escape", "c1-control"):
            continue
        add(f"control/{kind}-in-{field}", text(event(f"ctl-{field}-{kind}", **{field: f"{field}-@RUN@-{kind}{ch}forged"})),
            reason=f"{field} holds a control character")

# --- Survey answers (reserved type feedback.submitted) -----------------------------------------------------------------
for kind, props, reason in [
    ("no-properties", DROP, "feedback.submitted needs properties.metric"),
    ("unknown-metric", {"metric": "stars", "score": 5}, "unknown metric 'stars'"),
    ("score-as-text", {"metric": "nps", "score": "9"}, "needs properties.score, a number from 0-10 for nps"),
    ("score-out-of-range", {"metric": "csat", "score": 6}, "score 6 is out of range for csat (1-5)"),
    ("negative-score", {"metric": "ces", "score": -1}, "score -1 is out of range for ces (1-7)"),
    ("comment-number", {"metric": "nps", "score": 9, "comment": 12}, "properties.comment must be text"),
    ("metric-number", {"metric": 3, "score": 9}, "feedback.submitted needs properties.metric"),
]:
    add(f"feedback/{kind}", text(event(f"fb-{kind}", type="feedback.submitted", properties=props)), reason=reason)

# --- Valid but odd: taken, with the documented answer ------------------------------------------------------------------
for kind, type_ in [("mystery", "mystery.happened"), ("uppercase", "CART.ABANDONED"), ("leading-space", " cart.abandoned"),
                    ("emoji", "\U0001F6D2.abandoned"), ("sql", "'; DROP TABLE inbox; --"), ("html", "<script>alert(1)</script>")]:
    add(f"odd/unknown-type-{kind}", text(event(f"unk-{kind}", type=type_)), expect="processed",
        reason=f"no journey uses event type '{type_}'", customer=customer_of(f"unk-{kind}"), outcomes=[])
for kind, email in [("no-at", "not-an-email"), ("no-domain", "ann@"), ("no-local", "@example.com"), ("space", "ann smith@example.com"),
                    ("header-injection", "ann@example.com\r\nBcc: all@example.com"), ("two-addresses", "ann@example.com, bob@example.com"),
                    ("display-name", "Ann <ann@example.com>"), ("no-dot", "ann@localhost")]:
    # The welcome journey mails at once: without a valid address the send is skipped, with the reason.
    add(f"odd/invalid-email-{kind}", text(event(f"mail-{kind}", type="customer.signed_up", properties={}, customer={"email": email, "firstName": "Ann"})),
        expect="processed", customer=customer_of(f"mail-{kind}"), outcomes=["entered", "skipped", "waiting"])
for kind, zone in [("mars", "Mars/Olympus_Mons"), ("offset", "+01:00"), ("windows-name", "W. Europe Standard Time"), ("lowercase", "europe/amsterdam"), ("empty", "")]:
    add(f"odd/invalid-time-zone-{kind}", text(event(f"zone-{kind}", customer={"email": "ann@example.com", "timeZone": zone})),
        expect="processed", customer=customer_of(f"zone-{kind}"), outcomes=["entered", "waiting"])
add("odd/escaped-nul-in-first-name", text(event("nul-name", customer={"email": "ann@example.com", "firstName": "An\x00n"})),
    expect="processed", customer=customer_of("nul-name"), outcomes=["entered", "waiting"])
add("odd/cart-without-cartId", text(event("no-cart", properties={"total": 84.5})), expect="processed", customer=customer_of("no-cart"))
add("odd/total-as-text", text(event("total-text", properties={"cartId": "k-t", "total": "84.5"})), expect="processed", customer=customer_of("total-text"))
add("odd/cartId-object", text(event("cart-obj", properties={"cartId": {"id": 1}, "total": 84.5})), expect="processed", customer=customer_of("cart-obj"))
add("odd/small-cart", text(event("small", properties={"cartId": "k-s", "total": 5})), expect="processed", customer=customer_of("small"), outcomes=[])
add("odd/nested-junk-properties", text(event("junk", properties={"cartId": "k-j", "total": 84.5, "junk": [[[[{"a": [None, True, 1e-9, -0.0, {"": ""}]}]]]]})),
    expect="processed", customer=customer_of("junk"), outcomes=["entered", "waiting"])
add("odd/nesting-at-depth-60", text(event("depth60")).replace('"properties":{', '"properties":{"a":' + "[" * 60 + "]" * 60 + ",", 1),
    expect="processed", customer=customer_of("depth60"), outcomes=["entered", "waiting"])
# Journeys compute in decimal: a number beyond it would fail every decision that reads it.
add("numbers/huge-total", text(event("bignum", properties={"cartId": "k-b", "total": 1})).replace('"total":1', '"total":1' + "0" * 400),
    reason="properties.total is the number 1000000000000000000000000000000000000000…, beyond the ±7.9e28")
add("numbers/1e308-attribute", text(event("big-attr", customer={"attributes": {"ltv": 1e308}})), reason="customer.attributes.ltv is the number 1e+308")
add("numbers/minus-1e30-in-array", text(event("neg-arr", properties={"cartId": "k-n", "total": 5, "items": [1, -1e30]})), reason="properties.items[1] is the number -1e+30")
add("odd/unknown-top-level-fields", text({**event("extra"), "source": "shop", "version": 2, "tags": ["a"]}), expect="processed",
    customer=customer_of("extra"), outcomes=["entered", "waiting"])
add("odd/null-properties-and-customer", text(event("nulls", type="page.viewed", properties=None, customer=None)), expect="processed",
    customer=customer_of("nulls"), outcomes=[])

# --- Duplicates and order ----------------------------------------------------------------------------------------------
first = event("dup")
add("order/duplicate-first", text(first), expect="processed", customer=customer_of("dup"), outcomes=["entered", "waiting"])
add("order/duplicate-again", text(first), expect="duplicate")
add("order/duplicate-id-other-content", text({**first, "type": "cart.emptied"}), expect="duplicate")
add("order/duplicate-id-other-spacing", json.dumps(first, indent=2), expect="duplicate")
# Out of order: an exit dated before the entry is ignored for that instance (it was not yet in the journey then).
add("order/entry", text(event("ooo")), expect="processed", customer=customer_of("ooo"), outcomes=["entered", "waiting"])
add("order/exit-dated-before-entry", text(event("ooo-exit", customerId=customer_of("ooo"), type="cart.emptied", occurredAt="@EARLIER@", properties={"cartId": "k-ooo"})),
    expect="processed")
add("order/goal-dated-before-entry", text(event("ooo-goal", customerId=customer_of("ooo"), type="order.placed", occurredAt="@EARLIER@", properties={"cartId": "k-ooo"})),
    expect="processed")

if __name__ == "__main__":
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "events.jsonl")
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for case in CASES:
            out.write(json.dumps(case, ensure_ascii=True) + "\n")
    counts = {}
    for case in CASES:
        counts[case["expect"]] = counts.get(case["expect"], 0) + 1
    print(f"{len(CASES)} cases -> {path}: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
