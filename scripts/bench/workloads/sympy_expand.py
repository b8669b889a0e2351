# Pure-Python library: sympy symbolic expansion and simplification.
import sympy

def main():
    x, y, z = sympy.symbols("x y z")
    e = sympy.expand((x + y + z + 1) ** 12)
    d = sympy.diff(e, x, 2)
    return len(str(sympy.factor(sympy.expand((x + 1) ** 20)))) + len(d.args)

main()
