#!/usr/bin/env python3
"""Build the site: the same as `mlcollage build` (flags are passed through)."""

import sys

from mlcollage.cli import main

if __name__ == "__main__":
    sys.exit(main(["build", *sys.argv[1:]]))
