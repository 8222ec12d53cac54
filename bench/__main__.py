"""Run the benchmarks: ``python -m bench`` runs all, ``python -m bench parse fifo`` some.

Each benchmark is a module ``bench/bench_<name>.py`` with a ``main() -> dict`` that prints its
figures and returns them; results are also written to ``bench/out/<name>.json``.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).resolve().parent
    names = [m.name[len("bench_"):] for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_")]
    chosen = argv or sorted(names)
    out = here / "out"
    out.mkdir(exist_ok=True)
    for name in chosen:
        if name not in names:
            print(f"no benchmark named {name!r}; have: {', '.join(sorted(names))}")
            return 2
        module = importlib.import_module(f"bench.bench_{name}")
        print(f"== {name}")
        figures = module.main()
        (out / f"{name}.json").write_text(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
