# Library with C-level allocation: numpy arrays created and combined in a Python loop.
import numpy as np

def main():
    rng = np.random.default_rng(0)
    acc = 0.0
    for i in range(9000):
        a = rng.random(2000)
        b = np.sort(a)[::-1] * 2.0 + i
        acc += float(np.dot(a, b)) + float(np.cumsum(b)[-1])
        lst = a[:200].tolist()
        acc += sum(lst)
    return acc

main()
