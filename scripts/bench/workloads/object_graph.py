# Allocation-heavy: a graph of small objects built, walked and dropped repeatedly.
class Node:
    __slots__ = ("value", "children", "meta")
    def __init__(self, value):
        self.value = value
        self.children = []
        self.meta = {"v": value}

def build(depth, fanout, counter):
    node = Node(counter[0])
    counter[0] += 1
    if depth:
        for _ in range(fanout):
            node.children.append(build(depth - 1, fanout, counter))
    return node

def walk(node):
    total = node.value
    for c in node.children:
        total += walk(c)
    return total

def main():
    s = 0
    for _ in range(6):
        root = build(8, 4, [0])
        s += walk(root)
    return s

main()
