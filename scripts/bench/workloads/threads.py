# Threads: four threads allocating concurrently (dicts, lists, strings).
import threading

def work(n, out, idx):
    acc = []
    for i in range(n):
        acc.append({"i": i, "s": str(i) * 3, "l": [i, i + 1]})
        if len(acc) > 5000:
            acc.clear()
    out[idx] = n

def main():
    out = [0] * 4
    ts = [threading.Thread(target=work, args=(250000, out, k), name="worker-%d" % k) for k in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sum(out)

main()
