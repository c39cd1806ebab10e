"""`python -m pipeline_bench` (from bench/): the same as bench/run.py."""
from .cli import main

main()
