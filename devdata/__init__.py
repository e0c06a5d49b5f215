"""Development data: the demo seed and the synthetic market (development only).

Installed when DEBUG is on, in the test settings and in the benchmarks' settings; never
under production settings, so `seed_demo` and `generate_market` do not exist there. The top
layer: it may import every app, and no production app imports it.
"""
