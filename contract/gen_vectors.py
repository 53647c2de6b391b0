#!/usr/bin/env python3
"""Writes vectors/service.json and payloads/: the service-route exchanges every server must
answer byte for byte (README.md in this folder). Run it after changing a rule; commit both."""
import base64, json, os

HERE = os.path.dirname(os.path.abspath(__file__))
LIVE_MB = 1            # the vectors assume a server started with --live-mb 1
STORE = LIVE_MB * 1024  # records 0..1023

ROLES = ["admin", "editor", "viewer"]
COUNTRIES = ["GB", "US", "DE", "FR", "JP"]
CITIES = ["London", "New York", "Berlin", "Paris", "Tokyo"]


def bio(i):
    unit = f"bio-{i}-"
    return (unit * (800 // len(unit) + 1))[:800]


def record(i):
    return {"id": i, "name": f"user-{i}", "email": f"user-{i}@example.com", "username": f"u{i}",
            "age": 18 + i % 60, "active": i % 2 == 0, "role": ROLES[i % 3],
            "country": COUNTRIES[i % 5], "city": CITIES[i % 5],
            "created_at": "2026-01-01T00:00:00Z", "followers": (i * 37) % 10000,
            "tags": [f"tag-{i % 10}", f"group-{i % 4}"], "verified": i % 3 == 0, "bio": bio(i)}


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def order(n, customer_id):
    return {"customer_id": customer_id,
            "items": [{"sku": f"SKU-{k:05d}", "qty": 1 + k % 5, "price_cents": 199 + 137 * k}
                      for k in range(n)],
            "note": "leave at the door"}


def answer(o):
    cid = o["customer_id"]
    return compact({"customer_id": cid,
                    "customer_name": f"user-{cid}" if cid < STORE else None,
                    "item_count": len(o["items"]),
                    "total_cents": sum(i["qty"] * i["price_cents"] for i in o["items"])})


TEXT = "text/plain; charset=utf-8"
JSON = "application/json"
vectors = []


def add(name, method, target, status, body, content_type, request_body=None,
        request_content_type=None, allow=None):
    v = {"name": name, "method": method, "target": target}
    if request_content_type is not None:
        v["request_content_type"] = request_content_type
    if isinstance(request_body, bytes):  # not UTF-8: carried as base64
        v["request_body_base64"] = base64.b64encode(request_body).decode()
    elif request_body is not None:
        v["request_body"] = request_body
    v.update({"status": status, "content_type": content_type, "body": body})
    if allow:
        v["allow"] = allow
    vectors.append(v)


for i in (0, 1, 7, 42, 1023):
    add(f"user {i}", "GET", f"/users/{i}", 200, compact(record(i)), JSON)
add("first id past the store", "GET", "/users/1024", 404, "Not Found", TEXT)
add("id far past the store", "GET", "/users/999999999999999999", 404, "Not Found", TEXT)
add("leading zeros are decimal", "GET", "/users/007", 200, compact(record(7)), JSON)
add("query is ignored", "GET", "/users/7?x=1", 200, compact(record(7)), JSON)
BAD_ID = "id must be a decimal integer"
for name, target in (("empty id", "/users/"), ("negative id", "/users/-1"),
                     ("plus sign", "/users/+1"), ("letters", "/users/abc"),
                     ("hex", "/users/0x10"), ("fraction", "/users/1.5"),
                     ("19 digits", "/users/1000000000000000000"),
                     ("percent-encoded digit", "/users/%31")):
    add(name, "GET", target, 400, BAD_ID, TEXT)
add("extra segment", "GET", "/users/1/x", 404, "Not Found", TEXT)
add("no slash", "GET", "/users", 404, "Not Found", TEXT)
add("POST to a user", "POST", "/users/1", 405, "Method Not Allowed", TEXT, allow="GET")

o1 = {"customer_id": 7, "items": [{"sku": "A-1", "qty": 2, "price_cents": 1250}], "note": "..."}
add("contract example", "POST", "/orders", 200, answer(o1), JSON, compact(o1), JSON)
for n, cid in ((10, 7), (100, 512)):
    o = order(n, cid)
    add(f"order of {n}", "POST", "/orders", 200, answer(o), JSON, compact(o), JSON)
o = order(3, 1024)
add("unknown customer", "POST", "/orders", 200, answer(o), JSON, compact(o), JSON)
o = {"customer_id": 0, "items": [{"sku": "Z", "qty": 1000, "price_cents": 1000000000}] * 100}
add("largest totals", "POST", "/orders", 200, answer(o), JSON, compact(o), JSON)
o = {"items": [{"price_cents": 5, "qty": 3, "sku": "B"}], "customer_id": 3}
add("keys in any order, no note", "POST", "/orders", 200, answer(o), JSON, compact(o), JSON)
add("note null, unknown fields ignored", "POST", "/orders", 200,
    answer({"customer_id": 3, "items": [{"sku": "B", "qty": 1, "price_cents": 0}]}), JSON,
    '{"customer_id":3,"items":[{"sku":"B","qty":1,"price_cents":0,"colour":"red"}],"note":null,"extra":{"a":[1,2]}}',
    JSON)
add("whitespace around", "POST", "/orders", 200,
    answer({"customer_id": 1, "items": [{"sku": "C", "qty": 1, "price_cents": 1}]}), JSON,
    ' \n{ "customer_id" : 1 , "items" : [ { "sku" : "C" , "qty" : 1 , "price_cents" : 1 } ] }\n ',
    JSON)
add("charset parameter", "POST", "/orders", 200, answer(o1), JSON, compact(o1),
    "application/json; charset=utf-8")
add("media type case", "POST", "/orders", 200, answer(o1), JSON, compact(o1), "Application/JSON")

BAD_JSON = "malformed JSON"
for name, body in (("empty body", ""), ("truncated", '{"customer_id":7,"items":['),
                   ("trailing garbage", compact(o1) + "x"), ("two documents", compact(o1) + "{}"),
                   ("single quotes", "{'customer_id':7}"), ("bare word", "order"),
                   ("trailing comma", '{"customer_id":7,"items":[],}'),
                   ("type error before the syntax error", '{"customer_id":"x","items":['),
                   ("overlong UTF-8 (0xC0 0x80)", b'{"customer_id":7,"items":[],"note":"\xc0\x80"}'),
                   ("invalid UTF-8", b'{"customer_id":7,"items":[{"sku":"\xff","qty":1,"price_cents":1}]}')):
    add(name, "POST", "/orders", 400, BAD_JSON, TEXT, body, JSON)

INVALID = "invalid order"
for name, body in (
        ("array, not an object", "[]"), ("a number", "7"), ("null", "null"),
        ("no customer_id", '{"items":[{"sku":"A","qty":1,"price_cents":1}]}'),
        ("no items", '{"customer_id":7}'),
        ("empty items", '{"customer_id":7,"items":[]}'),
        ("101 items", compact({"customer_id": 7, "items": [{"sku": "A", "qty": 1, "price_cents": 1}] * 101})),
        ("customer_id a string", '{"customer_id":"7","items":[{"sku":"A","qty":1,"price_cents":1}]}'),
        ("customer_id negative", '{"customer_id":-1,"items":[{"sku":"A","qty":1,"price_cents":1}]}'),
        ("customer_id a fraction", '{"customer_id":7.5,"items":[{"sku":"A","qty":1,"price_cents":1}]}'),
        ("customer_id with a fraction part", '{"customer_id":7.0,"items":[{"sku":"A","qty":1,"price_cents":1}]}'),
        ("customer_id with an exponent", '{"customer_id":7e0,"items":[{"sku":"A","qty":1,"price_cents":1}]}'),
        # RFC 8259 puts no bound on an exponent: well-formed, so 422, not 400 (found by the fuzzers).
        ("customer_id with a 17-digit exponent",
         '{"customer_id":9e23372036854775807,"items":[{"sku":"A","qty":1,"price_cents":1}]}'),
        ("customer_id null", '{"customer_id":null,"items":[{"sku":"A","qty":1,"price_cents":1}]}'),
        ("customer_id over int64", '{"customer_id":9223372036854775808,"items":[{"sku":"A","qty":1,"price_cents":1}]}'),
        ("items an object", '{"customer_id":7,"items":{"sku":"A","qty":1,"price_cents":1}}'),
        ("item not an object", '{"customer_id":7,"items":[1]}'),
        ("item without sku", '{"customer_id":7,"items":[{"qty":1,"price_cents":1}]}'),
        ("empty sku", '{"customer_id":7,"items":[{"sku":"","qty":1,"price_cents":1}]}'),
        ("sku of 65 bytes", '{"customer_id":7,"items":[{"sku":"' + "S" * 65 + '","qty":1,"price_cents":1}]}'),
        ("sku a number", '{"customer_id":7,"items":[{"sku":5,"qty":1,"price_cents":1}]}'),
        ("qty zero", '{"customer_id":7,"items":[{"sku":"A","qty":0,"price_cents":1}]}'),
        ("qty negative", '{"customer_id":7,"items":[{"sku":"A","qty":-2,"price_cents":1}]}'),
        ("qty 1001", '{"customer_id":7,"items":[{"sku":"A","qty":1001,"price_cents":1}]}'),
        ("qty true", '{"customer_id":7,"items":[{"sku":"A","qty":true,"price_cents":1}]}'),
        ("no price", '{"customer_id":7,"items":[{"sku":"A","qty":1}]}'),
        ("price negative", '{"customer_id":7,"items":[{"sku":"A","qty":1,"price_cents":-1}]}'),
        ("price over 1e9", '{"customer_id":7,"items":[{"sku":"A","qty":1,"price_cents":1000000001}]}'),
        ("note a number", '{"customer_id":7,"items":[{"sku":"A","qty":1,"price_cents":1}],"note":5}'),
        ("note of 1001 bytes", '{"customer_id":7,"items":[{"sku":"A","qty":1,"price_cents":1}],"note":"' + "n" * 1001 + '"}')):
    add(name, "POST", "/orders", 422, INVALID, TEXT, body, JSON)
add("sku of 64 bytes", "POST", "/orders", 200,
    answer({"customer_id": 7, "items": [{"qty": 1, "price_cents": 1}]}), JSON,
    '{"customer_id":7,"items":[{"sku":"' + "S" * 64 + '","qty":1,"price_cents":1}]}', JSON)
add("note of 1000 bytes", "POST", "/orders", 200,
    answer({"customer_id": 7, "items": [{"qty": 1, "price_cents": 1}]}), JSON,
    '{"customer_id":7,"items":[{"sku":"A","qty":1,"price_cents":1}],"note":"' + "n" * 1000 + '"}', JSON)
add("an ignored member with a 20-digit exponent", "POST", "/orders", 200,
    answer({"customer_id": 7, "items": [{"qty": 1, "price_cents": 1}]}), JSON,
    '{"customer_id":7,"items":[{"sku":"A","qty":1,"price_cents":1}],"x":1e99999999999999999999}', JSON)
add("100 items", "POST", "/orders", 200,
    answer({"customer_id": 7, "items": [{"qty": 1, "price_cents": 1}] * 100}), JSON,
    compact({"customer_id": 7, "items": [{"sku": "A", "qty": 1, "price_cents": 1}] * 100}), JSON)

UNSUPPORTED = "Content-Type must be application/json"
for name, ctype in (("no content type", None), ("text/plain", "text/plain"),
                    ("form", "application/x-www-form-urlencoded"),
                    ("json suffix type", "application/problem+json"),
                    ("prefix only", "application/jsonx")):
    add(name, "POST", "/orders", 415, UNSUPPORTED, TEXT, compact(o1), ctype)
add("415 before 400", "POST", "/orders", 415, UNSUPPORTED, TEXT, "{", "text/plain")
TOO_LARGE = "body over 64 KiB"
pad = compact(o1)[:-1] + ',"pad":"' + "p" * 70000 + '"}'
add("body of 70 KB", "POST", "/orders", 413, TOO_LARGE, TEXT, pad, JSON)
exact = compact(o1)[:-1] + ',"pad":"'
exact += "p" * (65536 - len(exact) - 2) + '"}'
assert len(exact) == 65536
add("body of exactly 64 KiB", "POST", "/orders", 200, answer(o1), JSON, exact, JSON)
add("body of 64 KiB + 1", "POST", "/orders", 413, TOO_LARGE, TEXT, exact[:-1] + ' }', JSON)
add("GET /orders", "GET", "/orders", 405, "Method Not Allowed", TEXT, allow="POST")
add("PUT /orders", "PUT", "/orders", 405, "Method Not Allowed", TEXT, compact(o1), JSON,
    allow="POST")

# The database routes (README.md, "Database routes"), for a server started with --db on a
# database loaded by db/users.sql with 1024 records.
db_vectors = []
for i in (0, 7, 1023):
    db_vectors.append({"name": f"db user {i}", "method": "GET", "target": f"/db/users/{i}",
                       "status": 200, "content_type": JSON, "body": compact(record(i))})
db_vectors.append({"name": "db user past the table", "method": "GET", "target": "/db/users/1024",
                   "status": 404, "content_type": TEXT, "body": "Not Found"})
for name, target in (("db empty id", "/db/users/"), ("db letters", "/db/users/abc"),
                     ("db 19 digits", "/db/users/1000000000000000000")):
    db_vectors.append({"name": name, "method": "GET", "target": target, "status": 400,
                       "content_type": TEXT, "body": BAD_ID})
db_vectors.append({"name": "db POST to a user", "method": "POST", "target": "/db/users/1",
                   "status": 405, "content_type": TEXT, "body": "Method Not Allowed",
                   "allow": "GET"})
for ms in (0, 5):
    db_vectors.append({"name": f"db sleep {ms} ms", "method": "GET", "target": f"/db/sleep?ms={ms}",
                       "status": 200, "content_type": TEXT, "body": "Hello, World!"})
for name, target in (("db sleep without ms", "/db/sleep"), ("db sleep letters", "/db/sleep?ms=x"),
                     ("db sleep over 10000", "/db/sleep?ms=10001")):
    db_vectors.append({"name": name, "method": "GET", "target": target, "status": 400,
                       "content_type": TEXT, "body": "ms must be an integer 0..10000"})
db_vectors.append({"name": "db POST to sleep", "method": "POST", "target": "/db/sleep?ms=1",
                   "status": 405, "content_type": TEXT, "body": "Method Not Allowed",
                   "allow": "GET"})
# Without --db (or with the database gone) every route that needs it answers 503.
no_db_vectors = [
    {"name": "no db: user", "method": "GET", "target": "/db/users/7", "status": 503,
     "content_type": TEXT, "body": "database unavailable"},
    {"name": "no db: sleep", "method": "GET", "target": "/db/sleep?ms=1", "status": 503,
     "content_type": TEXT, "body": "database unavailable"},
    {"name": "no db: bad id is still 400", "method": "GET", "target": "/db/users/abc",
     "status": 400, "content_type": TEXT, "body": BAD_ID},
]
with open(os.path.join(HERE, "vectors", "db.json"), "w", encoding="utf-8") as f:
    json.dump({"records": 1024, "vectors": db_vectors, "without_database": no_db_vectors}, f,
              indent=1, ensure_ascii=False)
    f.write("\n")

with open(os.path.join(HERE, "vectors", "service.json"), "w", encoding="utf-8") as f:
    json.dump({"live_mb": LIVE_MB, "vectors": vectors}, f, indent=1, ensure_ascii=False)
    f.write("\n")
for name, value in (("message", {"message": "Hello, World!"}), ("order-10", order(10, 7)),
                    ("order-100", order(100, 512))):
    with open(os.path.join(HERE, "payloads", name + ".json"), "w") as f:
        f.write(compact(value))
print(len(vectors), "vectors")
