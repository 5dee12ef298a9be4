"""`make demo`: the main crawl against the replica portal, offline, into data/demo.db.

Its own file: the replica's invented reports never sit beside real ones (a crawl refuses a
database holding runs of the other kind, govcrawl.run_origin); `make serve DB=data/demo.db`.

Every replica city is crawled, one crawl per site profile into the same database (each run's
`crawl_runs.site` names the profile its documents were found with): panzhihua's family, the
script-built 示例市, the four cities of other CMS families (tests/replica/families.py), and
last the mirror and content-farm hosts that serve copies of panzhihua's reports (profile
`copies`: linked to their originals by the process stage, pipelines.copies).
Each crawl runs the process stage beside itself and waits for it, so the database it leaves
is fully processed. The database is kept between runs, so running the demo again is a re-crawl.
`--hostile` crawls the replica with every hostile case (with the hostile test's settings).
"""

from __future__ import annotations

import argparse
import sys

from govcrawl.cli import main as govcrawl_main
from tests.replica.families import REPLICA_PROFILES
from tests.replica.process import HOSTILE_SETTINGS, Replica, run_crawl

DEMO_SITES = (*REPLICA_PROFILES, "copies")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="data/demo.db")
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--hostile", action="store_true", help="add every hostile page (issue 12)")
    args = parser.parse_args(argv)
    with Replica(size=args.size, hostile=args.hostile, families=True) as replica:
        for site in DEMO_SITES:
            print(f"replica portal on {replica.proxy}; crawling {site} into {args.db} ...", flush=True)
            settings = HOSTILE_SETTINGS if args.hostile else None
            result = run_crawl(args.db, replica.proxy, f"site={site}", settings=settings)
            sys.stderr.write(result.stderr[-4000:])
            sys.stdout.write(result.stdout[-2000:])  # the process stage's summary line
            if result.returncode != 0:
                print(f"crawl of {site} failed (exit {result.returncode})", file=sys.stderr)
                return result.returncode
    return govcrawl_main(["stats", "--db", args.db])


if __name__ == "__main__":
    sys.exit(main())
