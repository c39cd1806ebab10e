#!/usr/bin/env python3
"""`just bench` (through bench/run.sh): the entry point of the bench runner, the package
bench/pipeline_bench (its modules: pipeline_bench/__init__.py; its options: `--help`)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline_bench.cli import main  # noqa: E402

if __name__ == "__main__":
    main()
