"""The test-suite's harness: the matrix, renders, the languages' folders, the Docker CLI."""

import os
from pathlib import Path

# State that outlives a run (the private engine, its images, tools, copier's floor release), as
# scripts/lib/setup.sh places it: $DFT_HOME, or the user's cache folder.
DFT_HOME = Path(os.environ.get("DFT_HOME") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                / "dockerfile-templates")
