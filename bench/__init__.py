"""Benchmarks and the load test: `make bench` (bench/run.py) and `make load` (bench/load.py).

Every module runs against its own PostgreSQL database (`ai_readiness_bench*`) and Redis
database (8 or 9), on the loopback interface only, with every loop bounded in time.
"""
