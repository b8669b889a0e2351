# Regular expressions: compile, search, findall and sub over generated text.
import re

WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]

def main():
    text = " ".join("%s%d user%d@example.org 2024-%02d-%02d" % (WORDS[i % 8], i, i, i % 12 + 1, i % 28 + 1)
                    for i in range(20000))
    email = re.compile(r"\b[\w.]+@[\w.]+\.\w+\b")
    date = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
    n = 0
    for _ in range(10):
        n += len(email.findall(text))
        n += len(date.sub(lambda m: m.group(3) + "/" + m.group(2) + "/" + m.group(1), text))
        n += sum(1 for _ in re.finditer(r"(alpha|theta)\d+", text))
    return n

main()
