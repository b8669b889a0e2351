# Allocation-heavy: lists of big ints, as in memray's fibonacci tutorial.
def fibonacci(length):
    if length < 1:
        raise ValueError
    if length == 1:
        return [1]
    if length == 2:
        return [1, 1]
    output = [1, 1]
    for _ in range(length - 2):
        output.append(output[-1] + output[-2])
    return output

def main():
    total = 0
    for _ in range(30):
        total += len(fibonacci(25000))
    return total

main()
