"""Builds a list of big Fibonacci numbers, as in memray's tutorial: memory grows with the list."""
import sys


def fibonacci(length):
    if length < 1:
        return []
    numbers = [1]
    if length == 1:
        return numbers
    numbers.append(1)
    for _ in range(length - 2):
        numbers.append(numbers[-1] + numbers[-2])
    return numbers


def main():
    length = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    numbers = fibonacci(length)
    print(f"computed {len(numbers)} Fibonacci numbers; the last has {numbers[-1].bit_length()} bits")


if __name__ == "__main__":
    main()
