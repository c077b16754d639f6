"""What the shop's tests and benchmarks share, outside the shipped `shop_common`.

Installed editable from this repository (requirements/dev.txt): `harness` finds the
services' code beside it, so it is never installed anywhere else.
"""
