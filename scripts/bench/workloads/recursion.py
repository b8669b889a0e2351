# Call-heavy: deep recursion with almost no allocation (small ints are cached).
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)

def ack(m, n):
    if m == 0:
        return n + 1
    if n == 0:
        return ack(m - 1, 1)
    return ack(m - 1, ack(m, n - 1))

def main():
    return fib(33) + ack(2, 200)

main()
