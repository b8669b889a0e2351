# A real program for scripts/bench-report.js --real: the benchmark workloads one after another
# (json round trips, object graphs, pickling, regular expressions, big integers, threads), about 90 M
# allocation records when traced by `pymemprof run`.
import os
import runpy

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench", "workloads")
for name in ["json_roundtrip", "object_graph", "pickle_roundtrip", "regex", "json_roundtrip",
             "fib_bigints", "json_roundtrip", "object_graph", "threads"]:
    runpy.run_path(os.path.join(here, name + ".py"), run_name="__main__")
