# Allocation-heavy: pickling and unpickling object trees.
import pickle

class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

def main():
    data = [{"p": Point(i, -i), "s": "v%d" % i, "t": (i, str(i), [i] * 3)} for i in range(20000)]
    for _ in range(5):
        blob = pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
        data = pickle.loads(blob)
    return len(blob)

main()
