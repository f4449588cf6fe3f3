#!/usr/bin/python3
"""Serves the benchmark's data set for manual runs and profiling: generates N identities (or
reuses them), starts nsd on a free loopback port, writes <workdir>/manual.yaml for dkimwatch
(max_qps 0, max_inflight --inflight; add daemon keys with --extra) and waits until Ctrl-C,
then stops nsd. Example:

    python3 bench/serve.py 100000 &
    perf record -g build/dkimwatch check --config /tmp/dkimwatch-bench/N100000/manual.yaml
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib as bl  # noqa: E402


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("n", nargs="?", type=int, default=100_000)
    p.add_argument("--workdir", default="")
    p.add_argument("--inflight", type=int, default=1024)
    p.add_argument("--extra", default="", help="extra top-level YAML for manual.yaml")
    p.add_argument("--identities", choices=bl.IDENTITY_FORMATS, default="csv")
    args = p.parse_args(argv)
    work = Path(args.workdir or f"/tmp/dkimwatch-bench/N{args.n}")
    work.mkdir(parents=True, exist_ok=True)
    procs = bl.Processes()
    gen = bl.generate(args.n, work)
    nsd = bl.Nsd(procs, work, work / "nsd", gen["customer_zones"] + gen["ses_zones"])
    nsd.start()
    extra = args.extra.replace("\\n", "\n")
    if extra and not extra.endswith("\n"):
        extra += "\n"
    config = bl.dkimwatch_config(work, "manual", nsd.port, max_inflight=args.inflight,
                                 max_qps=0, extra=extra, identities=args.identities)
    print(f"nsd on {bl.LOOPBACK}:{nsd.port} (pid {nsd.proc.pid}), loaded in "
          f"{nsd.load_seconds:.1f} s; config {config}", flush=True)
    try:
        while nsd.proc.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    nsd.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
