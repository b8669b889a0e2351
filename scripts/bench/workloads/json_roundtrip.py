# Allocation-heavy: JSON encode/decode round trips of nested documents.
import json

def make_doc(i):
    return {"id": i, "name": "item-%d" % i, "tags": ["a", "b", "c", str(i)],
            "price": i * 1.25, "nested": {"x": [i, i + 1, i + 2], "ok": i % 2 == 0}}

def main():
    docs = [make_doc(i) for i in range(20000)]
    for _ in range(6):
        text = json.dumps(docs)
        docs = json.loads(text)
    return len(text)

main()
